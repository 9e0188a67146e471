"""The one reference every strategy is checked against: plain optax steps over the strategy's visiting order.

A strategy describes its epoch as steps (``Strategy.steps``): which non-zeros each step reads,
which parameters they move and which rows step. This module replays those steps the plainest way:
the gradient of each step's terms in float64 NumPy, then one optax update of the whole
``GloveParams`` with that gradient, after which the rows the step does not move get their old
parameters and optimizer state back (a "lazy" step; for AdaGrad it changes nothing, since a zero
gradient leaves a row as it was).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from glove_lite.training import GloveParams

FIELDS = GloveParams._fields  # W, W_tilde, b, b_tilde
MOVES = {"W": "W", "W_tilde": "W_tilde", "b": "b", "b_tilde": "b_tilde"}


def step_gradient(params: GloveParams, step, x_max: float, alpha: float) -> GloveParams:
    """The gradient of the step's terms (each part's, restricted to what it moves, summed): float64 arrays."""
    W, Wt, b, bt = (np.asarray(p, np.float64) for p in params)
    total = {name: np.zeros_like(a) for name, a in zip(FIELDS, (W, Wt, b, bt))}
    for part in step.parts:
        i, j, x = np.asarray(part.i), np.asarray(part.j), np.asarray(part.x, np.float64)
        f = np.where(x < x_max, (x / x_max) ** alpha, 1.0)
        residual = np.sum(W[i] * Wt[j], axis=1) + b[i] + bt[j] - np.log(x)
        g = part.scale * 2 * f * residual
        grads = {"W": (i, g[:, None] * Wt[j]), "W_tilde": (j, g[:, None] * W[i]), "b": (i, g), "b_tilde": (j, g)}
        for name in part.moves:
            rows, values = grads[name]
            np.add.at(total[name], rows, values)
    return GloveParams(*(jnp.asarray(total[name], jnp.float32) for name in FIELDS))


def _lazy(new, old, rows):
    """``new`` where ``rows`` step (None: all), ``old`` elsewhere (for one (V, ...) array)."""
    if rows is None:
        return new
    keep = np.ones(old.shape[0], bool)
    keep[np.asarray(rows, np.int64)] = False
    mask = jnp.asarray(keep).reshape((-1,) + (1,) * (old.ndim - 1))
    return jnp.where(mask, old, new)


def reference_epoch(strategy, params: GloveParams, opt_state, key, x_max: float = 100.0, alpha: float = 0.75):
    """Replay ``strategy.steps(key)`` as plain optax steps from ``(params, opt_state)``: the new pair."""
    txs = strategy.optimizers
    params = GloveParams(*(jnp.asarray(p, jnp.float32) for p in params))
    is_params = lambda leaf: isinstance(leaf, GloveParams)  # noqa: E731
    for step in strategy.steps(key):
        grad = step_gradient(params, step, x_max, alpha)
        updates, new_state = txs[step.tx].update(grad, opt_state, params)
        new_params = optax.apply_updates(params, updates)
        params = GloveParams(*(_lazy(n, o, r) for n, o, r in zip(new_params, params, step.rows)))

        def merge(new, old):
            if isinstance(new, GloveParams):
                return GloveParams(*(_lazy(n, o, r) for n, o, r in zip(new, old, step.rows)))
            return new if step.count else old

        opt_state = jax.tree_util.tree_map(merge, new_state, opt_state, is_leaf=is_params)
    return params, opt_state


def random_symmetric(V: int = 40, density: float = 0.15, seed: int = 1, empty_rows=(7,)):
    """A random symmetric positive matrix with one long row (0), short rows and empty ones (CSR, float64)."""
    import scipy.sparse as sp

    A = sp.random(V, V, density=density, random_state=seed, format="csr") * 60
    A = A + sp.csr_matrix((np.full(V, 30.0), (np.zeros(V, int), np.arange(V))), shape=(V, V))
    X = sp.lil_matrix(A + A.T)
    for r in empty_rows:
        X[r, :] = 0
        X[:, r] = 0
    X = sp.csr_matrix(X)
    X.eliminate_zeros()
    X.sort_indices()
    return X


def random_params(V: int, d: int, seed: int = 0) -> GloveParams:
    """Parameters far from the start, so that every gradient is sizeable."""
    k = jax.random.split(jax.random.PRNGKey(seed), 4)
    return GloveParams(0.3 * jax.random.normal(k[0], (V, d)), 0.3 * jax.random.normal(k[1], (V, d)),
                       0.1 * jax.random.normal(k[2], (V,)), 0.1 * jax.random.normal(k[3], (V,)))
