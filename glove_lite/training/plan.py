"""The planner: which strategy trains X, with what settings, at what cost in seconds and memory.

Every cost and memory constant of the library lives here, with the measurements behind it
(the 2-core CPU of DESIGN.md, AdaGrad, 100 d, default batch sizes):

* dense blocks: 0.40 s per epoch on the book's X (V = 8,791) and 143 s at V = 114,625. Both are
  about V^2 d multiply-adds, but the cost per V^2 d doubles between the two (5.2e-11 s, 1.09e-10 s),
  the blocks' B x V arrays (2.2 MB, then 29 MB) falling out of cache; the model is the power law
  through the two points: 5.2e-11 s x V^2 d x (V / 8,791)^0.29.
* sparse chunks: 1.8-2.2 s on the book's X (5.16 M non-zeros) and 27-30 s on 84.0 M: 3.5e-9 s x nnz d.
* the hybrid corner's tiles of B = 256 rows: about 1.7e-10 s x K^2 d (generated text8-sized X:
  K = 8,192 1.12 s, 12,288 2.45 s, 16,384 4.90 s; at K = 8,192 tiles of 128 rows took 2.0e-10 and
  of 512 rows 2.6e-10 per K^2 d), so a ring of words joins the corner while it is denser than
  3.5e-9 / 1.7e-10 / ... = 4.9 %.
* tiles (one device, 32 x 32 tiles): 29-33 s per epoch on the text8-sized X (84.0 M non-zeros;
  the first epoch 48 s with compilation), measured quietly beside the C tool: 3.6e-9 s x nnz d.

What a user waits for is a given loss, not an epoch, and the strategies learn different amounts per
epoch (EPOCHS_TO_QUALITY). ``method="auto"`` therefore takes the least **time to quality**, the
model's seconds per epoch times the epochs it needs, among dense blocks, tiles, sparse chunks and,
where the corner pays, the hybrid corner. The choice depends on V, nnz, d and X's corner profile
only, so it is the same on every machine (the book's outputs depend on it: its X stays with dense
blocks by a factor of about 5). The model is calibrated on a CPU: on an accelerator, dense matrix
products are relatively cheaper, so choose ``method`` yourself there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import jax
import numpy as np
import scipy.sparse as sp

from glove_lite.errors import GloveLiteError
from glove_lite.training.chunks import row_pieces
from glove_lite.training.config import TrainConfig
from glove_lite.training.optim import OPTIMIZERS, row_optimizer
from glove_lite.training.strategy import STRATEGIES

__all__ = ["Plan", "make_plan", "model_epoch_seconds", "corner_profile", "best_corner", "predicted_peak_bytes",
           "x_dtype", "resolve_devices", "available_devices", "default_groups"]

DENSE_SECONDS_PER_V2D = 5.2e-11
DENSE_V_REF, DENSE_V_POWER = 8_791, 0.29
SPARSE_SECONDS_PER_NNZ_D = 3.5e-9
CORNER_SECONDS_PER_CELL_D = 1.7e-10
TILED_SECONDS_PER_NNZ_D = 3.6e-9
# Epochs each strategy needs to reach a given loss, relative to dense blocks and tiles (the learning per
# epoch). A step of dense blocks moves every context vector, a tile's half-step every row of its group:
# both give a word dozens of steps an epoch. A sparse chunk gives a row one summed step per visit, once an
# epoch for most rare words. Measured on the generated text8-sized X (exact loss after each epoch): the
# loss 0.0135 takes tiles about 1.3 epochs and the hybrid corner with sparse chunks 8; 0.0111 takes 2
# and 12 (the hybrid's loss after 5 epochs, 0.026, is above the tiles' after 1, 0.015).
EPOCHS_TO_QUALITY = {"dense": 1.0, "tiled": 1.0, "hybrid": 6.0, "sparse": 6.0}
CORNER_ROWS = 256  # B: rows per corner tile
PIECE_ENTRIES = 1 << 21  # non-zeros per piece of rows when X is scanned or split (host temporaries ~40 bytes each)
PROCESS_BASE_BYTES = int(0.32 * 2**30)  # Python, numpy, scipy, JAX and compiled epochs (measured, 2,000 words)
# Tiles: more groups split a word's row over more tiles, and each half-step moves it: more steps per epoch.
# Exact loss after epochs 1 / 2 / 3 on the generated text8-sized X (AdaGrad 0.2, one device): G = 16
# 0.0199 / 0.0126 / 0.0109, G = 32 0.0149 / 0.0110 / 0.0100; the C tool (2 threads, shuffled pairs)
# 0.0160 / 0.0152 / 0.0149, and 0.0116 after 5 epochs. On a quarter of it (21 M non-zeros), G = 32 also
# beat G = 16 in every epoch (0.0137 / 0.0104 against 0.0153 / 0.0111).
DEFAULT_GROUPS = 32


@dataclass(frozen=True)
class Plan:
    """How X will be trained: the strategy (``method``), how it was chosen (``how``: "forced" or "model"),
    its learning rate and batch size, the hybrid corner K (in tiles of ``corner_rows``), the devices N
    and tile groups G of the tiled schedule, and the model's seconds per epoch of each candidate."""

    method: str
    how: str
    learning_rate: float
    batch_size: int
    corner: int = 0
    devices: int = 1
    groups: int = 0
    seconds: dict = field(default_factory=dict)
    corner_rows: int = CORNER_ROWS

    def describe(self) -> str:
        """One line for the command's output, e.g. "tiled (cost model, seconds per epoch x epochs to the same
        loss: dense 139 s x 1, hybrid 22 s x 4, ...; 32 x 32 tiles on 1 device)"."""
        extra = []
        if self.corner:
            extra.append(f"dense corner of the {self.corner:,} most frequent words")
        if self.method == "tiled":
            extra.append(f"{self.groups} x {self.groups} tiles on {self.devices} device{'s' * (self.devices > 1)}")
        if self.how == "forced":
            return f"{self.method} (as asked" + "".join(f"; {e}" for e in extra) + ")"
        costs = ", ".join(f"{m} {_seconds(t)} x {EPOCHS_TO_QUALITY[m]:g}" for m, t in sorted(self.seconds.items()))
        return (f"{self.method} (cost model, seconds per epoch x epochs to the same loss: {costs}"
                + "".join(f"; {e}" for e in extra) + ")")


def _seconds(t: float) -> str:
    return f"{t:.2g} s" if t < 10 else f"{t:,.0f} s"


def model_epoch_seconds(V: int, nnz: int, dim: int) -> dict[str, float]:
    """The cost model's seconds per epoch of dense blocks, sparse chunks and tiles (see the module docstring)."""
    dense = DENSE_SECONDS_PER_V2D * float(V) ** 2 * dim * (V / DENSE_V_REF) ** DENSE_V_POWER
    return {"dense": dense, "sparse": SPARSE_SECONDS_PER_NNZ_D * nnz * dim, "tiled": TILED_SECONDS_PER_NNZ_D * nnz * dim}


def seconds_to_quality(seconds: dict[str, float]) -> dict[str, float]:
    """Seconds per epoch times the epochs each strategy needs to reach the same loss (EPOCHS_TO_QUALITY)."""
    return {m: t * EPOCHS_TO_QUALITY[m] for m, t in seconds.items()}


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
    """The model's seconds per epoch with a dense corner of K words (K = 0: sparse chunks alone)."""
    nnz = int(profile[-1])
    return CORNER_SECONDS_PER_CELL_D * float(K) ** 2 * dim + SPARSE_SECONDS_PER_NNZ_D * (nnz - int(profile[K])) * dim


def best_corner(profile: np.ndarray, dim: int, rows: int = CORNER_ROWS) -> tuple[int, float]:
    """The corner size K (a multiple of ``rows``, 0 for none) with the least modelled time, and that time."""
    V = profile.shape[0] - 1
    Ks = np.arange(0, V + 1, rows)
    seconds = [hybrid_seconds(profile, int(K), dim) for K in Ks]
    k = int(np.argmin(seconds))  # the first (smallest K) of equal times: explicit tie-breaking
    return int(Ks[k]), float(seconds[k])


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


def default_groups(devices: int, V: int, at_least: int = DEFAULT_GROUPS) -> int:
    """G for N devices: the least multiple of N that is at least 32 (1, 2, 4, 8, 16 or 32 devices then
    compute the same vectors), or as many as a tiny vocabulary holds."""
    G = devices * -(-at_least // devices)
    return G if G <= V else max(devices, V // devices * devices)


def make_plan(X: sp.csr_matrix, config: TrainConfig) -> Plan:
    """The plan for training X with ``config`` (see the module docstring)."""
    V, nnz = X.shape[0], X.nnz
    N = resolve_devices(config.devices)
    if N > 1:
        method, how = "tiled", "forced"
    elif config.method != "auto":
        method, how = config.method, "forced"
    else:
        method, how = None, "model"
    seconds = {} if how == "forced" else model_epoch_seconds(V, nnz, config.dim)
    corner = 0
    if how == "model" and seconds["dense"] > min(seconds["sparse"], seconds["tiled"]):
        K, t = best_corner(corner_profile(X), config.dim)  # dense blocks lose: would a dense corner pay?
        if K and t < seconds["sparse"]:
            corner, seconds = K, {**seconds, "hybrid": t}
    if method is None:
        to_quality = seconds_to_quality(seconds)
        method = min(to_quality, key=to_quality.get)  # ties go to the first: dense, sparse, tiled, hybrid
    if method == "hybrid" and not corner:
        K, _ = best_corner(corner_profile(X), config.dim)
        corner = K or min(CORNER_ROWS, V)  # a forced hybrid always gets a corner: at least one tile
    if method != "hybrid":
        corner = 0
    strategy = STRATEGIES[method]
    lr = config.learning_rate
    if lr is None:
        lr = getattr(strategy, "learning_rate_defaults", {}).get(config.optimizer, OPTIMIZERS[config.optimizer].learning_rate)
    groups = default_groups(N, V) if method == "tiled" else 0
    return Plan(method, how, float(lr), int(config.batch_size or strategy.batch_size), corner, N, groups, seconds)


def x_dtype(V: int, nnz: int, config: TrainConfig = TrainConfig()):
    """The dtype X's values should have for training with ``config``: float32 where the plan reads them as
    float32 (every strategy but dense blocks: X's own arrays are then used in place), else float64.
    Decided from V and nnz alone, so a counting stage can write X in it directly."""
    if V < 1 or nnz < 1:
        return np.float64
    if config.method != "auto" or resolve_devices(config.devices) > 1:
        return np.float64 if config.method == "dense" else np.float32
    to_quality = seconds_to_quality(model_epoch_seconds(V, nnz, config.dim))
    return np.float64 if min(to_quality, key=to_quality.get) == "dense" else np.float32


def predicted_peak_bytes(method: str, V: int, nnz: int, dim: int, optimizer: str = "adagrad",
                         x_bytes_per_nnz: int = 8, block_rows: int = 64, longest_block: int = 0,
                         corner: int = 0, corner_rows_nnz: int | None = None, groups: int = DEFAULT_GROUPS,
                         free_x: bool = False) -> int:
    """Predicted peak resident bytes of a process holding X (CSR) and training on it with ``method``.

    ``x_bytes_per_nnz``: 8 for float32 values and int32 columns, 12 for float64 values. ``free_x``:
    X is freed once a strategy that trains on its own copy has made it (``train_glove(free_x=True)``,
    as the command line does): then X counts only while the copy is built.
    With P = 8 V (d + 1) (W, W~, b, b~ in float32) and s per-element state arrays (1 for AdaGrad,
    2 for Adam):

    * sparse (and hybrid): X's arrays are used in place (float64 values get a 4 nnz float32 copy);
      the packed tables (1 + s) P beside one more copy of the parameters (the initial ones while
      the tables are built, later the one handed to a callback): (2 + s) P.
    * hybrid (a corner of K words in tiles of B = 256 rows): the sparse (2 + s) P, the non-zeros of
      the first K rows (``corner_rows_nnz``, at most nnz, the default) copied and split (8 bytes
      each, plus 8 B K of padding; the rows >= K are X's own arrays), and the larger of: while
      splitting, about 40 bytes per entry of a piece of rows (2^21); while training, a tile's B x K
      arrays, about six float32 arrays of B x K (24 B K).
    * dense: the blocks 16 (nnz + L) (L the longest block's entries, at most B V); while they are
      built, about 28 bytes per entry of one group of rows (2^24 entries); while training, the
      parameters, the state and a gradient and update (3 + s) P and the B x V arrays of a step,
      about 10 of them in float32 (40 B V).
    * tiled (one device, G groups): the tiles 8.7 nnz + 12 G V (8 bytes per non-zero and about 9 %
      of padding to the longest tile; each tile's row pointers); while they are built, 40 bytes per
      entry of a piece of rows (2^21); while training, the tables in and out of an epoch 2 (1 + s) P,
      the parameters P and one gathered side P / 2.
    * pairs: the pairs 16 nnz; while they are made, and while training (the epoch's shuffled
      copies), about 20 nnz more; while training, (2 + s) P.

    Plus PROCESS_BASE_BYTES, and X itself (x_bytes_per_nnz nnz + 4 V) throughout unless freed.
    """
    s = row_optimizer(optimizer, 0.1, None, 1).k
    P = 8 * V * (dim + 1)
    x = x_bytes_per_nnz * nnz + 4 * V
    own = 0 if x_bytes_per_nnz == 8 else 4 * nnz
    if method == "sparse":
        return PROCESS_BASE_BYTES + x + own + (2 + s) * P
    if method == "hybrid":
        BK = min(CORNER_ROWS, max(corner, 1)) * corner
        copied = nnz if corner_rows_nnz is None else corner_rows_nnz
        return PROCESS_BASE_BYTES + x + (2 + s) * P + 8 * copied + 8 * BK + max(40 * PIECE_ENTRIES, 24 * BK)
    if method == "tiled":  # (the copy, while it is built, while training)
        phases = (int(8.7 * nnz) + 12 * groups * V, 40 * PIECE_ENTRIES, (3 + 2 * s) * P + P // 2)
    elif method == "pairs":
        phases = (16 * nnz, 20 * nnz, 20 * nnz + (2 + s) * P)
    elif method == "dense":
        phases = (16 * (nnz + longest_block), 28 * min(nnz, 1 << 24), (3 + s) * P + 40 * block_rows * V)
    else:
        raise GloveLiteError(f"method={method!r}; expected one of {', '.join(map(repr, STRATEGIES))}")
    copy, building, training = phases
    if free_x:
        return PROCESS_BASE_BYTES + max(x + copy + building, copy + training)
    return PROCESS_BASE_BYTES + x + copy + max(building, training)
