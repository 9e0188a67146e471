"""Tiled training on several devices: W and W~ split by rows, tiles of X scheduled so no two devices write the same rows.

The schedule (DSGD, Gemulla et al. 2011; the tiling of Swivel, Shazeer et al. 2016):

* **Groups.** The vocabulary is dealt into G groups by frequency rank modulo G (ids are
  frequency-sorted, so word w joins group w mod G at local index w // G): every group
  gets its share of frequent and rare words, so the G x G **tiles** of X (rows of one
  group, columns of another) hold about nnz / G^2 non-zeros each. With N devices
  (G a multiple of N, 16 by default), device p owns the groups a with a mod N = p: its rows of the
  tables W, W~, the biases and the optimizer state, k = G / N groups of ceil(V / G)
  rows each (padded rows are never touched).
* **Strata.** An epoch walks the G strata in a random order (the same on every device).
  In stratum s every group a is paired with the column group (a + s) mod G: each device
  works on the tiles of its own row groups, so no two devices ever write the same row.
* **Half-steps.** A stratum has two half-steps. First every device updates its own rows
  of W and b from its tiles while W~ and b~ are only read (each device reads the column
  vectors it needs from an ``all_gather`` of W~ and b~ made at the start of the half-step);
  then it updates its own rows of W~ and b~ from the same tiles while W and b are only
  read. X is symmetric, so the non-zeros X_rc of a tile with r in group a are also the
  terms f(X_cr)(w_c . w~_r + b_c + b~_r - log X_cr)^2 that hold w~_r: one tile, in CSR
  order, serves both half-steps, and each non-zero is visited once per epoch in each role.

Because a half-step only reads the table it does not write, the gradient of a row depends
on that row and on read-only vectors: a half-step on N devices computes exactly what one
device computes walking the same tiles one after another. The result depends on G (the
schedule), not on N: for a given G, 1, 2 or 4 devices give the same vectors to float
rounding (tested), which is what "the same schedule" means here.

Within a tile the work is the sparse path's chunk step (see :mod:`glove_lite.sparse_train`):
the tile's non-zeros in CSR order are cut into chunks of L consecutive non-zeros; a chunk's
rows are one contiguous slice of the device's table (``dynamic_slice``), its columns are
gathered from the read-only vectors, and the rows' gradients are sums over sorted segments.
A chunk step updates one role only (W and b, or W~ and b~), so each role keeps its own
table: [w, b | AdaGrad sums] (or [w, b | m | v | steps] for lazy Adam, whose bias
correction uses each row's own step count, the same on any number of devices).
Tiles are padded to one length (the longest tile, rounded up to whole chunks); padded
chunks are masked no-ops (zero gradient, untouched rows).

Memory per device: its tiles (8 bytes per non-zero: a float32 value and an int32 column,
plus the padding of each tile to the longest, a few per cent with balanced groups), its
two tables (2 (1 + s) (V / N) (d + 1) floats, s = 1 for AdaGrad, 2 for Adam) and one
gathered copy of the read-only vectors (V (d + 1) floats). Nothing is O(V^2).

Why this design (measured on the 2-core machine, 100 d, AdaGrad, chunks of 1,024):

* Half-steps make the schedule exact and deterministic without locks: a device's writes
  never meet another's reads. They also alternate W and W~ 2G times an epoch, and more
  alternations learn faster (AdaGrad 0.5 here): on the book's corpus the loss per non-zero
  after 5 epochs was 0.043 with G = 1, 0.030 with G = 4 and 0.020 with G = 16, against
  0.033 for the sparse path; on the generated text8-sized X (V = 112,822, 84.0 M non-zeros)
  after 2 epochs 0.157 with G = 4 and 0.030 with G = 16, against 0.058. Hence G = 16.
* Quality, book corpus, 25 epochs, one seed (WordSim-353 / SimLex-999 / analogies):
  G = 16 at AdaGrad 0.2 0.365 / 0.155 / 6.6 %; at 0.5 0.332 / 0.125 / 0.8 %; G = 4 at 0.5
  0.301 / 0.121 / 1.0 %; the sparse path (0.5) 0.400 / 0.138 / 3.6 %; dense blocks 0.40 /
  0.17 / 6.9 %. Hence AdaGrad 0.2 by default (:func:`tiled_rule`). The tiled run took 50 s
  on one device (the sparse path 78 s, dense blocks about 13 s: auto keeps dense there).
* Seconds per epoch on that X (G = 16, AdaGrad 0.2): 33.3 on 1 device (the sparse path
  36.1 in the same session; 29.8 with G = 4: more groups split each row over more tiles,
  so a chunk spans more rows and the row slices grow). With 2 and 4 *simulated* CPU devices
  13.8 and 16.4 s: the simulated devices run in parallel threads and so use both cores,
  which the one-device scan does not; this is not a measurement of real devices. Tiling
  took 7-8 s. Loss after 2 epochs 0.0155 on 1, 2 and 4 devices (the sparse path 0.058).
  Peak resident memory 2.06 GB (1 device; X itself 0.67 GB of it), 2.83 GB (2), 3.01 GB (4).
* An ``all_gather`` of the read-only role (V (d + 1) floats per device per half-step) is
  simpler than passing groups around with ``ppermute`` and costs little here (2G gathers
  of 46 MB an epoch at V = 115 k); on real devices with slow links, fetching only the
  groups of the stratum (one ``ppermute`` from device (p + s) mod N) would send 1/N of it.

Not done: a tile is always processed sparsely. Processing the frequent-word corner densely
(a matrix product, as the dense path does) when that is measured to be cheaper is left
for later; with frequency-rank-modulo-G groups every tile holds a slice of that corner.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from glove_lite.checkpoint import has_checkpoint, load_checkpoint, save_checkpoint, settings_record
from glove_lite.errors import GloveLiteError, TrainingDivergedError
from glove_lite.sparse_train import SparseRule, aligned_zeros, check_symmetric
from glove_lite.train import GloveParams, TrainConfig, check_checkpoint_args, checked_cooc_matrix, init_params

AXIS = "devices"
DEFAULT_CHUNK = 1024
# More strata alternate W and W~ more often within an epoch. On the book's corpus (5 epochs, AdaGrad
# 0.5, 1 device) the loss per non-zero after epochs 2 and 5 was 1.50 / 0.043 with G = 1, 0.27 / 0.030
# with G = 4 and 0.083 / 0.020 with G = 16 (the sparse path: 0.15 / 0.033).
DEFAULT_GROUPS = 16


# ----------------------------------------------------------------------------- devices and layout

def available_devices() -> list:
    """The devices JAX sees (on CPU, simulate several with XLA_FLAGS=--xla_force_host_platform_device_count=N)."""
    return list(jax.devices())


def resolve_devices(devices: int | str | None) -> int:
    """The number of devices to use: an int N >= 1, or "all" / None for every device JAX sees.

    Raises :class:`GloveLiteError` naming N and the devices JAX sees when N is more than there are.
    """
    seen = available_devices()
    if devices is None or devices == "all":
        return len(seen)
    if isinstance(devices, bool) or not isinstance(devices, (int, np.integer)) or devices < 1:
        raise GloveLiteError(f"devices={devices!r}; expected an integer >= 1 or 'all'")
    if devices > len(seen):
        names = ", ".join(str(d) for d in seen[:8]) + (", ..." if len(seen) > 8 else "")
        raise GloveLiteError(
            f"devices={devices} but JAX sees {len(seen)} device{'s' if len(seen) != 1 else ''} ({names}); "
            "use at most that many, or on CPU simulate more by starting Python with "
            f"XLA_FLAGS=--xla_force_host_platform_device_count={devices}")
    return int(devices)


@dataclass(frozen=True)
class Layout:
    """Where each word's row lives: V words in G groups on N devices (k = G / N groups each, Vg rows per group).

    Word w is in group a = w mod G at local index w // G; group a sits on device a mod N, in
    slot a // N of that device's k slots. Table row of w (global, all devices stacked):
    ((a mod N) k + a // N) Vg + w // G.
    """

    V: int
    G: int
    N: int

    @property
    def k(self) -> int:
        return self.G // self.N

    @property
    def Vg(self) -> int:
        return -(-self.V // self.G)

    @property
    def n_rows(self) -> int:
        return self.G * self.Vg

    def group_base(self, group: np.ndarray | int):
        """First table row of each group (global coordinates)."""
        return ((group % self.N) * self.k + group // self.N) * self.Vg

    def rows_of_words(self, words: np.ndarray | None = None) -> np.ndarray:
        """Table row of each word (default: every word 0 .. V - 1), int64."""
        w = np.arange(self.V, dtype=np.int64) if words is None else np.asarray(words, np.int64)
        return self.group_base(w % self.G) + w // self.G


def default_groups(devices: int, at_least: int = DEFAULT_GROUPS) -> int:
    """The least multiple of ``devices`` that is at least ``at_least`` (16): G for N devices by default."""
    return devices * -(-at_least // devices)


def check_groups(groups: int, devices: int, V: int) -> None:
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise GloveLiteError(f"groups={groups!r}; expected an integer >= 1")
    if groups % devices:
        raise GloveLiteError(f"groups={groups} is not a multiple of devices={devices}; expected G = k x N")
    if groups > V:
        raise GloveLiteError(f"groups={groups} for a vocabulary of {V} words; expected at most {V}")


# ----------------------------------------------------------------------------- tiles

@dataclass
class Tiles:
    """The tiles each device walks, stacked per device as [stratum s, slot j]: tile (a, (a + s) mod G), a = p + N j.

    Per device p (host arrays, one list entry per device):
    x (G, k, T) float32 values and cols (G, k, T) int32 global table rows of the columns,
    each tile's non-zeros in CSR order from position 0, the rest padding;
    indptr (G, k, Vg + 1 + R) int32 row pointers within the tile (then R copies of its nnz);
    first_row (G, k, C) int32, the row of chunk c's first position c L; nnz (G, k) int32.
    """

    layout: Layout
    x: list
    cols: list
    indptr: list
    first_row: list
    nnz: list
    L: int
    R: int
    T: int

    @property
    def C(self) -> int:
        return self.T // self.L


def _group_blocks(X: sp.csr_matrix, a: int, G: int, budget: int = 1 << 22):
    """Rows a, a + G, ... of X in CSR order, about ``budget`` non-zeros at a time: (local row, column, value) arrays."""
    rows = np.arange(a, X.shape[0], G)
    lens = (X.indptr[rows + 1] - X.indptr[rows]).astype(np.int64)
    cum = np.concatenate([[0], np.cumsum(lens)])
    l0 = 0
    while l0 < rows.size:
        l1 = min(rows.size, max(l0 + 1, int(np.searchsorted(cum, cum[l0] + budget, side="right")) - 1))
        n = lens[l0:l1]
        idx = np.repeat(X.indptr[rows[l0:l1]] - (cum[l0:l1] - cum[l0]), n) + np.arange(cum[l1] - cum[l0])
        yield np.repeat(np.arange(l0, l1), n), X.indices[idx], X.data[idx]
        l0 = l1


@dataclass
class TilePlan:
    """Shapes shared by every device's tiles: chunk length L, rows per chunk window R, padded tile length T.

    indptr (G, G, Vg + 1) int64 and first (G, G, C) int64 are the row pointers and chunk first rows of
    tile (a, b); tile_nnz (G, G) its non-zeros.
    """

    layout: Layout
    indptr: np.ndarray
    first: np.ndarray
    tile_nnz: np.ndarray
    L: int
    R: int
    T: int

    @property
    def C(self) -> int:
        return self.T // self.L


def plan_tiles(X: sp.csr_matrix, layout: Layout, chunk_size: int = DEFAULT_CHUNK) -> TilePlan:
    """Count each tile's non-zeros per row (one pass over X) and fix L, R and T."""
    G, Vg = layout.G, layout.Vg
    row_len = np.zeros((G, G, Vg), np.int64)  # [a, b, local row]: non-zeros of tile (a, b) in each row
    for a in range(G):
        for rloc, cols, _ in _group_blocks(X, a, G):
            row_len[a] += np.bincount((cols % G).astype(np.int64) * Vg + rloc, minlength=G * Vg).reshape(G, Vg)
    tile_nnz = row_len.sum(axis=2)
    L = int(max(1, min(chunk_size, tile_nnz.max())))
    T = int(-(-max(int(tile_nnz.max()), 1) // L) * L)
    C = T // L
    indptr = np.zeros((G, G, Vg + 1), np.int64)
    indptr[:, :, 1:] = np.cumsum(row_len, axis=2)
    del row_len
    starts = np.arange(C, dtype=np.int64) * L
    first = np.zeros((G, G, C), np.int64)
    R = 1
    for a in range(G):
        for b in range(G):
            ip, n = indptr[a, b], int(tile_nnz[a, b])
            live = starts < n
            if not live.any():
                continue
            f = np.searchsorted(ip, starts[live], side="right") - 1
            last = np.searchsorted(ip, np.minimum(starts[live] + L, n) - 1, side="right") - 1
            first[a, b, live] = f
            R = max(R, int((last - f).max()) + 1)
    return TilePlan(layout, indptr, first, tile_nnz, L, min(R, Vg), T)


def device_tiles(X: sp.csr_matrix, plan: TilePlan, p: int) -> tuple:
    """Device p's tiles as host arrays (x, cols, indptr, first_row, nnz), stacked [stratum s, slot j] (see :class:`Tiles`)."""
    layout, L, R, T = plan.layout, plan.L, plan.R, plan.T
    G, N, k, Vg = layout.G, layout.N, layout.k, layout.Vg
    x = aligned_zeros((G, k, T), np.float32)
    cols_out = aligned_zeros((G, k, T), np.int32)
    indptr = aligned_zeros((G, k, Vg + 1 + R), np.int32)
    first = aligned_zeros((G, k, plan.C), np.int32)
    nnz = aligned_zeros((G, k), np.int32)
    for j in range(k):
        a = p + N * j
        strata = (np.arange(G) - a) % G  # the stratum of tile (a, b), for each b
        cursor = np.zeros(G, np.int64)
        for _, cols, data in _group_blocks(X, a, G):
            b_of = cols % G
            order = np.argsort(b_of.astype(np.uint16 if G < 2**16 else np.int64), kind="stable")
            bounds = np.concatenate([[0], np.cumsum(np.bincount(b_of, minlength=G))])
            for b in np.nonzero(np.diff(bounds))[0]:
                sel = order[bounds[b]:bounds[b + 1]]
                s, c0 = strata[b], cursor[b]
                x[s, j, c0:c0 + sel.size] = data[sel]
                cols_out[s, j, c0:c0 + sel.size] = layout.group_base(b) + cols[sel] // G
                cursor[b] += sel.size
        for b in range(G):
            s = strata[b]
            indptr[s, j, :Vg + 1] = plan.indptr[a, b]
            indptr[s, j, Vg + 1:] = plan.tile_nnz[a, b]
            first[s, j] = plan.first[a, b]
            nnz[s, j] = plan.tile_nnz[a, b]
    return x, cols_out, indptr, first, nnz


def _sorted_csr(X: sp.spmatrix) -> sp.csr_matrix:
    X = sp.csr_matrix(X)
    return X if X.has_sorted_indices else X.sorted_indices()


def make_tiles(X: sp.csr_matrix, layout: Layout, chunk_size: int = DEFAULT_CHUNK) -> Tiles:
    """Cut X (symmetric) into G x G tiles and chunks of ``chunk_size``: every device's tiles, on the host."""
    X = _sorted_csr(X)
    plan = plan_tiles(X, layout, chunk_size)
    per_device = [device_tiles(X, plan, p) for p in range(layout.N)]
    return Tiles(layout, *(list(arrays) for arrays in zip(*per_device)), plan.L, plan.R, plan.T)


def tiled_rule(config: TrainConfig) -> SparseRule:
    """The optimizer of the tiled path: ``config.lr`` (AdaGrad 0.2, Adam 0.01 by default; not the sparse path's 0.5).

    On the book's corpus (G = 16, 25 epochs, seed 0) AdaGrad at 0.2 scored WordSim-353 0.37,
    SimLex-999 0.16, analogies 6.6 %, against 0.33, 0.13 and 0.8 % at 0.5.
    """
    return SparseRule(config.optimizer, config.lr, config.grad_clip)


# ----------------------------------------------------------------------------- tables

def table_width(rule: SparseRule, d: int) -> int:
    """Columns of one role's table: [w, b | AdaGrad sums] or [w, b | m | v | step count]."""
    return 2 * (d + 1) if rule.kind == "adagrad" else 3 * (d + 1) + 1


def make_tables(params: GloveParams, rule: SparseRule, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """Host tables (n_rows, width) of the word role (W, b) and the context role (W_tilde, b_tilde) in layout order."""
    W, Wt, b, bt = (np.asarray(a, np.float32) for a in params)
    d = W.shape[1]
    rows = layout.rows_of_words()
    tables = []
    for vec, bias in ((W, b), (Wt, bt)):
        t = np.zeros((layout.n_rows, table_width(rule, d)), np.float32)
        t[rows, :d] = vec
        t[rows, d] = bias
        if rule.kind == "adagrad":
            t[:, d + 1:] = rule.initial_accumulator
        tables.append(t)
    return tables[0], tables[1]


def _host_rows(table, rows: np.ndarray, d: int | None) -> np.ndarray:
    """Rows ``rows``, columns [w, b] (every column when d is None), of a table sharded over the mesh, as a host
    array (every process gets all)."""
    cols = table if d is None else table[:, :d + 1]
    if table.is_fully_addressable:
        return np.asarray(jnp.take(cols, jnp.asarray(rows), axis=0))
    from jax.experimental import multihost_utils

    return np.asarray(multihost_utils.process_allgather(cols, tiled=True))[rows]


def _place_rows(word_rows: np.ndarray, context_rows: np.ndarray, layout: Layout, rule: SparseRule):
    """Host tables (n_rows, width) in layout order from tables in vocabulary order (V, width); padded rows as at the start."""
    out = []
    for v in (word_rows, context_rows):
        t = np.zeros((layout.n_rows, v.shape[1]), np.float32)
        if rule.kind == "adagrad":
            d = v.shape[1] // 2 - 1
            t[:, d + 1:] = rule.initial_accumulator
        t[layout.rows_of_words()] = v
        out.append(t)
    return out[0], out[1]


def params_from_tables(word_table, context_table, layout: Layout, d: int) -> GloveParams:
    """The parameters (W, W_tilde, b, b_tilde) as (V, d) / (V,) arrays in vocabulary order, on the default device."""
    rows = layout.rows_of_words()
    wt, ct = _host_rows(word_table, rows, d), _host_rows(context_table, rows, d)
    return GloveParams(*(jnp.asarray(a) for a in (wt[:, :d], ct[:, :d], wt[:, d], ct[:, d])))


# ----------------------------------------------------------------------------- one half-step

def _apply_rule(rule: SparseRule, rows, grad, touched):
    """One optimizer step on table rows (n, width) with gradient (n, w), w = d + 1; untouched rows keep their values."""
    w = grad.shape[1]
    p = rows[:, :w]
    if rule.clip is not None:
        grad = jnp.clip(grad, -rule.clip, rule.clip)
    if rule.kind == "adagrad":
        acc = rows[:, w:] + grad * grad
        inv = jnp.where(acc > 0, jax.lax.rsqrt(acc + rule.eps), 0.0)
        return jnp.concatenate([p + (-rule.lr) * (inv * grad), acc], axis=1)
    t = rows[:, 3 * w] + 1.0
    m = rule.b1 * rows[:, w:2 * w] + (1 - rule.b1) * grad
    v = rule.b2 * rows[:, 2 * w:3 * w] + (1 - rule.b2) * grad * grad
    m_hat, v_hat = m / (1 - rule.b1 ** t)[:, None], v / (1 - rule.b2 ** t)[:, None]
    new = jnp.concatenate([p + (-rule.lr) * (m_hat / (jnp.sqrt(v_hat) + rule.eps)), m, v, t[:, None]], axis=1)
    return jnp.where(touched[:, None], new, rows)


def _chunk_half_step(table, jc, other, data, s, rule: SparseRule, x_max: float, alpha: float, L: int, R: int,
                     C: int, Vg: int, d: int):
    """Chunk c of the tile in slot j of stratum s (jc = j C + c): update the rows' role in ``table``; (table, loss).

    ``other`` (n_rows, d + 1) holds the read-only vectors and biases of the other role.
    """
    x_all, cols_all, indptr_all, first_all, nnz_all = data
    j, c = jc // C, jc % C
    s0 = c * L
    x = jax.lax.dynamic_slice(x_all, (s, j, s0), (1, 1, L)).reshape(L)
    cols = jax.lax.dynamic_slice(cols_all, (s, j, s0), (1, 1, L)).reshape(L)
    r0 = first_all[s, j, c]
    ends = jax.lax.dynamic_slice(indptr_all, (s, j, r0 + 1), (1, 1, R)).reshape(R) - s0
    marks = jnp.zeros(L + 1, jnp.int32).at[jnp.clip(ends, 0, L)].add(1)
    rl = jnp.cumsum(marks[:L])  # row of each position, minus r0
    live = s0 + jnp.arange(L) < nnz_all[s, j]

    base = j * Vg + r0
    start = jnp.minimum(base, table.shape[0] - R)  # the R-row slice stays inside the table
    rl = rl + (base - start)
    rows = jax.lax.dynamic_slice(table, (start, 0), (R, table.shape[1]))
    pc = other[cols]  # (L, d + 1): the other role's vector and bias of each column
    rows = jax.lax.optimization_barrier(rows)  # read before the in-place write below
    pr = rows[rl, :d + 1]
    pred = jnp.sum(pr[:, :d] * pc[:, :d], axis=1) + pr[:, d] + pc[:, d]
    log_x = jnp.log(jnp.where(live, x, 1.0))
    f_x = jnp.where(live, jnp.where(x < x_max, (x / x_max) ** alpha, 1.0), 0.0)
    diff = pred - log_x
    loss = jnp.sum(f_x * diff * diff)
    grad_terms = (2 * f_x * diff)[:, None] * jnp.concatenate([pc[:, :d], jnp.ones((L, 1), jnp.float32)], axis=1)
    grad = jax.ops.segment_sum(grad_terms, rl, num_segments=R, indices_are_sorted=True)
    touched = jax.ops.segment_sum(live.astype(jnp.int32), rl, num_segments=R, indices_are_sorted=True) > 0
    rows = _apply_rule(rule, rows, grad, touched)
    return jax.lax.dynamic_update_slice(table, rows, (start, 0)), loss


def _half_step(table, other, data, s, k: int, **static):
    """Every chunk of this device's k tiles in stratum s, in CSR order, updating one role: (table, summed loss)."""
    C = static["C"]
    step = partial(_chunk_half_step, other=other, data=data, s=s, **static)
    table, losses = jax.lax.scan(step, table, jnp.arange(k * C))
    return table, jnp.sum(losses)


@lru_cache(maxsize=16)
def make_epoch_fn(mesh: Mesh, rule: SparseRule, x_max: float, alpha: float, L: int, R: int, C: int, Vg: int,
                  d: int, k: int):
    """The jitted epoch: ``(word_table, context_table, stratum_order, data) -> (tables..., summed loss)``.

    Tables and data are sharded by rows over the mesh axis; the order (G,) is replicated.
    The loss is the sum over the epoch of each non-zero's weighted squared error, the mean
    of its two roles.
    """
    static = dict(rule=rule, x_max=x_max, alpha=alpha, L=L, R=R, C=C, Vg=Vg, d=d)

    def epoch(wt, ct, order, data):
        def stratum(carry, s):
            wt, ct = carry
            other = jax.lax.all_gather(ct[:, :d + 1], AXIS, tiled=True)
            wt, loss_w = _half_step(wt, other, data, s, k, **static)
            other = jax.lax.all_gather(wt[:, :d + 1], AXIS, tiled=True)
            ct, loss_c = _half_step(ct, other, data, s, k, **static)
            return (wt, ct), loss_w + loss_c

        (wt, ct), losses = jax.lax.scan(stratum, (wt, ct), order)
        return wt, ct, jax.lax.psum(0.5 * jnp.sum(losses), AXIS)

    spec = P(AXIS)
    sharded = jax.shard_map(epoch, mesh=mesh, in_specs=(spec, spec, P(), (spec,) * 5),
                            out_specs=(spec, spec, P()))
    return jax.jit(sharded, donate_argnums=(0, 1))


def _put(host_blocks: list, mesh: Mesh):
    """Stack per-device host blocks (one per device, along axis 0) into one array sharded over the mesh.

    Each process places only the blocks of its own devices (several hosts: see the README).
    """
    devices = list(mesh.devices.flat)
    shards = [jax.device_put(block, dev) for block, dev in zip(host_blocks, devices)
              if dev.process_index == jax.process_index()]
    shape = (sum(b.shape[0] for b in host_blocks),) + host_blocks[0].shape[1:]
    return jax.make_array_from_single_device_arrays(shape, NamedSharding(mesh, P(AXIS)), shards)


def _put_tiles(X: sp.csr_matrix, plan: TilePlan, mesh: Mesh) -> tuple:
    """Every device's tiles, built on the host one device at a time and placed on it: 5 arrays sharded over the mesh.

    On CPU the 64-byte-aligned host arrays become the device arrays without a copy.
    """
    devices = list(mesh.devices.flat)
    shards: list[list] = [[] for _ in range(5)]
    for p, dev in enumerate(devices):
        if dev.process_index != jax.process_index():
            continue
        for out, block in zip(shards, device_tiles(X, plan, p)):
            out.append(jax.device_put(block, dev))
    sharding = NamedSharding(mesh, P(AXIS))
    return tuple(jax.make_array_from_single_device_arrays((len(devices) * s[0].shape[0],) + s[0].shape[1:], sharding, s)
                 for s in shards)


# ----------------------------------------------------------------------------- driver

@dataclass
class ShardedResult:
    """What :func:`train_sharded` returns.

    params: GloveParams in vocabulary order (W, W_tilde (V, d), b, b_tilde (V,));
    losses: mean weighted squared error per non-zero of X, one per epoch;
    epoch_seconds: wall-clock seconds of each epoch (the first includes compiling);
    devices: N; groups: G; seconds: the whole run, tiling and compiling included.
    """

    params: GloveParams
    losses: list[float]
    epoch_seconds: list[float]
    devices: int
    groups: int
    seconds: float
    config: TrainConfig = field(repr=False)

    @property
    def vectors(self) -> np.ndarray:
        """W + W_tilde, (V, d) float32: the vectors GloVe reports."""
        return np.asarray(self.params.W) + np.asarray(self.params.W_tilde)


def train_sharded(
    X: sp.spmatrix,
    config: TrainConfig = TrainConfig(),
    devices: int | str | None = None,
    groups: int | None = None,
    callback: Callable[[int, GloveParams, float], None] | None = None,
    progress: bool = False,
    params: GloveParams | None = None,
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = 1,
    resume: bool = False,
) -> ShardedResult:
    """Train GloVe on X (symmetric scipy.sparse, (V, V)) with the tiled schedule on N devices.

    devices: N, an int (at most the devices JAX sees), or "all" / None (default: ``config.devices``,
    and every device when that is "all"). groups: G, a multiple of N (default :func:`default_groups`,
    16 for N = 1, 2, 4, 8 or 16, so those runs compute the same vectors); the result
    depends on G, not on N. The optimizer, learning rate (:func:`tiled_rule`: AdaGrad 0.2
    by default), chunk size (``config.batch_size``, default 1,024 non-zeros), epochs, seed and
    weighting come from ``config``; the initial vectors are :func:`~glove_lite.train.init_params`'s
    for ``config.seed``, as in :func:`~glove_lite.train.train_glove`.
    ``callback(epoch, params, loss)`` runs after every epoch. On CPU, simulate N devices by
    starting Python with ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` (or calling
    ``jax.config.update("jax_num_cpu_devices", N)`` before any JAX computation).
    ``checkpoint_dir``, ``checkpoint_every``, ``resume``: as in :func:`~glove_lite.train.train_glove`
    (the tables with their AdaGrad sums, the random key, the epoch and the losses; a resumed run is
    bit-identical to an uninterrupted one, and may use another number of devices with the same G).
    """
    X = checked_cooc_matrix(X)
    check_symmetric(X)
    X = _sorted_csr(X)
    check_checkpoint_args(checkpoint_dir, resume, checkpoint_every)
    start = time.perf_counter()
    N = resolve_devices(config.devices if devices is None else devices)
    G = default_groups(N) if groups is None else groups
    if groups is None and G > X.shape[0]:  # a tiny vocabulary: as many groups as fit
        G = max(N, X.shape[0] // N * N)
    V, d = X.shape[0], config.dim
    check_groups(G, N, V)
    layout = Layout(V, G, N)
    rule = tiled_rule(config)
    mesh = Mesh(np.array(available_devices()[:N]), (AXIS,))

    key = jax.random.PRNGKey(config.seed)
    key, init_key = jax.random.split(key)
    if params is None:
        params = init_params(init_key, V, d)
    plan = plan_tiles(X, layout, config.batch_size or DEFAULT_CHUNK)
    data = _put_tiles(X, plan, mesh)
    word_host, context_host = make_tables(params, rule, layout)
    per = layout.k * layout.Vg
    wt = _put([word_host[p * per:(p + 1) * per] for p in range(N)], mesh)
    ct = _put([context_host[p * per:(p + 1) * per] for p in range(N)], mesh)
    del word_host, context_host
    epoch_fn = make_epoch_fn(mesh, rule, float(config.x_max), float(config.alpha), plan.L, plan.R, plan.C,
                             layout.Vg, d, layout.k)

    losses: list[float] = []
    epoch_seconds: list[float] = []
    first_epoch = 1
    record = None
    if checkpoint_dir is not None:
        record = settings_record(config, f"tiled, {G} groups", X)
        record["settings"].pop("devices", None)  # the result does not depend on N: resume on any number
        if resume and has_checkpoint(checkpoint_dir):
            rows = layout.rows_of_words()
            template = (np.zeros((V, wt.shape[1]), np.float32), np.zeros((V, ct.shape[1]), np.float32))
            saved = load_checkpoint(checkpoint_dir, template, record)
            word_host, context_host = _place_rows(np.asarray(saved.params), np.asarray(saved.opt_state), layout, rule)
            per = layout.k * layout.Vg
            wt = _put([word_host[p * per:(p + 1) * per] for p in range(N)], mesh)
            ct = _put([context_host[p * per:(p + 1) * per] for p in range(N)], mesh)
            key, losses, first_epoch = saved.key, list(saved.losses), saved.epoch + 1
            del rows
    epochs = range(first_epoch, config.epochs + 1)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(epochs, desc=f"training (tiled, {N} device{'s' if N > 1 else ''})", unit="epoch",
                   initial=first_epoch - 1, total=config.epochs)
        epochs = bar
    for epoch in epochs:
        t0 = time.perf_counter()
        key, epoch_key = jax.random.split(key)
        order = jax.make_array_from_process_local_data(NamedSharding(mesh, P()),
                                                       np.asarray(jax.random.permutation(epoch_key, G)))
        wt, ct, total = epoch_fn(wt, ct, order, data)
        loss = float(total.addressable_data(0)) / X.nnz
        epoch_seconds.append(time.perf_counter() - t0)
        if not math.isfinite(loss):
            if bar is not None:
                bar.close()
            raise TrainingDivergedError(f"the loss became {loss} at epoch {epoch}; lower the learning rate (now "
                                        f"{rule.lr}) or use gradient clipping (grad_clip={config.grad_clip})")
        losses.append(loss)
        if bar is not None:
            bar.set_postfix(loss=f"{loss:.4f}")
        if callback is not None:
            callback(epoch, params_from_tables(wt, ct, layout, d), loss)
        if checkpoint_dir is not None and (epoch % checkpoint_every == 0 or epoch == config.epochs):
            rows = layout.rows_of_words()
            # Word-role table as "params", context-role table as "opt_state": both in vocabulary order, so a
            # run may resume on another number of devices.
            save_checkpoint(checkpoint_dir, epoch, _host_rows(wt, rows, None), _host_rows(ct, rows, None), key,
                            losses, record)
    result_params = jax.block_until_ready(params_from_tables(wt, ct, layout, d))
    return ShardedResult(result_params, losses, epoch_seconds, N, G, time.perf_counter() - start, config)


def train_glove_sharded(X: sp.csr_matrix, config: TrainConfig, callback=None, progress: bool = False,
                        params: GloveParams | None = None, checkpoint_dir=None, resume: bool = False,
                        checkpoint_every: int = 1):
    """:func:`~glove_lite.train.train_glove` for ``config.devices != 1``: a TrainResult (method "tiled").

    Returns None when ``devices="all"`` finds a single device (the caller then trains as usual).
    """
    from glove_lite.train import TrainResult

    N = resolve_devices(config.devices)
    if config.devices == "all" and N == 1:
        return None
    result = train_sharded(X, config, N, callback=callback, progress=progress, params=params,
                           checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every, resume=resume)
    return TrainResult(result.params, result.losses, "tiled", result.seconds, config)
