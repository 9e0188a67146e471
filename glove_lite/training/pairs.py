"""Shuffled pairs: the paper's recipe. Every non-zero in a new random order, a batch of them per step.

Pennington et al. visit the non-zeros of X in a random order and take one AdaGrad step per
non-zero on w_i, w~_j, b_i and b~_j only. A step here takes a batch of n non-zeros (i, j) at once:
it gathers the word side [w_i, b_i] and the context side [w~_j, b~_j] of each, computes every
term's gradient, and steps the rows it read (:class:`~glove_lite.training.optim.RowOptimizer`);
a row that the batch holds several times takes one step with the sum of its gradients. A step
costs O(n d), never O(V d). It is the plainest way to visit X and the slowest on a CPU (every
row is a gather and a scatter), which is why the other strategies exist.
"""

from __future__ import annotations

from functools import partial
from typing import Iterator

import jax
import jax.numpy as jnp
import numpy as np

from glove_lite.cooccur import cooc_matrix_to_arrays
from glove_lite.loss import weighting_fn
from glove_lite.training.optim import RowOptimizer, row_optimizer
from glove_lite.training.sparse import TableState, TableStrategy
from glove_lite.training.strategy import Part, Step, register

__all__ = ["ShuffledPairs", "pairs_step", "pairs_epoch", "epoch_order"]


def _totals(grad: jax.Array, ids: jax.Array) -> jax.Array:
    """Each position's gradient replaced by the sum over the positions with the same id: (n, w)."""
    order = jnp.argsort(ids, stable=True)
    sorted_ids = ids[order]
    segment = jnp.cumsum(jnp.concatenate([jnp.zeros(1, jnp.int32), (sorted_ids[1:] != sorted_ids[:-1]).astype(jnp.int32)]))
    sums = jax.ops.segment_sum(grad[order], segment, num_segments=ids.shape[0], indices_are_sorted=True)
    return jnp.zeros_like(grad).at[order].set(sums[segment])


def pairs_step(carry, batch, row_opt: RowOptimizer):
    """One step on a batch of non-zeros: (i, j, f(X_ij), log X_ij), each (n,); row id V pads (f = 0, not moved).

    Returns the new (tables, scalars) and the batch's loss.
    """
    tables, scalars = carry
    i, j, f_x, log_x = batch
    d = row_opt.w - 1
    words = tables.at[0, i].get(mode="fill", fill_value=0.0)  # (n, width): [w_i, b_i | optimizer state]
    contexts = tables.at[1, j].get(mode="fill", fill_value=0.0)
    words, contexts = jax.lax.optimization_barrier((words, contexts))
    diff = jnp.sum(words[:, :d] * contexts[:, :d], axis=1) + words[:, d] + contexts[:, d] - log_x
    g = 2 * f_x * diff  # d loss / d prediction
    one = jnp.ones((i.shape[0], 1), jnp.float32)
    g_words = _totals(g[:, None] * jnp.concatenate([contexts[:, :d], one], 1), i)
    g_contexts = _totals(g[:, None] * jnp.concatenate([words[:, :d], one], 1), j)
    new_words, new_scalars = row_opt.step(words, g_words, scalars)
    new_contexts, _ = row_opt.step(contexts, g_contexts, scalars)
    # A row held several times computed the same new row each time, so which write lands does not matter.
    tables = tables.at[0, i].set(new_words, mode="drop").at[1, j].set(new_contexts, mode="drop")
    return (tables, new_scalars), jnp.sum(f_x * diff * diff)


@partial(jax.jit, static_argnames=("row_opt", "batch_size"), donate_argnames=("state",))
def pairs_epoch(state: TableState, order, pairs, row_opt: RowOptimizer, batch_size: int):
    """One pass over all non-zeros in ``order`` (a permutation of range(nnz)), ``batch_size`` at a time.

    pairs: (i, j, f(X_ij), log X_ij) for every non-zero, each (nnz,). ``(state, summed loss)``.
    """
    n = pairs[0].shape[0]
    V = state.tables.shape[1]
    n_batches = -(-n // batch_size)
    order = jnp.concatenate([order, jnp.full((n_batches * batch_size - n,), n, order.dtype)])
    pad = (V, V, 0.0, 0.0)  # position n: row V (dropped by the scatters) with f = 0
    batches = tuple(jnp.append(a, p)[order].reshape(n_batches, batch_size) for a, p in zip(pairs, pad))
    (tables, scalars), losses = jax.lax.scan(partial(pairs_step, row_opt=row_opt), (state.tables, state.scalars),
                                             batches)
    return TableState(tables, scalars), jnp.sum(losses)


def epoch_order(key: jax.Array, nnz: int) -> np.ndarray:
    """The epoch's random order of the non-zeros, drawn on the host from ``key`` (``jax.random.permutation``
    of tens of millions takes seconds on a CPU): (nnz,) int32."""
    seed = np.asarray(jax.random.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key)
    return np.random.default_rng(seed.astype(np.uint32).tolist()).permutation(nnz).astype(np.int32)


@register
class ShuffledPairs(TableStrategy):
    """The paper's recipe (see the module docstring)."""

    name = "pairs"
    summary = "the paper's recipe: every non-zero in a new random order, a batch per step (slow on a CPU)"
    batch_size = 1024  # non-zeros per step
    copies_x = True
    needs_symmetric = False  # each non-zero (i, j) moves w_i and w~_j: any X will do

    def __init__(self, X, config, plan):
        super().__init__(X, config, plan)
        i, j, x = cooc_matrix_to_arrays(X)
        self.pairs = (jnp.asarray(i), jnp.asarray(j), weighting_fn(x.astype(np.float32), config.x_max, config.alpha),
                      jnp.asarray(np.log(x), jnp.float32))
        self.row_opt = row_optimizer(config.optimizer, plan.learning_rate, config.grad_clip, config.dim + 1)

    def epoch(self, state, key):
        order = jnp.asarray(epoch_order(key, self.pairs[0].size))
        return pairs_epoch(state, order, self.pairs, self.row_opt, self.plan.batch_size)

    def steps(self, key) -> Iterator[Step]:
        i, j, x = cooc_matrix_to_arrays(self.X)
        order = epoch_order(key, self.X.nnz)
        n = self.plan.batch_size
        for a in range(0, order.size, n):
            sel = order[a:a + n]
            yield Step((Part(i[sel], j[sel], x[sel].astype(np.float32), ("W", "b", "W_tilde", "b_tilde")),),
                       (np.unique(i[sel]), np.unique(j[sel]), np.unique(i[sel]), np.unique(j[sel])))
