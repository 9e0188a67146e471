"""Chunks of X: windows of L consecutive non-zeros in CSR order, read on the device without copying X.

The sparse strategies cut X's non-zeros, row by row with columns ascending, into chunks of L
consecutive entries. A chunk covers a short run of consecutive rows, so the parameters it
updates are one contiguous slice of the tables (a ``dynamic_slice``, never a scatter) and its
columns' parameters are one gather.

Memory: per non-zero a float32 value and an int32 column (8 bytes). When X already holds them
as float32 and int32 (CSR), the device uses X's own arrays in place: XLA's CPU client takes a
host array without copying when it starts on a 64-byte boundary, so the device arrays start at
the first such boundary inside X's arrays (at most 15 elements in) and the positions before it
are read from a small copy (see :func:`window`). Otherwise one float32 / int32 copy is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

from glove_lite.errors import GloveLiteError

__all__ = ["Chunks", "ChunkData", "make_chunks", "chunks_of_csr", "aligned_zeros", "device_view", "window",
           "chunk_window", "rows_of_window", "row_pieces"]

ALIGN = 64  # bytes: XLA's CPU client uses a host array in place when it starts on such a boundary
HEAD = ALIGN // 4  # a 4-byte array reaches that boundary within its first HEAD elements


def aligned_zeros(shape: int | tuple, dtype) -> np.ndarray:
    """A zero array of ``shape`` starting on a 64-byte boundary (``jax.device_put`` on a CPU then uses it in place)."""
    dtype, shape = np.dtype(dtype), (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    buf = np.zeros(int(np.prod(shape)) * dtype.itemsize + ALIGN, np.uint8)
    skip = (-buf.ctypes.data) % ALIGN
    return buf[skip:skip + int(np.prod(shape)) * dtype.itemsize].view(dtype).reshape(shape)


def device_view(a: np.ndarray, L: int) -> tuple[jax.Array, jax.Array, int]:
    """A (n,) 4-byte array as (main, head, shift) for :func:`window`, with no copy of ``a`` on a CPU.

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


def window(main, head, shift, s, L: int):
    """Positions s .. s + L - 1 of an array held as :func:`device_view` holds it: (L,)."""
    from_head = jax.lax.dynamic_slice(head, (jnp.minimum(s, head.shape[0] - L),), (L,))
    from_main = jax.lax.dynamic_slice(main, (jnp.maximum(s - shift, 0),), (L,))
    return jnp.where(s < HEAD, from_head, from_main)


def row_pieces(indptr: np.ndarray, entries: int) -> list[tuple[int, int]]:
    """Consecutive, non-empty ranges of rows [a, b) of a CSR matrix holding about ``entries`` non-zeros
    each (a single longer row is a piece of its own): work a piece at a time keeps temporaries O(entries)."""
    V, nnz = len(indptr) - 1, int(indptr[-1])
    cuts = np.searchsorted(indptr, np.arange(entries, nnz, entries), side="right")
    return [(int(a), int(b)) for a, b in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [V]])) if a < b]


@dataclass(frozen=True)
class Chunks:
    """The non-zeros of X in CSR order, read in windows of L.

    x: (nnz,) float32 values; cols: (nnz,) int32 column ids; indptr: (V + 1 + R,) int32 CSR
    row pointers, then R copies of nnz. Chunk k covers positions [k L, min((k + 1) L, nnz)); it is
    read from the window of L positions starting at ``start[k]`` (= k L, moved back for the last
    chunk so the window stays inside the arrays; positions before k L are masked out), and
    ``first_row[k]`` is the row of position ``start[k]``. R (static) is the most rows any window spans.
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

    def positions(self, k: int) -> np.ndarray:
        """The positions of X's non-zeros that chunk k covers (host side, for tests and descriptions)."""
        return np.arange(k * self.L, min((k + 1) * self.L, self.nnz))


class ChunkData(NamedTuple):
    """What a jitted epoch reads: X's values and columns, each as ``main`` (positions shift .. nnz - 1,
    usually X's own memory) and ``head`` (a copy of positions 0 .. L + HEAD - 1), the two shifts (2,)
    int32, then the row pointers, window starts and first rows of :class:`Chunks`."""

    x_main: jax.Array
    x_head: jax.Array
    cols_main: jax.Array
    cols_head: jax.Array
    shifts: jax.Array
    indptr: jax.Array
    start: jax.Array
    first_row: jax.Array


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


def rows_of_window(indptr, r0, s, L: int, R: int):
    """Row of each position s .. s + L - 1, minus r0 (the row of s): (L,) int32, non-decreasing."""
    ends = jax.lax.dynamic_slice(indptr, (r0 + 1,), (R,)) - s  # where rows r0 .. r0 + R - 1 end, in window coordinates
    marks = jnp.zeros(L + 1, jnp.int32).at[jnp.clip(ends, 0, L)].add(1)
    return jnp.cumsum(marks[:L])


def chunk_window(data: ChunkData, k, L: int):
    """Chunk k's window of L positions of a :class:`ChunkData`: its start s, values x (L,), columns (L,)
    and which positions belong to the chunk (L,) bool."""
    s = data.start[k]
    x = window(data.x_main, data.x_head, data.shifts[0], s, L)
    cols = window(data.cols_main, data.cols_head, data.shifts[1], s, L)
    return s, x, cols, jnp.arange(L) >= k * L - s  # the last window reaches back into the chunk before it
