"""GloVe's weighted least-squares loss (Pennington et al. 2014, eq. 8).

J = sum over non-zero X_ij of f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2
"""

from __future__ import annotations

from typing import Sequence

import jax.numpy as jnp
import numpy as np
from jax import Array

__all__ = ["weighting_fn", "weighted_pair_loss", "glove_loss", "loss_by_loop", "dense_block_loss"]



def weighting_fn(x: Array, xmax: float = 100.0, alpha: float = 0.75) -> Array:
    """f(x) = (x / xmax)^alpha below xmax, else 1. Zero at x = 0, so absent pairs cost
    nothing."""
    x = jnp.asarray(x)
    return jnp.where(x < xmax, (x / xmax) ** alpha, 1.0)


def weighted_pair_loss(
    params: Sequence[Array], cooc_i: Array, cooc_j: Array, f_x: Array, log_x: Array
) -> Array:
    """The loss summed over pairs, given precomputed weights f(X_ij) and log X_ij, each
    shape (n,)."""
    W, W_tilde, b, b_tilde = params
    pred = jnp.sum(W[cooc_i] * W_tilde[cooc_j], axis=-1) + b[cooc_i] + b_tilde[cooc_j]
    return jnp.sum(f_x * (pred - log_x) ** 2)


def glove_loss(
    params: Sequence[Array],
    cooc_i: Array,
    cooc_j: Array,
    X_ij: Array,
    xmax: float = 100.0,
    alpha: float = 0.75,
) -> Array:
    """The GloVe loss summed over a batch of non-zero co-occurrences.

    params: (W (V, d), W_tilde (V, d), b (V,), b_tilde (V,)); cooc_i, cooc_j: int (n,)
    word and context ids; X_ij: (n,) positive co-occurrence values.
    """
    X_ij = jnp.asarray(X_ij)
    return weighted_pair_loss(
        params, cooc_i, cooc_j, weighting_fn(X_ij, xmax, alpha), jnp.log(X_ij)
    )


def loss_by_loop(
    params: Sequence[Array],
    cooc_i: Array,
    cooc_j: Array,
    X_ij: Array,
    xmax: float = 100.0,
    alpha: float = 0.75,
) -> float:
    """The loss of :func:`glove_loss`, one pair at a time, in plain Python and NumPy
    (float64).

    The definition written out with nothing to get wrong: the reference that the chapter
    and the tests hold the vectorised loss to. Slow (a Python loop over the pairs).
    """
    W, W_tilde, b, b_tilde = (np.asarray(p, dtype=np.float64) for p in params)
    total = 0.0
    for i, j, x in zip(
        np.asarray(cooc_i), np.asarray(cooc_j), np.asarray(X_ij, dtype=np.float64)
    ):
        f = (x / xmax) ** alpha if x < xmax else 1.0
        total += f * (W[i] @ W_tilde[j] + b[i] + b_tilde[j] - np.log(x)) ** 2
    return float(total)


def dense_block_loss(
    W_rows: Array,
    W_tilde: Array,
    b_rows: Array,
    b_tilde: Array,
    f_x: Array,
    log_x: Array,
) -> Array:
    """The same loss over a block of B whole rows of X, computed densely.

    W_rows (B, d) and b_rows (B,) are the block's word vectors and biases; f_x and log_x
    are (B, V) with zeros where X is zero, so those entries add nothing. One matrix
    product gives all B x V predictions; it pays off when X is dense enough
    (see :mod:`glove_lite.training.dense`).
    """
    pred = W_rows @ W_tilde.T + b_rows[:, None] + b_tilde[None, :]
    residual = pred - log_x
    return jnp.sum(f_x * residual * residual)
