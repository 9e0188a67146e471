"""Dense corner, sparse tail: the frequent words' tile by matrix products, the rest by sparse updates.

A co-occurrence matrix is far from uniformly sparse. ``build_cooc_matrix`` numbers words by
frequency, so the frequent words fill the top-left corner: on a generated text8-sized X
(V = 112,822, 84.0 M non-zeros, 0.66 % dense overall) the corner X[:15,000, :15,000] holds
31.2 M non-zeros at 14 % density and X[:5,000, :5,000] is 45 % dense, while the tail
beyond 50,000 words is 0.1 % dense. The two parts have different cheapest forms:

* the **corner** X[:K, :K] is cut into tiles of B rows x K columns, each trained as a dense
  block: one matrix product gives all B x K predictions, two more the gradients, so BLAS
  does the work and a zero of X costs a multiply-add, not a gather;
* the **tail** (every other non-zero) is trained by the sparse path's chunk steps
  (:mod:`glove_lite.sparse_train`): O(chunk x d) per step.

The steps differ in what they move, as the dense blocks and the sparse chunks do:

* a tile step, like a dense block, plays one **role**: as words, the terms (r, c) of its rows
  r and the K corner columns c move w_r, b_r and w~_c, b~_c (three matrix products); as
  contexts the same terms, read as (c, r) (X is symmetric), move w~_r, b~_r and w_c, b_c.
  The roles alternate along the epoch's random order of tiles (the first one's role drawn at
  random too), so every corner row is moved
  about K / 2B times an epoch on each side. (Moving only the tile's own rows, in both roles,
  trained much more slowly: a frequent word then took one step an epoch for its whole corner
  row; the loss after 2 epochs on the text8-sized X was 0.118 against 0.058 for sparse updates.)
* a chunk step (the sparse path's) moves the rows it covers, on both sides, and reads the
  vectors of its columns.

Every step applies the optimizer to the rows it moved only (AdaGrad exact, Adam lazy), on one
packed table of parameters and optimizer state (the sparse path's), so checkpoints, callbacks
and ``current_params`` work unchanged. The corner's tiles step at the dense blocks' learning
rate (see ``train.corner_rule``), the chunks at the sparse path's. An epoch takes the corner
tiles in a random order, then the tail's chunks: those of the first K rows (their columns
>= K), then those of the rows >= K, each in a random order.

K is chosen by the cost model (:func:`best_corner`): the corner costs about
CORNER_SECONDS_PER_CELL_D x K^2 x d, the tail SPARSE_SECONDS_PER_NNZ_D x (its non-zeros) x d,
and K (a multiple of B) minimises the sum, from the exact count of non-zeros in every corner
(:func:`corner_profile`, one pass over X).

Memory: the non-zeros of the first K rows are copied once, split into the corner and the
rest (8 bytes each: a float32 value and an int32 column); the rows >= K are read from X's own
arrays in place. The corner tiles are built one at a time inside the step (B x K floats
each), never stored dense.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

from glove_lite.errors import GloveLiteError
from glove_lite.sparse_train import (ChunkData, Chunks, PackedState, SparseRule, _apply_rule, _scan_chunks, _window,
                                      aligned_zeros, chunk_window, chunks_of_csr, row_pieces)

DEFAULT_CORNER_ROWS = 256  # B: rows per corner tile
PIECE_ENTRIES = 1 << 21  # non-zeros per piece of rows when X is scanned or split (host temporaries ~40 bytes each)

# Seconds per epoch on the 2-core CPU of DESIGN.md (AdaGrad, 100 d; train.py has the sparse constant): the
# corner's tiles of B = 256 rows cost about CORNER_SECONDS_PER_CELL_D x K^2 x d. Measured on the generated
# text8-sized X: K = 8,192 1.12 s (1.67e-10), 12,288 2.45 s (1.62e-10), 16,384 4.90 s (1.82e-10); at K = 8,192
# tiles of 128 rows took 2.0e-10 and of 512 rows 2.6e-10.
CORNER_SECONDS_PER_CELL_D = 1.7e-10


def corner_profile(X: sp.csr_matrix) -> np.ndarray:
    """(V + 1,) int64: entry k is the number of non-zeros of X[:k, :k] (the corner of the first k words).

    A non-zero (i, j) lies in the corners k > max(i, j); one pass over X in pieces of rows.
    """
    V = X.shape[0]
    lengths = np.diff(X.indptr)
    hist = np.zeros(V, np.int64)
    for a, b in row_pieces(X.indptr, PIECE_ENTRIES):
        rows = np.repeat(np.arange(a, b, dtype=np.int32), lengths[a:b])
        hist += np.bincount(np.maximum(rows, X.indices[X.indptr[a]:X.indptr[b]]), minlength=V)
    return np.concatenate([[0], np.cumsum(hist)])


def hybrid_seconds(profile: np.ndarray, K: int, dim: int) -> float:
    """The cost model's seconds per epoch with a corner of K words (K = 0: all sparse)."""
    from glove_lite.train import SPARSE_SECONDS_PER_NNZ_D

    nnz = int(profile[-1])
    return (CORNER_SECONDS_PER_CELL_D * float(K) ** 2 * dim
            + SPARSE_SECONDS_PER_NNZ_D * (nnz - int(profile[K])) * dim)


def best_corner(profile: np.ndarray, dim: int, rows: int = DEFAULT_CORNER_ROWS) -> tuple[int, float]:
    """The corner size K (a multiple of ``rows``, 0 for none) with the least modelled time, and that time."""
    V = profile.shape[0] - 1
    Ks = np.arange(0, V + 1, rows)
    seconds = [hybrid_seconds(profile, int(K), dim) for K in Ks]
    k = int(np.argmin(seconds))  # the first (smallest K) of equal times: explicit tie-breaking
    return int(Ks[k]), float(seconds[k])


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
        64-byte boundary, see sparse_train.aligned_zeros), not copied. They must not change meanwhile."""
        return CornerData(jax.device_put(self.x, may_alias=True), jax.device_put(self.pos, may_alias=True),
                          jnp.asarray(self.ptr))


class CornerData(NamedTuple):
    """What a jitted hybrid epoch reads of the corner: x, pos and ptr of :class:`Corner`."""

    x: jax.Array
    pos: jax.Array
    ptr: jax.Array


def split_corner(X: sp.csr_matrix, K: int, B: int = DEFAULT_CORNER_ROWS) -> tuple[Corner, tuple]:
    """Split the first K rows of X (CSR) into the corner X[:K, :K] (:class:`Corner`) and the rest of
    those rows, their columns >= K, as ``(indptr, cols, x)`` CSR arrays of a (V, V) matrix whose rows
    >= K are empty (X's own rows >= K are all outside the corner: training reads them from X in place).

    K must be a multiple of B in [B, V]. Written a piece of rows at a time into preallocated arrays.
    """
    V = X.shape[0]
    if not (B >= 1 and K % B == 0 and B <= K <= V):
        raise GloveLiteError(f"corner K={K} with tiles of B={B} rows; expected a multiple of B between B and V={V}")
    if K * B >= 2**31:
        raise GloveLiteError(f"corner tiles of {B} x {K}; expected fewer than 2**31 cells (int32 positions)")
    if not X.has_sorted_indices:
        X = X.sorted_indices()
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


def _side(block, lo, d: int, w: int, parts: int):
    """Columns [lo, lo + d + 1) of each of the ``parts`` parts of width w of table rows: one side
    ([w, b] at lo = 0, [w~, b~] at lo = d + 1) with its optimizer state, [p | state...]. lo may be traced."""
    n = block.shape[0]
    return jnp.concatenate([jax.lax.dynamic_slice(block, (0, k * w + lo), (n, d + 1)) for k in range(parts)], axis=1)


def _put_side(table, new, row0, lo, d: int, w: int, parts: int):
    """Write :func:`_side`'s layout ``new`` back into the table at rows row0.. (in place)."""
    for k in range(parts):
        table = jax.lax.dynamic_update_slice(table, new[:, k * (d + 1):(k + 1) * (d + 1)], (row0, k * w + lo))
    return table


def _corner_step(carry, step, data: CornerData, rule: SparseRule, x_max: float, alpha: float, L: int, B: int,
                 K: int, d: int):
    """One optimizer step on corner tile t, rows R = [t B, (t + 1) B), in one role: ``step`` is (t, role).

    role 0, as words: the terms (r, c), r in R, c < K, move w_r, b_r and w~_c, b~_c;
    role 1, as contexts: the terms (c, r) (X_cr = X_rc) move w~_r, b~_r and w_c, b_c.
    The two are one computation with the two sides of the table swapped. Returns the new carry
    and the tile's loss.
    """
    table, count = carry
    t, role = step
    w, parts = 2 * d + 2, table.shape[1] // (2 * d + 2)
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
    own, other = role * (d + 1), (1 - role) * (d + 1)  # where the tile's side and the corner's side start
    # Materialise every read of the table before it is written (see sparse_train): the tile's own
    # side and the other side of the K corner rows, each with its optimizer state.
    rows = _side(jax.lax.dynamic_slice(table, (r0, 0), (B, table.shape[1])), own, d, w, parts)
    cols = _side(jax.lax.slice(table, (0, 0), (K, table.shape[1])), other, d, w, parts)
    rows, cols = jax.lax.optimization_barrier((rows, cols))
    wr, wc = rows[:, :d + 1], cols[:, :d + 1]  # (B, d + 1) and (K, d + 1): [vector, bias]
    diff = wr[:, :d] @ wc[:, :d].T + wr[:, d:] + wc[None, :, d] - LOG
    g = 2 * F * diff  # d loss / d prediction; zero where X is zero (F = 0)
    loss = jnp.sum(F * diff * diff)
    g_rows = jnp.concatenate([g @ wc[:, :d], jnp.sum(g, 1, keepdims=True)], axis=1)
    g_cols = jnp.concatenate([g.T @ wr[:, :d], jnp.sum(g, 0, keepdims=True).T], axis=1)
    if rule.kind == "adagrad":  # a zero gradient leaves a row as it was: no mask needed
        touched_rows = touched_cols = None
    else:
        touched_rows = jnp.zeros(B, bool).at[jnp.where(live, pos // K, B)].set(True, mode="drop")
        touched_cols = jnp.zeros(K, bool).at[jnp.where(live, pos % K, K)].set(True, mode="drop")
    count = count + 1
    table = _put_side(table, _apply_rule(rule, rows, g_rows, touched_rows, count), r0, own, d, w, parts)
    table = _put_side(table, _apply_rule(rule, cols, g_cols, touched_cols, count), 0, other, d, w, parts)
    return (table, count), loss


class TailData(NamedTuple):
    """The tail's two parts as one sequence of chunks: positions [0, n_a) are part a's (the first K rows'
    columns >= K), [n_a, n_a + n_b) part b's (X's rows >= K). a, b: each part's ChunkData (its values
    and columns); indptr: (V + 1 + R,) row pointers into the joined positions (then R copies of the
    end); start, lo, first_row: per chunk, where its window starts, where the chunk itself starts (the
    last chunk of a part reaches back) and the row of its first position. No chunk spans both parts."""

    a: ChunkData
    b: ChunkData
    n_a: jax.Array
    indptr: jax.Array
    start: jax.Array
    lo: jax.Array
    first_row: jax.Array


def _tail_window(data: TailData, k, L: int):
    """:func:`glove_lite.sparse_train.chunk_window` for :class:`TailData`: read from the part chunk k lies in."""
    s = data.start[k]
    in_a = s < data.n_a
    t_a, t_b = jnp.where(in_a, s, 0), jnp.where(in_a, 0, s - data.n_a)
    x = jnp.where(in_a, _window(data.a.x_main, data.a.x_head, data.a.shifts[0], t_a, L),
                  _window(data.b.x_main, data.b.x_head, data.b.shifts[0], t_b, L))
    cols = jnp.where(in_a, _window(data.a.cols_main, data.a.cols_head, data.a.shifts[1], t_a, L),
                     _window(data.b.cols_main, data.b.cols_head, data.b.shifts[1], t_b, L))
    return s, x, cols, jnp.arange(L) >= data.lo[k] - s


@partial(jax.jit, static_argnames=("rule", "corner_rule", "x_max", "alpha", "L", "B", "K", "Lt", "Rt"),
         donate_argnames=("state",))
def hybrid_epoch(state: PackedState, key, corner: CornerData, tail, rule: SparseRule, corner_rule: SparseRule,
                 x_max: float, alpha: float, L: int, B: int, K: int, Lt: int, Rt: int):
    """One epoch: the corner tiles in a random order, then the tail's chunks in a random order (``tail``:
    a ChunkData, a :class:`TailData` or None; Lt, Rt its chunks' L and R). ``(state, summed loss)``;
    the state (the sparse path's packed table) is donated and updated in place."""
    d = (state.table.shape[1] // (2 if rule.kind == "adagrad" else 3) - 2) // 2
    k_corner, k_role, k_tail = jax.random.split(key, 3)
    step = partial(_corner_step, data=corner, rule=corner_rule, x_max=x_max, alpha=alpha, L=L, B=B, K=K, d=d)
    n_tiles = K // B
    order = jax.random.permutation(k_corner, n_tiles)
    first = jax.random.bernoulli(k_role).astype(jnp.int32)  # roles alternate along the order, from a random first
    (table, count), losses = jax.lax.scan(step, (state.table, state.count), (order, (jnp.arange(n_tiles) + first) % 2))
    loss = jnp.sum(losses)
    if tail is not None:
        # One random order over all the tail's chunks: taking the two parts one after the other (all
        # of the first K rows' chunks, then the rest) made the loss rise in the second epoch on the
        # text8-sized X (0.062 then 0.083, against 0.059 then 0.055 in one order).
        window = _tail_window if isinstance(tail, TailData) else chunk_window
        table, count, tail_loss = _scan_chunks(table, count, k_tail, tail, rule, x_max, alpha, Lt, Rt, window)
        loss = loss + tail_loss
    return PackedState(table, count), loss


@dataclass(frozen=True)
class HybridData:
    """Everything a hybrid run reads: the corner and the tail's chunks, of its two parts (the first K
    rows' columns >= K, copied; X's rows >= K, read in place) when both hold non-zeros."""

    corner: Corner
    parts: tuple[Chunks, ...]  # the non-empty parts, in that order
    L: int  # the tail's chunk length and most rows per window
    R: int

    def tail_arrays(self):
        """What :func:`hybrid_epoch` takes as ``tail``."""
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
        return TailData(a.device_arrays(), b.device_arrays(), jnp.int32(n_a),
                        *(jnp.asarray(v.astype(np.int32)) for v in (indptr, starts, lo, first_row)))

    def epoch_fn(self, rule: SparseRule, x_max: float, alpha: float, corner_rule: SparseRule | None = None):
        """``(state, key) -> (state, summed loss)`` on this data (a partial of :func:`hybrid_epoch`): the
        tail's chunks step by ``rule``, the corner's tiles by ``corner_rule`` (default: the same)."""
        return partial(hybrid_epoch, corner=self.corner.device_arrays(), tail=self.tail_arrays(), rule=rule,
                       corner_rule=corner_rule or rule, x_max=x_max, alpha=alpha,
                       L=self.corner.L, B=self.corner.B, K=self.corner.K, Lt=self.L, Rt=self.R)


def make_hybrid_data(X: sp.csr_matrix, K: int, chunk_size: int, B: int = DEFAULT_CORNER_ROWS) -> HybridData:
    """Split X into the corner of K words (tiles of B rows) and the tail's chunks of ``chunk_size`` non-zeros.

    The tail's rows >= K are X's own arrays from row K on (no copy when X holds float32 values and
    int32 columns), seen as a (V, V) matrix whose first K rows are empty. Both parts are cut into
    chunks of the same length (the least of ``chunk_size`` and each part's non-zeros).
    """
    X = sp.csr_matrix(X)
    if not X.has_sorted_indices:
        X = X.sorted_indices()
    V = X.shape[0]
    corner, (indptr, cols, x) = split_corner(X, K, B)
    start = int(X.indptr[K])
    rest = (np.concatenate([np.zeros(K, np.int64), X.indptr[K:].astype(np.int64) - start]),
            X.indices[start:], X.data[start:])
    parts = [p for p in ((indptr, cols, x), rest) if p[1].size]
    if not parts:
        return HybridData(corner, (), 0, 0)
    L = min([chunk_size] + [p[1].size for p in parts])
    chunks = tuple(chunks_of_csr(*p, V, L) for p in parts)
    return HybridData(corner, chunks, L, max(c.R for c in chunks))
