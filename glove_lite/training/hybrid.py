"""Dense corner, sparse rest: the frequent words' corner of X by dense tiles, every other non-zero by sparse chunks.

A co-occurrence matrix is far from uniformly sparse. ``build_cooc_matrix`` numbers words by
frequency, so the frequent words fill the top-left corner: on a generated text8-sized X
(V = 112,822, 84.0 M non-zeros, 0.66 % dense overall) X[:5,000, :5,000] is 45 % dense and
X[:15,000, :15,000] 14 %, while the rows beyond 50,000 words are 0.1 % dense. The two parts
have different cheapest forms:

* the **corner** X[:K, :K] is cut into tiles of B rows x K columns, each trained as a dense
  block: one matrix product gives all B x K predictions, two more the gradients;
* every other non-zero goes through the sparse chunks' steps (:mod:`glove_lite.training.sparse`).

A tile step plays one **role**, as a dense block does: as words, the terms (r, c) of its rows r
and the K corner columns c move [w_r, b_r] and [w~_c, b~_c]; as contexts the same terms, read
as (c, r), move [w~_r, b~_r] and [w_c, b_c]. The roles alternate along the epoch's random order
of tiles, the first drawn at random, so every corner word moves about K / 2B times an epoch on
each side. (Moving only a tile's own rows, in both roles, trained far more slowly: a frequent
word then took one step an epoch for its whole corner row; loss after 2 epochs on the
text8-sized X 0.118 against 0.058 for sparse chunks.)

An epoch takes the corner's tiles in a random order, then the rest's chunks in one random order
over its two parts: the first K rows' columns >= K (copied), and X's rows >= K (read in place).
(Taking the two parts one after the other made the loss rise in the second epoch: 0.062 then
0.083, against 0.059 then 0.055 in one order.) K comes from the planner
(:func:`glove_lite.training.plan.best_corner`); the tiles step at the dense blocks' learning
rate, the chunks at the sparse one's.

Memory: the first K rows' non-zeros are copied once, split into the corner and the rest (8 bytes
each); a tile's B x K arrays are built inside its step, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Iterator, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

from glove_lite.errors import GloveLiteError
from glove_lite.training.chunks import ChunkData, Chunks, aligned_zeros, chunk_window, chunks_of_csr, row_pieces, window
from glove_lite.training.optim import OPTIMIZERS, RowOptimizer, row_optimizer
from glove_lite.training.plan import CORNER_ROWS, PIECE_ENTRIES
from glove_lite.training.sparse import TableState, TableStrategy, chunk_as_step, scan_chunks
from glove_lite.training.strategy import Part, Step, register

__all__ = ["CornerPlusChunks", "Corner", "split_corner", "corner_step", "hybrid_epoch"]


@dataclass(frozen=True)
class Corner:
    """The non-zeros of X[:K, :K], tile by tile: tile t holds rows [t B, (t + 1) B).

    x: float32 values; pos: int32 position of each in its tile's B x K array, (r - t B) K + c
    (ascending within a tile); both (nnz + L,), the last L entries zero. ptr: (n_tiles + 1,)
    int32, tile t's entries at [ptr[t], ptr[t + 1]). L: the most non-zeros a tile holds.
    """

    x: np.ndarray
    pos: np.ndarray
    ptr: np.ndarray
    K: int
    B: int
    L: int

    @property
    def n_tiles(self) -> int:
        return self.K // self.B

    def device_arrays(self) -> "CornerData":
        """The arrays a jitted epoch reads; on a CPU x and pos are used in place (they start on a
        64-byte boundary), not copied. They must not change meanwhile."""
        return CornerData(jax.device_put(self.x, may_alias=True), jax.device_put(self.pos, may_alias=True),
                          jnp.asarray(self.ptr))


class CornerData(NamedTuple):
    """What a jitted epoch reads of the corner: x, pos and ptr of :class:`Corner`."""

    x: jax.Array
    pos: jax.Array
    ptr: jax.Array


def split_corner(X: sp.csr_matrix, K: int, B: int = CORNER_ROWS) -> tuple[Corner, tuple]:
    """Split the first K rows of X (CSR, sorted columns) into the corner X[:K, :K] (:class:`Corner`) and the
    rest of those rows, their columns >= K, as ``(indptr, cols, x)`` CSR arrays of a (V, V) matrix whose
    rows >= K are empty (X's own rows >= K lie outside the corner: training reads them in place).

    K must be a multiple of B in [B, V]. Written a piece of rows at a time into preallocated arrays.
    """
    V = X.shape[0]
    if not (B >= 1 and K % B == 0 and B <= K <= V):
        raise GloveLiteError(f"corner K={K} with tiles of B={B} rows; expected a multiple of B between B and V={V}")
    if K * B >= 2**31:
        raise GloveLiteError(f"corner tiles of {B} x {K}; expected fewer than 2**31 cells (int32 positions)")
    indptr = X.indptr.astype(np.int64)
    lengths = np.diff(indptr)
    pieces = row_pieces(indptr, PIECE_ENTRIES)
    # Row r < K keeps its n_c[r] columns below K in the corner: the first ones, columns being sorted.
    n_c = np.zeros(V, np.int64)
    for a, b in pieces:
        if a >= K:
            break
        rows = np.repeat(np.arange(b - a), lengths[a:b])
        n_c[a:b] = np.bincount(rows, weights=X.indices[indptr[a]:indptr[b]] < K, minlength=b - a)
    n_c[K:] = 0
    corner_indptr = np.concatenate([[0], np.cumsum(n_c[:K])])
    nnz_c = int(corner_indptr[-1])
    ptr = corner_indptr[::B]
    L = max(int(np.diff(ptr).max()), 1)
    cx, cpos = aligned_zeros(nnz_c + L, np.float32), aligned_zeros(nnz_c + L, np.int32)
    n_top = np.where(np.arange(V) < K, lengths - n_c, 0)
    tail_indptr = np.concatenate([[0], np.cumsum(n_top)])
    tx, tc = aligned_zeros(int(tail_indptr[-1]), np.float32), aligned_zeros(int(tail_indptr[-1]), np.int32)
    for a, b in pieces:
        if a >= K:
            break
        b = min(b, K)
        p0, p1 = indptr[a], indptr[b]
        row = np.repeat(np.arange(a, b), lengths[a:b])
        in_corner = np.arange(p0, p1) - indptr[row] < n_c[row]
        data, cols = X.data[p0:p1], X.indices[p0:p1]
        c0, t0, nc = corner_indptr[min(a, K)], tail_indptr[a], int(in_corner.sum())
        cx[c0:c0 + nc] = data[in_corner]
        cpos[c0:c0 + nc] = (row[in_corner] % B) * K + cols[in_corner]
        tx[t0:t0 + (p1 - p0) - nc], tc[t0:t0 + (p1 - p0) - nc] = data[~in_corner], cols[~in_corner]
    return Corner(cx, cpos, ptr.astype(np.int32), K, B, L), (tail_indptr, tc, tx)


def corner_step(carry, step, data: CornerData, row_opt: RowOptimizer, x_max: float, alpha: float, L: int, B: int,
                K: int, d: int):
    """One optimizer step on corner tile t, rows R = [t B, (t + 1) B), in one role: ``step`` is (t, role).

    role 0, as words: the terms (r, c), r in R, c < K, move [w_r, b_r] and [w~_c, b~_c];
    role 1, as contexts: the terms (c, r) (X_cr = X_rc) move [w~_r, b~_r] and [w_c, b_c].
    The two are one computation with the tables' sides swapped. Returns the new carry and the tile's loss.
    """
    tables, scalars = carry
    t, role = step
    r0 = t * B
    s, e = data.ptr[t], data.ptr[t + 1]
    x = jax.lax.dynamic_slice(data.x, (s,), (L,))
    live = jnp.arange(L) < e - s
    # Past the tile's end: distinct, ascending positions beyond the tile, which the scatters drop.
    pos = jnp.where(live, jax.lax.dynamic_slice(data.pos, (s,), (L,)), B * K + jnp.arange(L))
    x = jnp.where(live, x, 1.0)
    f_x = jnp.where(x < x_max, (x / x_max) ** alpha, 1.0)

    def dense(values):  # the tile's (B, K) array of values at its non-zeros, zero elsewhere
        return jnp.zeros(B * K, jnp.float32).at[pos].set(values, mode="drop", unique_indices=True,
                                                         indices_are_sorted=True).reshape(B, K)

    F, LOG = dense(f_x), dense(jnp.log(x))
    width = tables.shape[2]
    # Materialise every read of the tables before they are written (see sparse.chunk_step).
    rows = jax.lax.dynamic_slice(tables, (role, r0, 0), (1, B, width))[0]  # the tile's side of its rows
    cols = jax.lax.dynamic_slice(tables, (1 - role, 0, 0), (1, K, width))[0]  # the other side of the K corner words
    rows, cols = jax.lax.optimization_barrier((rows, cols))
    wr, wc = rows[:, :d + 1], cols[:, :d + 1]  # (B, d + 1) and (K, d + 1): [vector, bias]
    diff = wr[:, :d] @ wc[:, :d].T + wr[:, d:] + wc[None, :, d] - LOG
    g = 2 * F * diff  # d loss / d prediction; zero where X is zero (F = 0)
    loss = jnp.sum(F * diff * diff)
    g_rows = jnp.concatenate([g @ wc[:, :d], jnp.sum(g, 1, keepdims=True)], axis=1)
    g_cols = jnp.concatenate([g.T @ wr[:, :d], jnp.sum(g, 0, keepdims=True).T], axis=1)
    has = F > 0
    new_rows, new_scalars = row_opt.step(rows, g_rows, scalars, jnp.any(has, axis=1))
    new_cols, _ = row_opt.step(cols, g_cols, scalars, jnp.any(has, axis=0))
    tables = jax.lax.dynamic_update_slice(tables, new_rows[None], (role, r0, 0))
    tables = jax.lax.dynamic_update_slice(tables, new_cols[None], (1 - role, 0, 0))
    return (tables, new_scalars), loss


class RestData(NamedTuple):
    """The rest's two parts as one sequence of chunks: positions [0, n_a) are part a's (the first K rows'
    columns >= K), [n_a, n_a + n_b) part b's (X's rows >= K). a, b: each part's ChunkData; indptr: (V + 1 + R,)
    row pointers into the joined positions (then R copies of the end); start, lo, first_row: per chunk, where
    its window starts, where the chunk itself starts and the row of its first position. No chunk spans both."""

    a: ChunkData
    b: ChunkData
    n_a: jax.Array
    indptr: jax.Array
    start: jax.Array
    lo: jax.Array
    first_row: jax.Array


def rest_window(data: RestData, k, L: int):
    """:func:`~glove_lite.training.chunks.chunk_window` for :class:`RestData`: read from the part chunk k lies in."""
    s = data.start[k]
    in_a = s < data.n_a
    t_a, t_b = jnp.where(in_a, s, 0), jnp.where(in_a, 0, s - data.n_a)
    x = jnp.where(in_a, window(data.a.x_main, data.a.x_head, data.a.shifts[0], t_a, L),
                  window(data.b.x_main, data.b.x_head, data.b.shifts[0], t_b, L))
    cols = jnp.where(in_a, window(data.a.cols_main, data.a.cols_head, data.a.shifts[1], t_a, L),
                     window(data.b.cols_main, data.b.cols_head, data.b.shifts[1], t_b, L))
    return s, x, cols, jnp.arange(L) >= data.lo[k] - s


@partial(jax.jit, static_argnames=("row_opt", "corner_opt", "x_max", "alpha", "L", "B", "K", "Lt", "Rt"),
         donate_argnames=("state",))
def hybrid_epoch(state: TableState, key, corner: CornerData, rest, row_opt: RowOptimizer, corner_opt: RowOptimizer,
                 x_max: float, alpha: float, L: int, B: int, K: int, Lt: int, Rt: int):
    """One epoch: the corner's tiles in a random order, then the rest's chunks in a random order (``rest``: a
    ChunkData, a :class:`RestData` or None; Lt, Rt its chunks' L and R). ``(state, summed loss)``; the state
    is donated and updated in place."""
    d = row_opt.w - 1
    k_corner, k_role, k_rest = jax.random.split(key, 3)
    step = partial(corner_step, data=corner, row_opt=corner_opt, x_max=x_max, alpha=alpha, L=L, B=B, K=K, d=d)
    n_tiles = K // B
    order = jax.random.permutation(k_corner, n_tiles)
    first = jax.random.bernoulli(k_role).astype(jnp.int32)  # roles alternate along the order, from a random first
    (tables, scalars), losses = jax.lax.scan(step, (state.tables, state.scalars),
                                             (order, (jnp.arange(n_tiles) + first) % 2))
    loss = jnp.sum(losses)
    if rest is not None:
        reader = rest_window if isinstance(rest, RestData) else chunk_window
        tables, scalars, rest_loss = scan_chunks(tables, scalars, k_rest, rest, row_opt, x_max, alpha, Lt, Rt, reader)
        loss = loss + rest_loss
    return TableState(tables, scalars), loss


@dataclass(frozen=True)
class HybridLayout:
    """Everything a hybrid epoch reads: the corner and the rest's chunks, of its non-empty parts (the first
    K rows' columns >= K, copied; X's rows >= K, read in place), and the rest's chunk length L and rows R."""

    corner: Corner
    parts: tuple[Chunks, ...]
    L: int
    R: int

    def rest_arrays(self):
        """What :func:`hybrid_epoch` takes as ``rest``."""
        if not self.parts:
            return None
        if len(self.parts) == 1:
            return self.parts[0].device_arrays()
        a, b = self.parts
        n_a = a.nnz
        starts = np.concatenate([a.start, n_a + b.start.astype(np.int64)])
        lo = np.concatenate([np.arange(a.n_chunks) * self.L, n_a + np.arange(b.n_chunks) * self.L])
        V, K = a.V, self.corner.K
        indptr = np.concatenate([a.indptr[:K + 1], n_a + b.indptr[K + 1:V + 1].astype(np.int64),
                                 np.full(self.R, n_a + b.nnz)])
        first_row = np.concatenate([a.first_row, b.first_row])
        return RestData(a.device_arrays(), b.device_arrays(), jnp.int32(n_a),
                        *(jnp.asarray(v.astype(np.int32)) for v in (indptr, starts, lo, first_row)))


def make_hybrid_layout(X: sp.csr_matrix, K: int, chunk_size: int, B: int = CORNER_ROWS) -> HybridLayout:
    """Split X (CSR, sorted columns) into the corner of K words (tiles of B rows) and the rest's chunks.

    The rest's rows >= K are X's own arrays from row K on (no copy when X holds float32 values and int32
    columns), seen as a (V, V) matrix whose first K rows are empty. Both parts are cut into chunks of one
    length (the least of ``chunk_size`` and each part's non-zeros).
    """
    V = X.shape[0]
    corner, (indptr, cols, x) = split_corner(X, K, B)
    start = int(X.indptr[K])
    rest = (np.concatenate([np.zeros(K, np.int64), X.indptr[K:].astype(np.int64) - start]),
            X.indices[start:], X.data[start:])
    parts = [p for p in ((indptr, cols, x), rest) if p[1].size]
    if not parts:
        return HybridLayout(corner, (), 0, 0)
    L = min([chunk_size] + [p[1].size for p in parts])
    chunks = tuple(chunks_of_csr(*p, V, L) for p in parts)
    return HybridLayout(corner, chunks, L, max(c.R for c in chunks))


@register
class CornerPlusChunks(TableStrategy):
    """The frequent words' corner by dense tiles, the rest by sparse chunks (module docstring)."""

    name = "hybrid"
    summary = "the frequent words' corner of X by dense tiles, every other non-zero by sparse chunks"
    batch_size = 1024  # non-zeros per chunk of the rest
    # The chunks step at the sparse chunks' rate, the tiles at the dense blocks' (a tile, like a block, moves
    # every corner word it reads). Book corpus, 25 epochs, seeds 0-2: tiles 0.2 and chunks 0.5 scored
    # WordSim-353 0.34-0.40, SimLex-999 0.15-0.18, against 0.33-0.43 / 0.13-0.15 with 0.3 for both and
    # 0.36 / 0.07 with 0.5 for both (seed 0).
    learning_rate_defaults = {"adagrad": 0.5}

    def __init__(self, X, config, plan):
        super().__init__(X, config, plan)
        K = plan.corner
        if K < 1:
            raise GloveLiteError(f"method='hybrid' with a corner of {K} words; expected the planner's corner size")
        self.layout = make_hybrid_layout(X, K, plan.batch_size, min(plan.corner_rows, K))
        # An explicit learning rate is used for both; by default the tiles take the optimizer's own default.
        self.corner_lr = config.learning_rate or OPTIMIZERS[config.optimizer].learning_rate
        self.row_opt = row_optimizer(config.optimizer, plan.learning_rate, config.grad_clip, config.dim + 1)
        self.corner_opt = row_optimizer(config.optimizer, self.corner_lr, config.grad_clip, config.dim + 1)
        self._epoch = partial(hybrid_epoch, corner=self.layout.corner.device_arrays(), rest=self.layout.rest_arrays(),
                              row_opt=self.row_opt, corner_opt=self.corner_opt, x_max=float(config.x_max),
                              alpha=float(config.alpha), L=self.layout.corner.L, B=self.layout.corner.B, K=K,
                              Lt=self.layout.L, Rt=self.layout.R)

    @property
    def learning_rates(self) -> dict[str, float]:
        return {"corner tiles": self.corner_lr, "sparse chunks": self.plan.learning_rate}

    @property
    def optimizers(self) -> tuple:
        return (self.row_opt.tx, self.corner_opt.tx)

    def epoch(self, state, key):
        return self._epoch(state, key)

    def steps(self, key) -> Iterator[Step]:
        c = self.layout.corner
        k_corner, k_role, k_rest = jax.random.split(key, 3)
        order = np.asarray(jax.random.permutation(k_corner, c.n_tiles))
        first = int(jax.random.bernoulli(k_role))
        for n, t in enumerate(order):
            role = (n + first) % 2
            lo, hi = int(c.ptr[t]), int(c.ptr[t + 1])
            r = t * c.B + c.pos[lo:hi] // c.K
            col = c.pos[lo:hi] % c.K
            x = c.x[lo:hi]
            tile_rows = np.unique(r)
            touched_cols = np.unique(col)
            if role == 0:
                yield Step((Part(r, col, x, ("W", "b", "W_tilde", "b_tilde")),),
                           (tile_rows, touched_cols, tile_rows, touched_cols), 1)
            else:
                yield Step((Part(col, r, x, ("W", "b", "W_tilde", "b_tilde")),),
                           (touched_cols, tile_rows, touched_cols, tile_rows), 1)
        # The rest: chunk n of the parts joined (part a's chunks first), in one random order.
        joined = [(p, k) for p in self.layout.parts for k in range(p.n_chunks)]
        for n in np.asarray(jax.random.permutation(k_rest, len(joined))):
            p, k = joined[int(n)]
            yield chunk_as_step(p, k)
