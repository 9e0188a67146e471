"""The co-occurrence matrix of a token stream of any length, within a memory budget.

Same contract and same numbers as :func:`glove_lite.cooccur.build_cooc_matrix` (equal
to the last bit), for a corpus that does not fit in memory. The scheme is the C tool's
(``cooccur``): count what fits in memory, spill the rest to disk, merge at the end.

**Exact integer counts.** ``build_cooc_matrix`` adds 1/d once per pair in floating point,
so its value for words (a, b) depends only on n_abd, the number of pairs (a at p,
b at p + d) for each distance d: U[a, b] = sum over d = 1..W, in that order, of
1/d + 1/d + ... (n_abd times, one after the other), and X[a, b] = U[a, b] + U[b, a].
Integer counts add up exactly in any order, so partial counts can be spilled and
merged freely; the float value is formed once, at the end, in build_cooc_matrix's order.

**Two stores.** Pairs of two frequent words (ids < K, the K most frequent) go to a
dense (W, K, K) array of counts in memory: they are most of the pairs. Every other pair
becomes two 64-bit entries, (a, slot(b, 0, d)) for row a and (b, slot(a, 1, d)) for
row b, buffered per *bucket*, a range of rows, and appended to that bucket's file when
the buffer fills.

**Merge.** Bucket by bucket, in row order: entries are sorted by row (counting sort),
each row's slots summed in a sparse accumulator, the dense counts of the row added,
and the row's values computed and written out. Rows come out in order, so the CSR
matrix (or a ``.npz`` file holding it) is written without ever holding X, or more
than one bucket, in memory. A bucket larger than the memory left is split by rows
(reading its file again); a single row larger than that is streamed.

**Two cores.** Counting threads split the distances 1..W (so they write disjoint parts
of the dense array, and their own buffers and files); merging threads take a bucket each.
The compiled kernels (numba) release the GIL.
"""

from __future__ import annotations

import errno
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numba
import numpy as np
import scipy.sparse as sp

from glove_lite.errors import CountingError

__all__ = ["repeated_sums", "CountPlan", "merge_threads", "minimum_budget", "plan_counting", "CoocCounter", "stream_cooc_matrix"]


GB = 1 << 30
REP_TABLE = 1 << 16  # exact repeated sums 1/d + ... precomputed up to this many terms


def repeated_sums(window: int, n: int = REP_TABLE) -> np.ndarray:
    """``T[d - 1, k]`` = 1/d added k times, one after the other (float64, shape (window, n + 1)).

    This is how ``scipy.sparse`` sums k duplicate entries of value 1/d; ``np.cumsum``
    adds sequentially too, so the table reproduces it bit for bit.
    """
    T = np.zeros((window, n + 1))
    for d in range(1, window + 1):
        T[d - 1, 1:] = np.cumsum(np.full(n, 1.0 / d))
    return T


# ----------------------------------------------------------------------------- compiled kernels


@numba.njit(cache=True, nogil=True)
def _count_pairs(ids, docs, q0, d_lo, d_hi, window, K, dense, bucket_of_row, S, buffers, fill, cap):
    """Count the pairs (q - d, q) with q >= q0 and d_lo <= d <= d_hi of one block; stop early when a bucket
    buffer is nearly full. Returns the next q to process (``ids.size`` when the block is done).

    Threads given disjoint distance ranges touch disjoint parts of ``dense`` (laid out (W, K, K)).
    """
    room = 2 * (d_hi - d_lo + 1)
    n = ids.size
    full = False
    for q in range(q0, n):
        b = np.int64(ids[q])
        dq = docs[q]
        for d in range(d_lo, d_hi + 1):
            p = q - d
            if p < 0 or docs[p] != dq:
                break  # document numbers never decrease: no earlier position is in this document either
            a = np.int64(ids[p])
            if a < K and b < K:
                dense[d - 1, a, b] += 1
            else:
                ka = bucket_of_row[a]
                buffers[ka, fill[ka]] = a * S + (b * 2) * window + (d - 1)
                fill[ka] += 1
                kb = bucket_of_row[b]
                buffers[kb, fill[kb]] = b * S + (a * 2 + 1) * window + (d - 1)
                fill[kb] += 1
                if fill[ka] > cap - room or fill[kb] > cap - room:
                    full = True
        if full:  # every buffer has room for one more q until flushed
            return q + 1
    return n


@numba.njit(cache=True, nogil=True)
def _sort_by_row(entries, r0, n_rows, S):
    """Counting sort of entries by row: (slots grouped by row, row offsets of shape (n_rows + 1,))."""
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    for e in entries:
        offsets[e // S - r0 + 1] += 1
    for r in range(n_rows):
        offsets[r + 1] += offsets[r]
    pos = offsets[:-1].copy()
    slots = np.empty(entries.size, dtype=np.int64)
    for e in entries:
        r = e // S - r0
        slots[pos[r]] = e % S
        pos[r] += 1
    return slots, offsets


@numba.njit(cache=True, nogil=True)
def _rep(T, d, k):
    """1/d added k times, one after the other (from the table, continued past its end)."""
    n_tab = T.shape[1] - 1
    if k <= n_tab:
        return T[d - 1, k]
    v = T[d - 1, n_tab]
    step = 1.0 / d
    for _ in range(k - n_tab):
        v += step
    return v


@numba.njit(cache=True, nogil=True)
def _accumulate(slots, acc, touched, n_touched):
    for s in slots:
        if acc[s] == 0:
            touched[n_touched] = s
            n_touched += 1
        acc[s] += 1
    return n_touched


@numba.njit(cache=True, nogil=True)
def _dense_row_values(a, dense, K, window, T, out_cols, out_vals, n_out):
    """Row a's columns b < K from the dense counts alone (a < K: its spilled pairs all have columns >= K)."""
    u0 = np.zeros(K)
    u1 = np.zeros(K)
    for d in range(window):  # d outermost: each U is summed over d in increasing order, as build_cooc_matrix does
        for b in range(K):
            c = dense[d, a, b]
            if c:
                u0[b] += _rep(T, d + 1, np.int64(c))
            c = dense[d, b, a]
            if c:
                u1[b] += _rep(T, d + 1, np.int64(c))
    for b in range(K):
        if u0[b] > 0 or u1[b] > 0:
            out_cols[n_out] = b
            out_vals[n_out] = u0[b] + u1[b]
            n_out += 1
    return n_out


@numba.njit(cache=True, nogil=True)
def _finish_row(acc, touched, n_touched, window, T, out_cols, out_vals, n_out):
    """Turn a row's accumulated slot counts into (column, value) entries in column order; reset the accumulator.

    Value = U[a, b] + U[b, a], each U summed over d in increasing order as build_cooc_matrix does.
    """
    t = np.sort(touched[:n_touched])
    W2 = 2 * window
    i = 0
    while i < n_touched:
        col = t[i] // W2
        u = np.zeros(2)
        while i < n_touched and t[i] // W2 == col:
            s = t[i]
            direction = (s % W2) // window
            d = s % window + 1
            u[direction] += _rep(T, d, np.int64(acc[s]))
            acc[s] = 0
            i += 1
        out_cols[n_out] = col
        out_vals[n_out] = u[0] + u[1]
        n_out += 1
    return n_out


@numba.njit(cache=True, nogil=True)
def _merge_rows(slots, offsets, r0, dense, K, window, T, acc, touched, out_cols, out_vals, row_nnz):
    """All rows r0 .. r0 + len(offsets) - 2 of X from their sorted slots and the dense counts."""
    n_out = 0
    for r in range(offsets.size - 1):
        a = r0 + r
        before = n_out
        if a < K:
            n_out = _dense_row_values(a, dense, K, window, T, out_cols, out_vals, n_out)
        n_touched = _accumulate(slots[offsets[r]:offsets[r + 1]], acc, touched, 0)
        n_out = _finish_row(acc, touched, n_touched, window, T, out_cols, out_vals, n_out)
        row_nnz[a] = n_out - before
    return n_out


# ----------------------------------------------------------------------------- the counter


@dataclass(frozen=True)
class CountPlan:
    """How a memory budget is spent: the dense block's side K, the buckets, the buffer and merge sizes."""

    K: int
    bucket_starts: np.ndarray  # first row of each bucket, shape (P + 1,) with V at the end
    buffer_entries: int  # entries buffered per bucket before a spill
    merge_entries: int  # entries a bucket may hold to be merged in one go (per merging thread)
    dense_dtype: type
    threads: int = 1  # buckets merged at once


def _spill_error(exc: OSError, workdir: Path) -> CountingError:
    if exc.errno == errno.ENOSPC:
        return CountingError(f"no space left on the device of {str(workdir)!r} while spilling co-occurrence counts; "
                             "free some space or give a folder on a larger disk (--tmp-dir)")
    return CountingError(f"cannot write co-occurrence counts to {str(workdir)!r}: {exc.strerror or exc}")


def merge_threads() -> int:
    """Threads that count and merge: two where there are two cores (more gain little: memory-bound)."""
    return max(1, min(2, os.cpu_count() or 1))


def minimum_budget(vocab_size: int, window: int) -> int:
    """The least memory (bytes) :class:`CoocCounter` can work in: the merge's per-row accumulators and 1 MB."""
    return merge_threads() * 2 * (int(vocab_size) * 2 * int(window) * 8) + (1 << 20)


def plan_counting(vocab_size: int, window: int, memory_bytes: int, row_weights: np.ndarray | None = None,
                  n_tokens: int | None = None) -> CountPlan:
    """Split ``memory_bytes`` between the dense block (1/8), bucket buffers (1/4) and the merge (the rest).

    ``row_weights`` (e.g. word counts, shape (V,)) balance the buckets; ``n_tokens``
    bounds the number of spilled entries. Raises :class:`CountingError` if the budget
    cannot hold the merge's per-row accumulator and a minimal buffer.
    """
    V, W = int(vocab_size), int(window)
    threads = merge_threads()
    acc_bytes = threads * (V * 2 * W * 8 + V * 2 * W * 8)  # per merging thread: accumulator, touched list (int64)
    minimum = minimum_budget(V, W)
    if memory_bytes < minimum:
        raise CountingError(
            f"a memory budget of {memory_bytes / GB:.3g} GB is too small to count {V:,} words with window {W}; "
            f"expected at least {math.ceil(minimum / GB * 100) / 100:.2f} GB (--memory)"
        )
    if V * V * 2 * W >= 2**62:
        raise CountingError(f"{V:,} words with window {W} is too large for 64-bit pair keys; lower the window "
                            "or raise --min-count")
    huge = n_tokens is None or n_tokens >= 2**32 - 1
    dense_dtype = np.uint64 if huge else np.uint32
    item = np.dtype(dense_dtype).itemsize
    K = int(min(V, math.isqrt(int(memory_bytes / 8 / (W * item)))))
    left = memory_bytes - acc_bytes - K * K * W * item
    # Expected spilled entries per row: 2W per occurrence of a rare word (id >= K), and for a
    # frequent word only its pairs with rare words.
    weights = np.ones(V) if row_weights is None else np.asarray(row_weights, dtype=np.float64).copy()
    rare_share = weights[K:].sum() / max(weights.sum(), 1e-300)
    weights[:K] *= rare_share
    tokens = n_tokens if n_tokens is not None else 1000 * V
    expected_entries = 2 * W * tokens * weights.sum() / max(np.sum(row_weights) if row_weights is not None else V, 1e-300)
    # Per entry of a bucket being merged: itself, its sorted slot, an output column + value (32 bytes),
    # one bucket per merging thread, and the last bucket's output (12 bytes) still being written.
    merge_entries = max(1 << 10, int(left * 0.8 / (32 * threads + 12)))
    n_buckets = int(min(max(1, math.ceil(1.25 * expected_entries / merge_entries)), V, 4096))
    cum = np.cumsum(weights)
    targets = cum[-1] * np.arange(1, n_buckets) / n_buckets
    starts = np.unique(np.r_[0, np.searchsorted(cum, targets, side="right"), V]).astype(np.int64)
    n_buckets = starts.size - 1
    buffer_entries = max(4 * W + 64, int(left * 0.5 / 8 / n_buckets))
    return CountPlan(K, starts, buffer_entries, merge_entries, dense_dtype, threads)


class CoocCounter:
    """Count co-occurrences of a token stream in blocks: :meth:`add` blocks in order, then :meth:`write_csr`
    (to arrays) or :meth:`to_csr`.

    ``plan`` overrides :func:`plan_counting` (tests use it to force spills and splits).
    ``add(ids, docs)``: vocabulary ids (int, shape (n,)) and their document numbers
    (non-decreasing across all blocks); a window never crosses a document boundary and
    pairs across a block boundary are counted (the last ``window`` tokens carry over).
    """

    def __init__(self, vocab_size: int, window_size: int = 10, memory_bytes: int = 2 * GB,
                 workdir: str | Path | None = None, row_weights: np.ndarray | None = None,
                 n_tokens: int | None = None, plan: CountPlan | None = None):
        if isinstance(window_size, bool) or not isinstance(window_size, (int, np.integer)) or window_size < 1:
            raise ValueError(f"window_size={window_size!r}; expected an integer >= 1")
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) or vocab_size < 1:
            raise ValueError(f"vocab_size={vocab_size!r}; expected a positive integer")
        self.V, self.W = int(vocab_size), int(window_size)
        self.memory_bytes = int(memory_bytes)
        self.plan = plan or plan_counting(self.V, self.W, self.memory_bytes, row_weights, n_tokens)
        self.S = self.V * 2 * self.W
        base = Path(workdir) if workdir is not None else Path(tempfile.gettempdir())
        try:
            self.workdir = Path(tempfile.mkdtemp(prefix="glove-lite-cooc-", dir=base))
        except OSError as exc:
            raise _spill_error(exc, base) from None
        K = self.plan.K
        self.dense = np.zeros((self.W, K, K), dtype=self.plan.dense_dtype)
        starts = self.plan.bucket_starts
        self.n_buckets = starts.size - 1
        self.bucket_of_row = np.repeat(np.arange(self.n_buckets, dtype=np.int32), np.diff(starts))
        # Counting threads split the distances 1..W between them; each has its own buffers and files.
        self.threads = max(1, min(self.plan.threads, self.W))
        edges = np.linspace(0, self.W, self.threads + 1).round().astype(int)
        self.distances = [(int(edges[t]) + 1, int(edges[t + 1])) for t in range(self.threads)]
        self.buffer_entries = max(4 * self.W + 64, self.plan.buffer_entries // self.threads)
        self.buffers = np.empty((self.threads, self.n_buckets, self.buffer_entries), dtype=np.int64)
        self.fill = np.zeros((self.threads, self.n_buckets), dtype=np.int64)
        self.spilled_by_thread = np.zeros((self.threads, self.n_buckets), dtype=np.int64)
        self._pool = None
        self.carry_ids = np.zeros(0, dtype=np.int32)
        self.carry_docs = np.zeros(0, dtype=np.int64)
        self.n_tokens = 0

    # -- counting -------------------------------------------------------------------------

    @property
    def spilled(self) -> np.ndarray:
        """Entries spilled to disk per bucket, shape (buckets,)."""
        return self.spilled_by_thread.sum(axis=0)

    @property
    def spilled_bytes(self) -> int:
        return int(8 * self.spilled_by_thread.sum())

    def _bucket_path(self, k: int, t: int) -> Path:
        return self.workdir / f"bucket-{k:05d}-{t}.i64"

    def _flush(self, t: int, only_full: bool) -> None:
        """Append thread t's buffers (the nearly full ones, or all) to their bucket files."""
        threshold = self.buffer_entries - 2 * self.W if only_full else 0
        for k in np.flatnonzero(self.fill[t] > threshold):
            n = int(self.fill[t, k])
            try:
                with open(self._bucket_path(int(k), t), "ab") as fh:
                    self.buffers[t, k, :n].tofile(fh)
            except OSError as exc:
                raise _spill_error(exc, self.workdir) from None
            self.spilled_by_thread[t, k] += n  # each thread its own row: no lost updates
            self.fill[t, k] = 0

    def _count_block(self, t: int, ids: np.ndarray, docs: np.ndarray, q0: int) -> None:
        d_lo, d_hi = self.distances[t]
        q = q0
        while q < ids.size:
            q = _count_pairs(ids, docs, q, d_lo, d_hi, self.W, self.plan.K, self.dense, self.bucket_of_row, self.S,
                             self.buffers[t], self.fill[t], self.buffer_entries)
            self._flush(t, only_full=True)

    def add(self, ids: np.ndarray, docs: np.ndarray) -> None:
        ids = np.asarray(ids)
        docs = np.asarray(docs, dtype=np.int64)
        if ids.shape != docs.shape or ids.ndim != 1:
            raise ValueError(f"ids of shape {ids.shape} and docs of shape {docs.shape}; expected equal 1-D shapes")
        if ids.size == 0:
            return
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0 or hi >= self.V:
            bad = lo if lo < 0 else hi
            raise ValueError(f"token id {bad} is out of range; expected 0 <= id < vocab_size={self.V}")
        if self.carry_docs.size and docs[0] < self.carry_docs[-1]:
            raise ValueError("document numbers decrease between blocks; expected them non-decreasing")
        buf_ids = np.concatenate([self.carry_ids, ids.astype(np.int32, copy=False)])
        buf_docs = np.concatenate([self.carry_docs, docs])
        q0 = self.carry_ids.size
        if self.threads == 1:
            self._count_block(0, buf_ids, buf_docs, q0)
        else:
            from concurrent.futures import ThreadPoolExecutor

            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads)
            futures = [self._pool.submit(self._count_block, t, buf_ids, buf_docs, q0) for t in range(self.threads)]
            for future in futures:
                future.result()
        keep = buf_docs[-self.W:] == buf_docs[-1]  # only the last document can continue
        self.carry_ids = buf_ids[-self.W:][keep].copy()
        self.carry_docs = buf_docs[-self.W:][keep].copy()
        self.n_tokens += ids.size

    # -- merging --------------------------------------------------------------------------

    def _read_bucket(self, k: int, rows: tuple[int, int] | None = None) -> Iterator[np.ndarray]:
        """The spilled entries of bucket k (all counting threads' files), in chunks; only rows [lo, hi) if given."""
        chunk = max(1 << 16, self.plan.merge_entries // 4)
        for t in range(self.threads):
            path = self._bucket_path(k, t)
            if not path.exists():
                continue
            with open(path, "rb") as fh:
                while True:
                    part = np.fromfile(fh, dtype=np.int64, count=chunk)
                    if part.size == 0:
                        break
                    if rows is not None:
                        r = part // self.S
                        part = part[(r >= rows[0]) & (r < rows[1])]
                    yield part

    def _row_ranges(self, k: int) -> list[tuple[int, int]]:
        """Row ranges of bucket k whose entries fit the merge budget (a single row may not: it is streamed)."""
        lo, hi = int(self.plan.bucket_starts[k]), int(self.plan.bucket_starts[k + 1])
        if int(self.spilled_by_thread[:, k].sum()) <= self.plan.merge_entries:
            return [(lo, hi)]
        per_row = np.zeros(hi - lo, dtype=np.int64)
        for part in self._read_bucket(k):
            per_row += np.bincount(part // self.S - lo, minlength=hi - lo)
        ranges, start, size = [], lo, 0
        for r, n in enumerate(per_row.tolist()):
            if size and size + n > self.plan.merge_entries:
                ranges.append((start, lo + r))
                start, size = lo + r, 0
            size += n
        ranges.append((start, hi))
        return ranges

    def iter_rows(self, progress: Callable[[int], None] | None = None) -> Iterator[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]]:
        """Yield ``(row_start, row_end, row_nnz, cols, values)`` for consecutive row ranges covering 0..V.

        Call once, after the last :meth:`add`: the buffers are spilled and freed first.
        """
        import queue
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        for t in range(self.threads):
            self._flush(t, only_full=False)
        self.buffers = np.empty((0, 0, 0), dtype=np.int64)
        T = repeated_sums(self.W)
        row_nnz = np.zeros(self.V, dtype=np.int64)  # threads write disjoint rows
        threads = max(1, self.plan.threads)
        scratch: queue.Queue = queue.Queue()
        for _ in range(threads):
            scratch.put((np.zeros(self.S, dtype=np.int64), np.empty(self.S, dtype=np.int64)))
        tasks = []
        for k in range(self.n_buckets):
            whole = (int(self.plan.bucket_starts[k]), int(self.plan.bucket_starts[k + 1]))
            tasks += [(k, lo, hi, whole) for lo, hi in self._row_ranges(k)]

        def merge(task):
            acc, touched = scratch.get()
            try:
                return self._merge_range(*task, T, acc, touched, row_nnz)
            finally:
                scratch.put((acc, touched))

        pending: deque = deque()
        with ThreadPoolExecutor(threads) as pool:
            for task in tasks:
                pending.append((task, pool.submit(merge, task)))
                if len(pending) >= threads:
                    (_, lo, hi, _), future = pending.popleft()
                    cols, vals = future.result()
                    yield lo, hi, row_nnz[lo:hi].copy(), cols, vals
                    if progress is not None:
                        progress(hi - lo)
            while pending:
                (_, lo, hi, _), future = pending.popleft()
                cols, vals = future.result()
                yield lo, hi, row_nnz[lo:hi].copy(), cols, vals
                if progress is not None:
                    progress(hi - lo)

    def _merge_range(self, k: int, lo: int, hi: int, whole: tuple[int, int], T, acc, touched,
                     row_nnz) -> tuple[np.ndarray, np.ndarray]:
        """Rows lo..hi-1 of X (in bucket k): their columns and values, in order; row_nnz[lo:hi] filled."""
        K = self.plan.K
        if hi - lo == 1:  # one row (a frequent word may have more entries than a bucket may hold): stream it
            cols, vals = self._stream_row(k, lo, whole == (lo, hi), T, acc, touched)
            row_nnz[lo] = cols.size
            return cols, vals
        parts = list(self._read_bucket(k, None if whole == (lo, hi) else (lo, hi)))
        entries = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        del parts
        slots, offsets = _sort_by_row(entries, lo, hi - lo, self.S)
        del entries
        dense_rows = max(0, min(hi, K) - lo)
        bound = slots.size + dense_rows * K
        cols = np.empty(bound, dtype=np.int32)
        vals = np.empty(bound, dtype=np.float64)
        n = _merge_rows(slots, offsets, lo, self.dense, K, self.W, T, acc, touched, cols, vals, row_nnz)
        return cols[:n].copy(), vals[:n].copy()

    def _stream_row(self, k: int, row: int, whole: bool, T, acc, touched) -> tuple[np.ndarray, np.ndarray]:
        """One row of bucket k (all of it if ``whole``), summed chunk by chunk: memory O(chunk + V)."""
        n_touched = 0
        for part in self._read_bucket(k, None if whole else (row, row + 1)):
            n_touched = _accumulate(part % self.S, acc, touched, n_touched)
        K = self.plan.K if row < self.plan.K else 0
        cols = np.empty(n_touched + K, dtype=np.int32)
        vals = np.empty(n_touched + K, dtype=np.float64)
        n = _dense_row_values(row, self.dense, K, self.W, T, cols, vals, 0) if K else 0
        n = _finish_row(acc, touched, n_touched, self.W, T, cols, vals, n)
        return cols[:n], vals[:n]

    def rows_to_files(self, progress: Callable[[int], None] | None = None) -> tuple[np.ndarray, Path, Path]:
        """Merge the rows of X into two raw files in the work folder, in CSR order.

        Returns X's ``indptr`` (int64, V + 1) and the paths of its column indices (int32)
        and values (float64). A full disk raises :class:`CountingError`.
        """
        indptr = np.zeros(self.V + 1, dtype=np.int64)
        cols_path, vals_path = self.workdir / "cols.i32", self.workdir / "vals.f64"
        try:
            with open(cols_path, "wb") as fc, open(vals_path, "wb") as fv:
                for lo, hi, nnz, cols, vals in self.iter_rows(progress):
                    indptr[lo + 1:hi + 1] = nnz
                    cols.tofile(fc)
                    vals.tofile(fv)
        except OSError as exc:
            raise _spill_error(exc, self.workdir) from None
        np.cumsum(indptr, out=indptr)
        return indptr, cols_path, vals_path

    def to_csr(self, progress: Callable[[int], None] | None = None) -> sp.csr_matrix:
        """X as a CSR matrix in memory (float64, shape (V, V), sorted indices), as build_cooc_matrix returns it.

        The rows go through two files first, so that memory holds X once, not twice.
        """
        indptr, cols_path, vals_path = self.rows_to_files(progress)
        data = np.fromfile(vals_path, dtype=np.float64)
        os.unlink(vals_path)
        indices = np.fromfile(cols_path, dtype=np.int32)
        os.unlink(cols_path)
        X = sp.csr_matrix((data, indices, indptr), shape=(self.V, self.V))
        X.has_sorted_indices = True
        return X

    def close(self) -> None:
        """Remove the spill files (and stop the counting threads)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "CoocCounter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def stream_cooc_matrix(blocks: Iterable[tuple[np.ndarray, np.ndarray]], vocab_size: int, window_size: int = 10,
                       memory_bytes: int = 2 * GB, workdir: str | Path | None = None,
                       row_weights: np.ndarray | None = None, n_tokens: int | None = None) -> sp.csr_matrix:
    """:func:`~glove_lite.cooccur.build_cooc_matrix` for a stream of ``(ids, docs)`` blocks, within ``memory_bytes``
    (plus the result). Equal to it entry for entry, to the last bit."""
    with CoocCounter(vocab_size, window_size, memory_bytes, workdir, row_weights, n_tokens) as counter:
        for ids, docs in blocks:
            counter.add(ids, docs)
        return counter.to_csr()
