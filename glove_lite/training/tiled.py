"""Tiles: X cut into G x G tiles, scheduled so that N devices never write the same rows (DSGD).

The schedule (Gemulla et al. 2011; the tiling of Swivel, Shazeer et al. 2016):

* **Groups.** The vocabulary is dealt into G groups by frequency rank modulo G (word w joins group
  w mod G at local index w // G): every group gets its share of frequent and rare words, so the
  G x G **tiles** of X (rows of one group, columns of another) hold about nnz / G^2 non-zeros
  each. Device p of N (G a multiple of N) owns the groups a with a mod N = p: their rows of both
  sides of the tables (:mod:`glove_lite.training.tables`), k = G / N groups of ceil(V / G) rows.
* **Strata.** An epoch walks the G strata in a random order (the same on every device). In
  stratum s every group a is paired with the column group (a + s) mod G, so each device works on
  tiles of its own row groups and no two devices write the same row.
* **Half-steps.** A stratum has two. First every device moves the word side [w, b] of its rows
  from its tiles while the context side is only read (from an ``all_gather`` made at the start of
  the half-step); then it moves the context side [w~, b~] from the same tiles, X_rc read as X_cr,
  while the word side is only read. Each non-zero is visited once per epoch in each role.

Within a tile the work is the sparse chunks' (:mod:`glove_lite.training.sparse`): the tile's
non-zeros in CSR order, in chunks of L; a chunk moves one side of its rows. Because a half-step
only reads the side it does not write, the result depends on G, not on N: 1, 2 or 4 devices give
the same vectors to float rounding (tested). The optimizer's step count (Adam's) advances once per
half-step, so that it too does not depend on N. Tiles are padded to one length (the longest, in
whole chunks); padded chunks are masked no-ops.

Measured (2-core CPU, 100 d, AdaGrad, chunks of 1,024): more groups give a word more steps per epoch
and learn more per epoch; the planner holds the figures and the default G (32). On the book's corpus
(25 epochs, seed 0) AdaGrad 0.2 scored WordSim-353 0.37, SimLex-999 0.16, analogies 6.6 %,
against 0.33, 0.13 and 0.8 % at 0.5. Memory per device: its tiles (8 bytes per non-zero, plus
each tile's padding), its rows of the tables, one gathered copy of the read-only side.
On CPU, simulate N devices with ``XLA_FLAGS=--xla_force_host_platform_device_count=N``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Iterator

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

from glove_lite.errors import GloveLiteError
from glove_lite.training.chunks import aligned_zeros
from glove_lite.training.config import GloveParams
from glove_lite.training.optim import RowOptimizer, row_optimizer
from glove_lite.training.plan import PIECE_ENTRIES, available_devices
from glove_lite.training.sparse import TableState, TableStrategy
from glove_lite.training.strategy import Part, Step, register
from glove_lite.training.tables import pack, unpack

__all__ = ["Tiled", "Tiles", "Layout", "TilePlan", "plan_tiles", "device_tiles", "check_groups"]

AXIS = "devices"


def check_groups(groups: int, devices: int, V: int) -> None:
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise GloveLiteError(f"groups={groups!r}; expected an integer >= 1")
    if groups % devices:
        raise GloveLiteError(f"groups={groups} is not a multiple of devices={devices}; expected G = k x N")
    if groups > V:
        raise GloveLiteError(f"groups={groups} for a vocabulary of {V} words; expected at most {V}")


@dataclass(frozen=True)
class Layout:
    """Where each word's row lives: V words in G groups on N devices (k = G / N groups each, Vg rows per group).

    Word w is in group a = w mod G at local index w // G; group a sits on device a mod N, in slot a // N
    of that device's k slots. Table row of w (all devices stacked): ((a mod N) k + a // N) Vg + w // G.
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
        """First table row of each group."""
        return ((group % self.N) * self.k + group // self.N) * self.Vg

    def rows_of_words(self, words: np.ndarray | None = None) -> np.ndarray:
        """Table row of each word (default: every word 0 .. V - 1), int64."""
        w = np.arange(self.V, dtype=np.int64) if words is None else np.asarray(words, np.int64)
        return self.group_base(w % self.G) + w // self.G


def _group_blocks(X: sp.csr_matrix, a: int, G: int, budget: int = PIECE_ENTRIES):
    """Rows a, a + G, ... of X in CSR order, about ``budget`` non-zeros at a time: (local row, column, value)."""
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


SHORT_SPAN = 64  # chunks spanning at most this many rows take the cheaper step (see plan_tiles)


@dataclass
class TilePlan:
    """Shapes shared by every device's tiles: chunk length L, padded tile length T, and the chunks in two
    buckets by the rows they span: at most ``R_short`` rows, or up to ``R``.

    indptr (G, G, Vg + 1) int64 and first (G, G, C) int64 are the row pointers and chunk first rows of
    tile (a, b); tile_nnz (G, G) its non-zeros; short (G, G, C) bool: whether a live chunk spans at most
    R_short rows. C_short and C_long: the most chunks of either bucket any tile has.
    """

    layout: Layout
    indptr: np.ndarray
    first: np.ndarray
    tile_nnz: np.ndarray
    short: np.ndarray
    L: int
    R: int
    R_short: int
    T: int
    C_short: int
    C_long: int

    @property
    def C(self) -> int:
        return self.T // self.L


def plan_tiles(X: sp.csr_matrix, layout: Layout, chunk_size: int, short_span: int | None = None) -> TilePlan:
    """Count each tile's non-zeros per row (one pass over X) and fix L, R and T, and the buckets.

    A step slices the R rows its chunk may span, so a chunk of frequent words' long rows (a few rows)
    would pay for the widest chunk of rare words' short rows (hundreds): chunks spanning at most
    ``short_span`` (default SHORT_SPAN) rows form a bucket of their own with R_short = short_span.
    """
    short_span = SHORT_SPAN if short_span is None else short_span
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
    short = np.zeros((G, G, C), bool)
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
            short[a, b, live] = last - f + 1 <= short_span
            R = max(R, int((last - f).max()) + 1)
    R = min(R, Vg)
    R_short = min(short_span, R)
    live = starts[None, None, :] < tile_nnz[:, :, None]
    C_short = int(short.sum(axis=2).max())
    C_long = int((live & ~short).sum(axis=2).max())
    return TilePlan(layout, indptr, first, tile_nnz, short, L, R, R_short, T, C_short, C_long)


@dataclass
class Tiles:
    """Device p's tiles as host arrays, stacked [stratum s, slot j]: tile (a, (a + s) mod G), a = p + N j.

    x (G, k, T) float32 values and cols (G, k, T) int32 table rows of the columns, each tile's non-zeros in
    CSR order from position 0, the rest padding; indptr (G, k, Vg + 1 + R) int32 row pointers within the tile
    (then R copies of its nnz); first (G, k, C) int32, the row of chunk c's first position c L; nnz (G, k);
    short (G, k, C_short) and long (G, k, C_long) int32: the tile's chunks of each bucket in CSR order,
    padded with -1 (a no-op).
    """

    x: np.ndarray
    cols: np.ndarray
    indptr: np.ndarray
    first: np.ndarray
    nnz: np.ndarray
    short: np.ndarray
    long: np.ndarray

    def arrays(self) -> tuple:
        return self.x, self.cols, self.indptr, self.first, self.nnz, self.short, self.long


def device_tiles(X: sp.csr_matrix, plan: TilePlan, p: int) -> Tiles:
    """Device p's tiles (see :class:`Tiles`), built on the host (64-byte aligned: a CPU device uses them in place)."""
    layout, R = plan.layout, plan.R
    G, N, k, Vg = layout.G, layout.N, layout.k, layout.Vg
    x = aligned_zeros((G, k, plan.T), np.float32)
    cols_out = aligned_zeros((G, k, plan.T), np.int32)
    indptr = aligned_zeros((G, k, Vg + 1 + R), np.int32)
    first = aligned_zeros((G, k, plan.C), np.int32)
    nnz = aligned_zeros((G, k), np.int32)
    short = np.full((G, k, max(plan.C_short, 1)), -1, np.int32)
    long = np.full((G, k, max(plan.C_long, 1)), -1, np.int32)
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
            chunks = np.arange(plan.C)[np.arange(plan.C) * plan.L < plan.tile_nnz[a, b]]
            is_short = plan.short[a, b, chunks]
            short[s, j, :is_short.sum()] = chunks[is_short]
            long[s, j, :(~is_short).sum()] = chunks[~is_short]
    return Tiles(x, cols_out, indptr, first, nnz, short, long)


# ----------------------------------------------------------------------------- one half-step


def chunk_half_step(carry, jc, other, data, bucket, s, row_opt: RowOptimizer, x_max: float, alpha: float, L: int,
                    R: int, C: int, Vg: int, d: int):
    """The chunk listed at jc = j C + i of ``bucket`` (G, k, C) for the tile in slot j of stratum s: move one side
    of its rows (a listed -1 is a no-op). R: the most rows the bucket's chunks span.

    ``carry`` is (this device's rows of that side, (n, width); the optimizer's scalars, unchanged here);
    ``other`` (n_rows, d + 1) holds the read-only vectors and biases of the other side.
    """
    table, scalars = carry
    x_all, cols_all, indptr_all, first_all, nnz_all = data[:5]
    j = jc // C
    listed = bucket[s, j, jc % C]
    c = jnp.maximum(listed, 0)
    s0 = c * L
    x = jax.lax.dynamic_slice(x_all, (s, j, s0), (1, 1, L)).reshape(L)
    cols = jax.lax.dynamic_slice(cols_all, (s, j, s0), (1, 1, L)).reshape(L)
    r0 = first_all[s, j, c]
    ends = jax.lax.dynamic_slice(indptr_all, (s, j, r0 + 1), (1, 1, R)).reshape(R) - s0
    marks = jnp.zeros(L + 1, jnp.int32).at[jnp.clip(ends, 0, L)].add(1)
    rl = jnp.cumsum(marks[:L])  # row of each position, minus r0
    live = (s0 + jnp.arange(L) < nnz_all[s, j]) & (listed >= 0)
    base = j * Vg + r0
    start = jnp.minimum(base, table.shape[0] - R)  # the R-row slice stays inside the table
    rl = rl + (base - start)
    rows = jax.lax.dynamic_slice(table, (start, 0), (R, table.shape[1]))
    pc = other[cols]  # (L, d + 1): the other side's vector and bias of each column
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
    rows, _ = row_opt.step(rows, grad, scalars, touched)
    return (jax.lax.dynamic_update_slice(table, rows, (start, 0)), scalars), loss


def half_step(table, scalars, other, data, s, k: int, row_opt: RowOptimizer, R_short: int, R: int, **static):
    """Every chunk of this device's k tiles in stratum s, moving one side: first the chunks of few rows, then the
    others, each bucket slot by slot in CSR order: (table, scalars, loss). The count advances once, at the end."""
    total = 0.0
    for bucket, rows in ((data[5], R_short), (data[6], R)):
        C = bucket.shape[2]
        step = partial(chunk_half_step, other=other, data=data, bucket=bucket, s=s, row_opt=row_opt, R=rows, C=C,
                       **static)
        (table, _), losses = jax.lax.scan(step, (table, scalars), jnp.arange(k * C))
        total = total + jnp.sum(losses)
    return table, row_opt.tick(scalars), total


@lru_cache(maxsize=16)
def make_epoch_fn(mesh: Mesh, row_opt: RowOptimizer, x_max: float, alpha: float, L: int, R: int, R_short: int,
                  Vg: int, k: int):
    """The jitted epoch: ``(tables, scalars, stratum_order, tiles) -> (tables, scalars, summed loss)``.

    Tables (2, n_rows, width) and tiles are sharded by rows over the mesh; the order (G,) is replicated.
    The loss is the sum over the epoch of each non-zero's weighted squared error, the mean of its two roles.
    """
    d = row_opt.w - 1
    static = dict(x_max=x_max, alpha=alpha, L=L, R=R, R_short=R_short, Vg=Vg, d=d)

    def epoch(tables, scalars, order, data):
        def stratum(carry, s):
            wt, ct, scalars = carry
            other = jax.lax.all_gather(ct[:, :d + 1], AXIS, tiled=True)
            wt, scalars, loss_w = half_step(wt, scalars, other, data, s, k, row_opt, **static)
            other = jax.lax.all_gather(wt[:, :d + 1], AXIS, tiled=True)
            ct, scalars, loss_c = half_step(ct, scalars, other, data, s, k, row_opt, **static)
            return (wt, ct, scalars), loss_w + loss_c

        (wt, ct, scalars), losses = jax.lax.scan(stratum, (tables[0], tables[1], scalars), order)
        return jnp.stack([wt, ct]), scalars, jax.lax.psum(0.5 * jnp.sum(losses), AXIS)

    rows = P(None, AXIS)
    sharded = jax.shard_map(epoch, mesh=mesh, in_specs=(rows, P(), P(), (P(AXIS),) * 7),
                            out_specs=(rows, P(), P()))
    return jax.jit(sharded, donate_argnums=(0,))


@register
class Tiled(TableStrategy):
    """G x G tiles in strata, half-steps on each side, over N devices (module docstring)."""

    name = "tiled"
    summary = "G x G tiles in strata with word and context half-steps, on one or several devices (DSGD)"
    batch_size = 1024  # non-zeros per chunk of a tile
    copies_x = True

    def __init__(self, X, config, plan):
        super().__init__(X, config, plan)
        N, G, V = plan.devices, plan.groups, X.shape[0]
        check_groups(G, N, V)
        self.layout = Layout(V, G, N)
        self.mesh = Mesh(np.array(available_devices()[:N]), (AXIS,))
        self.row_opt = row_optimizer(config.optimizer, plan.learning_rate, config.grad_clip, config.dim + 1)
        self.tiles_plan = plan_tiles(X, self.layout, plan.batch_size)
        self.data = self._put_tiles(X)
        tp = self.tiles_plan
        self._epoch_fn = make_epoch_fn(self.mesh, self.row_opt, float(config.x_max), float(config.alpha), tp.L, tp.R,
                                       tp.R_short, self.layout.Vg, self.layout.k)

    # ---- placing arrays on the devices (each process places only its own devices' shards)

    def _mine(self) -> list[tuple[int, object]]:
        return [(p, dev) for p, dev in enumerate(self.mesh.devices.flat) if dev.process_index == jax.process_index()]

    def _put_tiles(self, X) -> tuple:
        shards: list[list] = [[] for _ in range(7)]
        for p, dev in self._mine():
            for out, block in zip(shards, device_tiles(X, self.tiles_plan, p).arrays()):
                out.append(jax.device_put(block, dev))
        sharding = NamedSharding(self.mesh, P(AXIS))
        N = self.layout.N
        return tuple(jax.make_array_from_single_device_arrays((N * s[0].shape[0],) + s[0].shape[1:], sharding, s)
                     for s in shards)

    def _put_tables(self, host: np.ndarray):
        per = self.layout.k * self.layout.Vg
        shards = [jax.device_put(host[:, p * per:(p + 1) * per], dev) for p, dev in self._mine()]
        return jax.make_array_from_single_device_arrays(host.shape, NamedSharding(self.mesh, P(None, AXIS)), shards)

    def _host_rows(self, tables, rows: np.ndarray) -> np.ndarray:
        if tables.is_fully_addressable:
            return np.asarray(jnp.take(tables, jnp.asarray(rows), axis=1))
        from jax.experimental import multihost_utils

        return np.asarray(multihost_utils.process_allgather(tables, tiled=True))[:, rows]

    # ---- the protocol

    def init_state(self, params):
        return self.state_from(params, self.row_opt.tx.init(GloveParams(*params)))

    def state_from(self, params, opt_state):
        vocab_tables, scalars = pack(self.row_opt, GloveParams(*params), opt_state)
        layout = self.layout
        fresh, _ = self.row_opt.init(jnp.zeros((1, self.row_opt.w), jnp.float32))  # what a padded row holds
        host = np.broadcast_to(np.asarray(fresh), (2, layout.n_rows, self.row_opt.width)).copy()
        host[:, layout.rows_of_words()] = np.asarray(vocab_tables)
        return TableState(self._put_tables(host), tuple(scalars))

    def _vocab_tables(self, state) -> np.ndarray:
        return self._host_rows(state.tables, self.layout.rows_of_words())

    def params(self, state):
        t = self._vocab_tables(state)
        d = self.config.dim
        return GloveParams(*(jnp.asarray(a) for a in (t[0, :, :d], t[1, :, :d], t[0, :, d], t[1, :, d])))

    def state_to(self, state):
        return unpack(self.row_opt, jnp.asarray(self._vocab_tables(state)), state.scalars)

    def epoch(self, state, key):
        G = self.layout.G
        order = jax.make_array_from_process_local_data(NamedSharding(self.mesh, P()),
                                                       np.asarray(jax.random.permutation(key, G)))
        tables, scalars, total = self._epoch_fn(state.tables, state.scalars, order, self.data)
        return TableState(tables, scalars), total.addressable_data(0)

    def steps(self, key) -> Iterator[Step]:
        """Stratum by stratum: the word half-step's chunks (every tile of the stratum, groups in order), a tick
        of the count, then the context half-step's chunks and a tick."""
        layout, tp = self.layout, self.tiles_plan
        G = layout.G
        X = self.X
        word_of_local = lambda a, rloc: rloc * G + a  # noqa: E731
        for s in np.asarray(jax.random.permutation(key, G)):
            for side in (0, 1):
                order = [(a, c) for bucket in (True, False) for a in range(G)  # the short bucket, then the long
                         for c in range(tp.C) if c * tp.L < tp.tile_nnz[a, (a + int(s)) % G]
                         and tp.short[a, (a + int(s)) % G, c] == bucket]
                for a, c in order:  # every group once per stratum, on whichever device holds it
                    b = (a + int(s)) % G
                    sub = X[np.arange(a, X.shape[0], G)][:, np.arange(b, X.shape[0], G)].tocsr()
                    sub.sort_indices()
                    n = int(tp.tile_nnz[a, b])
                    rloc = np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))
                    pos = np.arange(c * tp.L, min((c + 1) * tp.L, n))
                    r, col = word_of_local(a, rloc[pos]), sub.indices[pos] * G + b
                    x = sub.data[pos].astype(np.float32)
                    touched = np.unique(r)
                    if side == 0:
                        yield Step((Part(r, col, x, ("W", "b")),), (touched, touched[:0], touched, touched[:0]),
                                   count=False)
                    else:
                        yield Step((Part(col, r, x, ("W_tilde", "b_tilde")),),
                                   (touched[:0], touched, touched[:0], touched), count=False)
                none = np.zeros(0, np.int64)
                yield Step((), (none,) * 4, count=True)
