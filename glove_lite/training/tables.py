"""Packed tables: the layout the sparse strategies train on.

A word has two sides, its word vector and bias [w, b] and its context vector and bias [w~, b~].
The strategies that update only the rows a step touches keep both sides of every word in one
array ``tables`` of shape (2, V, (d + 1)(1 + k)): ``tables[0, r]`` is [w_r, b_r | the optimizer's
k per-element arrays for them], ``tables[1, r]`` the same for [w~_r, b~_r]. A step reads the
rows it needs with one slice or gather, gives them to the optax transformation through
:class:`~glove_lite.training.optim.RowOptimizer` (rows of width w = d + 1) and writes them back
in place. The optimizer's scalar state (Adam's step count) travels beside the tables.

:func:`pack` and :func:`unpack` convert to and from ``(GloveParams, optax state)``, the form
checkpoints store (:mod:`glove_lite.training.strategy`).
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from glove_lite.training.config import GloveParams
from glove_lite.training.optim import RowOptimizer

__all__ = ["pack", "unpack", "params_of"]


def _side(vectors: jax.Array, biases: jax.Array) -> jax.Array:
    return jnp.concatenate([vectors, biases[:, None]], axis=1)


@partial(jax.jit, static_argnames=("row_opt",))
def pack(row_opt: RowOptimizer, params: GloveParams, opt_state) -> tuple[jax.Array, tuple]:
    """``(tables (2, V, width), scalars)`` from parameters and the optax state of ``row_opt.tx`` for them."""
    per_row, scalars = row_opt.split_full_state(opt_state, params)
    sides = [[_side(params.W, params.b)], [_side(params.W_tilde, params.b_tilde)]]
    for s in per_row:
        sides[0].append(_side(s.W, s.b))
        sides[1].append(_side(s.W_tilde, s.b_tilde))
    return jnp.stack([jnp.concatenate(sides[0], axis=1), jnp.concatenate(sides[1], axis=1)]), tuple(scalars)


@partial(jax.jit, static_argnames=("row_opt",))
def unpack(row_opt: RowOptimizer, tables: jax.Array, scalars: tuple) -> tuple[GloveParams, object]:
    """The inverse of :func:`pack`: ``(params, opt_state)``."""
    w = row_opt.w
    d = w - 1

    def arrays(m: int) -> GloveParams:
        words, contexts = tables[0, :, m * w:(m + 1) * w], tables[1, :, m * w:(m + 1) * w]
        return GloveParams(words[:, :d], contexts[:, :d], words[:, d], contexts[:, d])

    params = arrays(0)
    return params, row_opt.full_state([arrays(m + 1) for m in range(row_opt.k)], scalars)


@partial(jax.jit, static_argnames=("d",))
def params_of(tables: jax.Array, d: int) -> GloveParams:
    """The parameters held in ``tables`` (a copy of V (2d + 2) floats)."""
    return GloveParams(tables[0, :, :d], tables[1, :, :d], tables[0, :, d], tables[1, :, d])
