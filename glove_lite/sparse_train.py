"""Sparse-update training: each step costs O(batch x d), not O(V x d).

The non-zeros of X are taken in CSR order (row by row, columns ascending within a row)
and cut into **chunks** of L consecutive non-zeros; an epoch visits the chunks in a
random order, one optimizer step per chunk. A chunk covers a short run of consecutive
rows R, so the vectors it updates are one contiguous slice of each table: reading and
writing them back is a ``dynamic_slice`` / ``dynamic_update_slice``, never a scatter.

X being symmetric, the non-zeros of rows R are also those of columns R. A chunk's step
therefore updates the rows R of *both* W and W_tilde with their exact gradients:

* as words, the terms f(X_rc) (w_r . w~_c + b_r + b~_c - log X_rc)^2 give the gradient
  of J with respect to w_r and b_r;
* as contexts, the terms f(X_cr) (w_c . w~_r + b_c + b~_r - log X_cr)^2, with
  X_cr = X_rc, give the gradient with respect to w~_r and b~_r.

Each non-zero costs one gather of [w_c, b_c, w~_c, b~_c] (the parameters of its column,
side by side in one table row) and two dot products; the rows' gradients are sums over
sorted segments. Nothing else moves: the columns' vectors are read, not written, so no
scatter and no search for duplicate columns is needed. Over an epoch every term of J
contributes once to the gradient of each of its two vectors, as in the C tool, where a
step on the pair (i, j) moves w_i and w~_j.

The optimizer is applied to the touched rows only (all-zero gradients elsewhere):

* AdaGrad is **exact**: a step equals the dense optax step (clip, then AdaGrad) whose
  gradient is the chunk's gradient with respect to the rows R of W, b, W_tilde and
  b_tilde, and zero elsewhere; an untouched row's update is zero in both.
* Adam is **lazy** (as TensorFlow's ``LazyAdam``): only the touched rows' moments decay
  and update, with the bias correction of the global step count; dense Adam would keep
  moving every row with its decaying momentum. The two agree on steps that touch every row.

Memory: per non-zero a float32 value and an int32 column (8 bytes). When X already holds
them as float32 and int32 (CSR), the device uses X's own arrays in place: XLA's CPU client
takes a host array without copying when it starts on a 64-byte boundary, so the device
arrays start at the first such boundary inside X's arrays (at most 15 elements in) and the
few positions before it are read from a small copy (see :func:`_window`). Otherwise (float64
values, say) one float32 / int32 copy is made. One packed table (V, (1 + s) 2 (d + 1))
float32 holds the parameters and the optimizer state (s = 1 for AdaGrad, 2 for Adam) and is
updated in place. Nothing is O(V^2) and nothing is padded to the longest row.

Speed and quality (2-core CPU, 100 d, chunks of 1,024): about 3 M non-zeros per second
(27-30 s per epoch on a generated text8-sized X of 84 M non-zeros; glove-python's
trainer 100 s). A chunk gives each of its rows one update with the sum of its gradients,
so rare words get few, large steps per epoch; AdaGrad's default learning rate here is
0.5 (see train.DEFAULT_SPARSE_LEARNING_RATE): on the book's corpus 25 epochs scored
WordSim-353 0.40, SimLex-999 0.14, analogies 3.6 % (dense blocks 0.40, 0.17, 6.9 % in a
quarter of the time, so dense stays the choice there).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

from glove_lite.cooccur import cooc_matrix_to_arrays
from glove_lite.errors import GloveLiteError, TrainingDivergedError
from glove_lite.loss import weighting_fn


class SparseRule(NamedTuple):
    """The optimizer a sparse step applies (hashable: a static argument of the jitted epoch).

    kind: "adagrad" or "adam"; lr: learning rate; clip: element-wise gradient clip or None;
    initial_accumulator: AdaGrad's starting squared-gradient sum; eps: AdaGrad's or
    Adam's epsilon; b1, b2: Adam's decay rates.
    """

    kind: str
    lr: float
    clip: float | None
    initial_accumulator: float = 1.0
    eps: float = 1e-8
    b1: float = 0.9
    b2: float = 0.999


class SparseOptState(NamedTuple):
    """Optimizer state of the sparse path, each a 4-tuple shaped like (W, W_tilde, b, b_tilde).

    AdaGrad: ``first`` holds the squared-gradient sums and ``second`` is None. Lazy Adam:
    ``first`` the first moments, ``second`` the second moments. ``count`` (int32 scalar)
    is the number of steps taken (Adam's bias correction).
    """

    first: tuple
    second: tuple | None
    count: jax.Array


def init_sparse_state(rule: SparseRule, params) -> SparseOptState:
    """The optimizer state for ``params`` before the first step (as optax would start it)."""
    count = jnp.zeros([], jnp.int32)
    if rule.kind == "adagrad":
        return SparseOptState(tuple(jnp.full_like(p, rule.initial_accumulator) for p in params), None, count)
    return SparseOptState(tuple(jnp.zeros_like(p) for p in params), tuple(jnp.zeros_like(p) for p in params), count)


@dataclass(frozen=True)
class Chunks:
    """The non-zeros of X in CSR order, read in windows of L.

    x: (nnz,) float32 values; cols: (nnz,) int32 column ids; indptr: (V + 1 + R,) int32 CSR
    row pointers, then R copies of nnz. Chunk k covers positions [k L, min((k + 1) L, nnz)); it is read from the
    window of L positions starting at ``start[k]`` (= k L, moved back for the last chunk
    so the window stays inside the arrays; positions before k L are masked out), and
    ``first_row[k]`` is the row of position ``start[k]``. R (static) is the most rows any
    window spans.
    """

    x: np.ndarray
    cols: np.ndarray
    indptr: np.ndarray
    start: np.ndarray
    first_row: np.ndarray
    L: int
    R: int
    V: int

    @property
    def n_chunks(self) -> int:
        return self.start.shape[0]

    @property
    def nnz(self) -> int:
        return self.x.shape[0]

    def device_arrays(self) -> "ChunkData":
        """The arrays a jitted epoch takes (:class:`ChunkData`); x and cols without a copy where they can be."""
        x_main, x_head, x_shift = device_view(self.x, self.L)
        c_main, c_head, c_shift = device_view(self.cols, self.L)
        return ChunkData(x_main, x_head, c_main, c_head, jnp.array([x_shift, c_shift], jnp.int32),
                         *(jnp.asarray(a) for a in (self.indptr, self.start, self.first_row)))


class ChunkData(NamedTuple):
    """What a jitted sparse epoch reads: X's values and columns, each as ``main`` (positions shift ..
    nnz - 1, usually X's own memory) and ``head`` (a copy of positions 0 .. L + HEAD - 1), the two
    shifts (2,) int32, then the row pointers, window starts and first rows of :class:`Chunks`."""

    x_main: jax.Array
    x_head: jax.Array
    cols_main: jax.Array
    cols_head: jax.Array
    shifts: jax.Array
    indptr: jax.Array
    start: jax.Array
    first_row: jax.Array


ALIGN = 64  # bytes: XLA's CPU client uses a host array in place when it starts on such a boundary
HEAD = ALIGN // 4  # a 4-byte array reaches that boundary within its first HEAD elements


def aligned_zeros(shape: int | tuple, dtype) -> np.ndarray:
    """A zero array of ``shape`` starting on a 64-byte boundary (``jax.device_put`` on a CPU then uses it in place)."""
    dtype, shape = np.dtype(dtype), (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    buf = np.zeros(int(np.prod(shape)) * dtype.itemsize + ALIGN, np.uint8)
    skip = (-buf.ctypes.data) % ALIGN
    return buf[skip:skip + int(np.prod(shape)) * dtype.itemsize].view(dtype).reshape(shape)


def device_view(a: np.ndarray, L: int) -> tuple[jax.Array, jax.Array, int]:
    """A (n,) 4-byte array as (main, head, shift) for :func:`_window`, with no copy of ``a`` on a CPU.

    main is ``a[shift:]``, shift (< HEAD) chosen so that it starts on a 64-byte boundary
    (``jax.device_put`` then aliases it); head is a copy of ``a[:L + HEAD]``. An array shorter
    than that is copied whole and serves as both (shift 0). ``a`` must not change while the
    device arrays are in use.
    """
    if not (a.flags.c_contiguous and a.flags.aligned):
        a = np.ascontiguousarray(a)
    n_head = min(a.shape[0], L + HEAD)
    head = jnp.array(a[:n_head])
    if n_head < L + HEAD:
        return head, head, 0
    shift = (-a.ctypes.data) % ALIGN // a.itemsize
    return jax.device_put(a[shift:], may_alias=True), head, int(shift)


def _window(main, head, shift, s, L: int):
    """Positions s .. s + L - 1 of an array held as :func:`device_view` holds it: (L,)."""
    from_head = jax.lax.dynamic_slice(head, (jnp.minimum(s, head.shape[0] - L),), (L,))
    from_main = jax.lax.dynamic_slice(main, (jnp.maximum(s - shift, 0),), (L,))
    return jnp.where(s < HEAD, from_head, from_main)


PIECE_ENTRIES = 1 << 22  # non-zeros per piece of rows in check_symmetric


def row_pieces(indptr: np.ndarray, entries: int) -> list[tuple[int, int]]:
    """Consecutive, non-empty ranges of rows [a, b) of a CSR matrix holding about ``entries`` non-zeros
    each (a single longer row is a piece of its own): work a piece at a time keeps temporaries O(entries)."""
    V, nnz = len(indptr) - 1, int(indptr[-1])
    cuts = np.searchsorted(indptr, np.arange(entries, nnz, entries), side="right")
    return [(int(a), int(b)) for a, b in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [V]])) if a < b]


def check_symmetric(X: sp.csr_matrix, seed: int = 0) -> None:
    """Raise :class:`GloveLiteError` unless X equals its transpose (tested on two random vectors).

    X @ v and X.T @ v agree for random v (to float rounding) exactly when X is symmetric,
    with probability one; this costs two sparse products, no transposed copy, in pieces of
    about PIECE_ENTRIES non-zeros (memory O(piece), whatever X's dtype).
    """
    rng = np.random.default_rng(seed)
    X = sp.csr_matrix(X)
    V = X.shape[0]
    # Float64 products a piece of rows at a time: X @ v on a float32 X would make scipy upcast
    # all of X's values (8 bytes per non-zero, the largest allocation of a sparse run).
    bounds = row_pieces(X.indptr, PIECE_ENTRIES)
    for _ in range(2):
        v = rng.standard_normal(V)
        a, b = np.zeros(V), np.zeros(V)
        for lo, hi in bounds:
            piece = X[lo:hi].astype(np.float64)
            a[lo:hi] = piece @ v
            b += piece.T @ v[lo:hi]
        if not np.allclose(a, b, rtol=1e-5, atol=1e-8 * float(np.abs(a).max() + 1)):
            raise GloveLiteError("X is not symmetric; method='sparse' (and 'dense') expect a symmetric "
                                 "co-occurrence matrix such as build_cooc_matrix makes")


def make_chunks(X: sp.csr_matrix, chunk_size: int) -> Chunks:
    """Describe chunks of ``chunk_size`` consecutive non-zeros of X (CSR with sorted indices)."""
    X = sp.csr_matrix(X)
    if not X.has_sorted_indices:
        X = X.sorted_indices()
    return chunks_of_csr(X.indptr, X.indices, X.data, X.shape[0], chunk_size)


def chunks_of_csr(indptr: np.ndarray, cols: np.ndarray, x: np.ndarray, V: int, chunk_size: int) -> Chunks:
    """:func:`make_chunks` on the CSR arrays of a (V, V) matrix (columns sorted within each row).

    float32 values and int32 columns are used as they are (no copy); others are converted.
    """
    nnz = int(indptr[-1])
    if nnz >= 2**31:
        raise GloveLiteError(f"X has {nnz:,} non-zeros; expected fewer than 2**31 (int32 positions)")
    L = int(min(chunk_size, nnz))
    n_chunks = -(-nnz // L)
    indptr = np.asarray(indptr, np.int64)
    start = np.minimum(np.arange(n_chunks, dtype=np.int64) * L, nnz - L)
    first_row = np.searchsorted(indptr, start, side="right") - 1
    last_row = np.searchsorted(indptr, start + L - 1, side="right") - 1
    R = int((last_row - first_row).max()) + 1
    # R copies of nnz after the row pointers: a window's slice of R row ends never runs off the end.
    indptr_padded = np.concatenate([indptr, np.full(R, nnz)]).astype(np.int32)
    return Chunks(np.asarray(x, np.float32), np.asarray(cols).astype(np.int32, copy=False), indptr_padded,
                  start.astype(np.int32), first_row.astype(np.int32), L, R, V)


# ----------------------------------------------------------------------------- tables

class PackedState(NamedTuple):
    """The sparse method's optimizer state as training carries it: the packed table and the step count.

    The table holds the parameters too (see :func:`pack_tables`); :func:`params_of` reads them.
    """

    table: jax.Array
    count: jax.Array


def pack_tables(params, state: SparseOptState):
    """One table (V, n (2 d + 2)): [W, b, W_tilde, b_tilde | the same for each state moment].

    A row holds a word's parameters and their optimizer state side by side, so one slice
    reads (and one ``dynamic_update_slice`` writes) both.
    """
    parts = [params, state.first] + ([state.second] if state.second is not None else [])
    cols = []
    for W, Wt, b, bt in parts:
        cols += [W, b[:, None], Wt, bt[:, None]]
    return jnp.concatenate(cols, axis=1)


def unpack_tables(table, V: int, d: int, count):
    """The inverse of :func:`pack_tables`: (params, state)."""
    w = 2 * d + 2

    def split(s):
        t = table[:V, s * w:(s + 1) * w]
        return t[:, :d], t[:, d + 1:2 * d + 1], t[:, d], t[:, 2 * d + 1]

    n = table.shape[1] // w
    return split(0), SparseOptState(split(1), split(2) if n == 3 else None, count)


# ----------------------------------------------------------------------------- one step

def _apply_rule(rule: SparseRule, rows, grad, touched, count):
    """One optimizer step on table rows [p | state...] (n, k w) with gradient ``grad`` (n, w).

    AdaGrad needs no mask: a zero gradient leaves p and the squared-gradient sum exactly as
    they were. Lazy Adam keeps the rows with ``touched`` false unchanged.
    """
    w = grad.shape[1]
    p = rows[:, :w]
    if rule.clip is not None:
        grad = jnp.clip(grad, -rule.clip, rule.clip)
    if rule.kind == "adagrad":
        acc = rows[:, w:] + grad * grad
        inv = jnp.where(acc > 0, jax.lax.rsqrt(acc + rule.eps), 0.0)
        return jnp.concatenate([p + (-rule.lr) * (inv * grad), acc], axis=1)
    t = count.astype(jnp.float32)
    m = rule.b1 * rows[:, w:2 * w] + (1 - rule.b1) * grad
    v = rule.b2 * rows[:, 2 * w:] + (1 - rule.b2) * grad * grad
    m_hat, v_hat = m / (1 - rule.b1 ** t), v / (1 - rule.b2 ** t)
    new = jnp.concatenate([p + (-rule.lr) * (m_hat / (jnp.sqrt(v_hat) + rule.eps)), m, v], axis=1)
    return jnp.where(touched[:, None], new, rows)


def _rows_of_window(indptr, r0, s, L: int, R: int):
    """Row of each position s .. s + L - 1, minus r0 (the row of s): (L,) int32, non-decreasing."""
    ends = jax.lax.dynamic_slice(indptr, (r0 + 1,), (R,)) - s  # where rows r0 .. r0 + R - 1 end, in window coordinates
    marks = jnp.zeros(L + 1, jnp.int32).at[jnp.clip(ends, 0, L)].add(1)
    return jnp.cumsum(marks[:L])


def chunk_window(data: "ChunkData", k, L: int):
    """Chunk k's window of L positions of a :class:`ChunkData`: its start s, values x (L,), columns (L,)
    and which positions belong to the chunk (L,) bool."""
    s = data.start[k]
    x = _window(data.x_main, data.x_head, data.shifts[0], s, L)
    cols = _window(data.cols_main, data.cols_head, data.shifts[1], s, L)
    return s, x, cols, jnp.arange(L) >= k * L - s  # the last window reaches back into the chunk before it


def _chunk_step(carry, k, data, rule: SparseRule, x_max: float, alpha: float, L: int, R: int, d: int,
                window=chunk_window):
    """One optimizer step on chunk k: the new (table, count) and the chunk's loss.

    ``window(data, k, L)`` reads the chunk (:func:`chunk_window`); ``data`` also holds the row
    pointers ``indptr`` of its positions and each chunk's ``first_row``.
    """
    table, count = carry
    w = 2 * d + 2
    s, x, cols, live = window(data, k, L)
    r0 = data.first_row[k]
    rl = _rows_of_window(data.indptr, r0, s, L, R)

    r0_slice = jnp.minimum(r0, table.shape[0] - R)  # where the R-row slice starts (kept inside the table)
    rl = rl + (r0 - r0_slice)
    rows = jax.lax.dynamic_slice(table, (r0_slice, 0), (R, table.shape[1]))
    pc = table[cols, :w]  # (L, w): [w_c, b_c, w~_c, b~_c]
    # Materialise every read of the table before it is written: a fusion reading the table
    # after its in-place update would make XLA copy the whole table every step.
    pc, rows = jax.lax.optimization_barrier((pc, rows))
    pr = rows[rl, :w]  # the same for each position's row r
    one = jnp.ones((L, 1), jnp.float32)
    pred_w = jnp.sum(pr[:, :d] * pc[:, d + 1:2 * d + 1], axis=1) + pr[:, d] + pc[:, 2 * d + 1]
    pred_c = jnp.sum(pc[:, :d] * pr[:, d + 1:2 * d + 1], axis=1) + pc[:, d] + pr[:, 2 * d + 1]
    log_x = jnp.log(jnp.where(live, x, 1.0))
    f_x = jnp.where(live, jnp.where(x < x_max, (x / x_max) ** alpha, 1.0), 0.0)
    diff_w, diff_c = pred_w - log_x, pred_c - log_x
    loss = 0.5 * jnp.sum(f_x * (diff_w * diff_w + diff_c * diff_c))
    # d/d[w_r, b_r] = 2 f diff_w [w~_c, 1]; d/d[w~_r, b~_r] = 2 f diff_c [w_c, 1].
    grad_terms = jnp.concatenate([(2 * f_x * diff_w)[:, None] * jnp.concatenate([pc[:, d + 1:2 * d + 1], one], 1),
                                  (2 * f_x * diff_c)[:, None] * jnp.concatenate([pc[:, :d], one], 1)], axis=1)
    grad = jax.ops.segment_sum(grad_terms, rl, num_segments=R, indices_are_sorted=True)
    touched = jax.ops.segment_sum(live.astype(jnp.int32), rl, num_segments=R, indices_are_sorted=True) > 0

    count = count + 1
    rows = _apply_rule(rule, rows, grad, touched, count)
    return (jax.lax.dynamic_update_slice(table, rows, (r0_slice, 0)), count), loss


def _scan_chunks(table, count, key, data, rule: SparseRule, x_max: float, alpha: float, L: int, R: int,
                 window=chunk_window):
    d = (table.shape[1] // (2 if rule.kind == "adagrad" else 3) - 2) // 2
    order = jax.random.permutation(key, data.start.shape[0])
    step = partial(_chunk_step, data=data, rule=rule, x_max=x_max, alpha=alpha, L=L, R=R, d=d, window=window)
    (table, count), losses = jax.lax.scan(step, (table, count), order)
    return table, count, jnp.sum(losses)


@partial(jax.jit, static_argnames=("rule", "x_max", "alpha", "L", "R"), donate_argnames=("state",))
def packed_epoch(state: PackedState, key, data, rule: SparseRule, x_max: float, alpha: float, L: int, R: int):
    """One pass over the chunks in a random order on the packed state: ``(state, summed loss)``.

    The state is donated: its table is updated in place (one table in memory, not three).
    """
    table, count, loss = _scan_chunks(state.table, state.count, key, data, rule, x_max, alpha, L, R)
    return PackedState(table, count), loss


@partial(jax.jit, static_argnames=("d",))
def params_of(state: PackedState, d: int):
    """The parameters (W, W_tilde, b, b_tilde) in a packed state."""
    return unpack_tables(state.table, state.table.shape[0], d, state.count)[0]


def pack_state(rule: SparseRule, params) -> PackedState:
    """The packed state a sparse run starts from: :func:`pack_tables` of ``params`` and the fresh
    optimizer state, built in one compiled step (the state is never a separate copy in memory)."""
    return PackedState(_packed_fresh(rule, tuple(params)), jnp.zeros([], jnp.int32))


@partial(jax.jit, static_argnames=("rule",))
def _packed_fresh(rule: SparseRule, params):
    return pack_tables(params, init_sparse_state(rule, params))


@partial(jax.jit, static_argnames=("rule", "x_max", "alpha", "L", "R", "V"))
def sparse_epoch(params, state: SparseOptState, key, data, rule: SparseRule, x_max: float, alpha: float,
                 L: int, R: int, V: int):
    """One pass over the chunks in a random order: ``(params, state, summed loss)``.

    ``data`` is :meth:`Chunks.device_arrays`; L, R and V come from the same Chunks. The
    loss of a chunk is the mean of its words-role and contexts-role losses (equal in sum
    over an epoch, X being symmetric). (Training uses :func:`packed_epoch`, the same steps
    on a state that stays packed between epochs.)
    """
    d = params[0].shape[1]
    table, count, loss = _scan_chunks(pack_tables(params, state), state.count, key, data, rule, x_max, alpha, L, R)
    params, state = unpack_tables(table, V, d, count)
    return params, state, loss


# ----------------------------------------------------------------------------- random order (the paper's recipe)
#
# The paper visits the non-zeros of X in a new random order every epoch and takes one
# AdaGrad step per non-zero, on w_i, w~_j, b_i and b~_j only. paper_step does that for a
# batch of non-zeros at once: a row met several times in the batch takes one step with
# the sum of its gradients. The result equals the textbook port (train's "pairs" method:
# the dense optax AdaGrad, whose untouched rows get a zero gradient and do not move), but
# a step reads and writes only the batch's rows: O(batch x d), not O(V x d).


class PaperState(NamedTuple):
    """What :func:`paper_epoch` carries from step to step.

    params: (W (V, d), W_tilde (V, d), b (V,), b_tilde (V,)); sums: AdaGrad's running sums of
    squared gradients, shaped like params; slot_w, slot_c: (V,) int32 scratch that
    :func:`paper_step` uses to find the rows a batch repeats (their contents do not matter).
    """

    params: tuple
    sums: tuple
    slot_w: jax.Array
    slot_c: jax.Array


def init_paper_state(params, initial_accumulator: float = 1.0) -> PaperState:
    """The state before the first step (with a copy of params); the sums start at 1, as in the C tool."""
    V = params[0].shape[0]
    params = tuple(jnp.array(p, jnp.float32) for p in params)  # a copy each: the state is donated
    return PaperState(params, tuple(jnp.full_like(p, initial_accumulator) for p in params),
                      jnp.zeros(V, jnp.int32), jnp.zeros(V, jnp.int32))


def adagrad_rows(p, sums, rows, grad, lr: float, clip: float):
    """One AdaGrad step on the rows ``rows`` (n,) of ``p`` and of its squared-gradient ``sums``.

    grad (n,) + p.shape[1:] is each listed row's gradient, clipped element-wise to
    [-clip, clip] first. A row listed several times must carry the same gradient each time
    (its total) and takes one step. Returns the new (p, sums).
    """
    g = jnp.clip(grad, -clip, clip)
    s = sums[rows] + g * g
    return p.at[rows].set(p[rows] - lr * g / jnp.sqrt(s)), sums.at[rows].set(s)


def paper_step(state: PaperState, batch, lr: float, clip: float):
    """One step of the paper's recipe on a batch of non-zeros: ``(new state, the batch's loss)``.

    batch: (i, j, f(X_ij), log X_ij), each (n,). Only the batch's rows move: w_i and b_i of
    its words, w~_j and b~_j of its contexts.
    """
    (W, W_tilde, b, b_tilde), sums, slot_w, slot_c = state
    i, j, f_x, log_x = batch
    w, w_tilde = W[i], W_tilde[j]
    residual = jnp.sum(w * w_tilde, axis=1) + b[i] + b_tilde[j] - log_x
    g = 2 * f_x * residual  # the derivative of each term with respect to its prediction
    # Sum the gradients of a row the batch repeats: every position of a row reads back the
    # same slot (whichever of its positions was written last), and segment_sum adds the
    # positions that share a slot.
    n = i.shape[0]
    slot_w, slot_c = slot_w.at[i].set(jnp.arange(n)), slot_c.at[j].set(jnp.arange(n))
    of_word, of_context = slot_w[i], slot_c[j]

    def total(grad, slot):
        return jax.ops.segment_sum(grad, slot, num_segments=n)[slot]

    W, s_W = adagrad_rows(W, sums[0], i, total(g[:, None] * w_tilde, of_word), lr, clip)
    W_tilde, s_W_tilde = adagrad_rows(W_tilde, sums[1], j, total(g[:, None] * w, of_context), lr, clip)
    b, s_b = adagrad_rows(b, sums[2], i, total(g, of_word), lr, clip)
    b_tilde, s_b_tilde = adagrad_rows(b_tilde, sums[3], j, total(g, of_context), lr, clip)
    new = PaperState((W, W_tilde, b, b_tilde), (s_W, s_W_tilde, s_b, s_b_tilde), slot_w, slot_c)
    return new, jnp.sum(f_x * residual * residual)


@partial(jax.jit, static_argnames=("lr", "clip", "batch_size"), donate_argnames=("state",))
def paper_epoch(state: PaperState, order, pairs, lr: float, clip: float, batch_size: int):
    """One pass over all non-zeros in the given order, ``batch_size`` at a time: ``(state, summed loss)``.

    pairs: (i, j, f(X_ij), log X_ij) for every non-zero of X, each (nnz,); order: a
    permutation of range(nnz). The state is donated (updated in place).
    """
    n = pairs[0].shape[0]
    n_batches = -(-n // batch_size)
    # Position n pads the last batch: i = j = 0 with f(X) = 0, so it changes nothing.
    order = jnp.concatenate([order, jnp.full((n_batches * batch_size - n,), n, order.dtype)])
    batches = tuple(jnp.append(a, 0)[order].reshape(n_batches, batch_size) for a in pairs)
    state, losses = jax.lax.scan(partial(paper_step, lr=lr, clip=clip), state, batches)
    return state, jnp.sum(losses)


def paper_pairs(X: sp.spmatrix, x_max: float = 100.0, alpha: float = 0.75) -> tuple:
    """The non-zeros of X as (i, j, f(X_ij), log X_ij) device arrays, each (nnz,): what :func:`paper_epoch` visits."""
    i, j, x = cooc_matrix_to_arrays(sp.csr_matrix(X))
    return (jnp.asarray(i), jnp.asarray(j), weighting_fn(x.astype(np.float32), x_max, alpha),
            jnp.asarray(np.log(x), jnp.float32))


def train_paper(X: sp.spmatrix, params, epochs: int, lr: float = 0.05, batch_size: int = 1024, seed: int = 0,
                x_max: float = 100.0, alpha: float = 0.75, clip: float = 100.0, callback=None):
    """Train from ``params`` (W, W_tilde, b, b_tilde) by the paper's recipe: AdaGrad, a new random order each epoch.

    X: the (V, V) co-occurrence matrix (scipy sparse, positive entries). Returns the final
    params and the mean weighted squared error per non-zero of each epoch (computed during
    the epoch, each batch before its step). ``callback(epoch, params, loss)`` runs after
    every epoch (epochs count from 1). Raises :class:`TrainingDivergedError` when the loss
    becomes NaN or infinite.
    """
    if not sp.issparse(X) or X.ndim != 2 or X.shape[0] != X.shape[1] or X.shape[0] != params[0].shape[0]:
        raise GloveLiteError(f"X of shape {getattr(X, 'shape', None)}; expected a square scipy.sparse matrix "
                             f"with one row per word of params ({params[0].shape[0]})")
    if X.nnz == 0 or X.data.min() <= 0 or not np.isfinite(X.data).all():
        raise GloveLiteError("X has no entries or non-positive ones; expected positive co-occurrence values")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise GloveLiteError(f"{name}={value!r}; expected an integer >= 1")
    if not (0 < lr <= 10):
        raise GloveLiteError(f"lr={lr!r}; expected a number in (0, 10]")
    pairs = paper_pairs(X, x_max, alpha)
    state = init_paper_state(params)
    rng = np.random.default_rng(seed)  # shuffled on the host: jax.random.permutation of 5 M takes seconds on a CPU
    losses = []
    for epoch in range(1, epochs + 1):
        order = jnp.asarray(rng.permutation(X.nnz).astype(np.int32))
        state, total = paper_epoch(state, order, pairs, lr=float(lr), clip=float(clip), batch_size=int(batch_size))
        loss = float(total) / X.nnz
        if not np.isfinite(loss):
            raise TrainingDivergedError(f"the loss became {loss} at epoch {epoch}; lower the learning rate (now {lr})")
        losses.append(loss)
        if callback is not None:
            callback(epoch, state.params, loss)
    return state.params, losses
