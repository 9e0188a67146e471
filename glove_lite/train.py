"""Training GloVe with JAX and optax.

Parameters are a pytree (:class:`GloveParams`); one epoch is one jitted function (a
``jax.lax.scan`` over shuffled batches), so the host syncs once per epoch. Two ways to
visit the non-zeros of X, with the same loss:

* ``"dense"``: blocks of B whole rows of X. All B x V predictions come from one matrix
  product and the gradients from two more, so BLAS does the work; the zeros of X get
  weight f(0) = 0 and change nothing. Each block is rebuilt from the sparse matrix inside
  the epoch (two scalar scatters), so memory stays O(nnz + B x V), never O(V^2).
  X being symmetric, the rows R of X are also its columns R, so a block can serve as
  words (rows of W against all of W_tilde) or as contexts (rows of W_tilde against all of
  W). ``block_roles="alternate"`` (the default) takes the blocks in pairs, the first as
  words and the second as contexts: three matrix products per step.
  ``block_roles="both"`` uses every block in both roles at once (six products per step,
  a step that treats W and W_tilde exactly alike). On the full SOTU corpus (100 d,
  AdaGrad, 25 epochs, seeds 0-2) alternating was 1.6-2x faster per epoch and scored as
  well: WordSim-353 0.39-0.41, SimLex-999 0.17-0.19, analogies 6.8-6.9 %, against
  0.36-0.41, 0.17-0.19 and 6.7-7.0 % with both roles. Alternating by epoch instead (every
  block as words, then every block as contexts) scored worse (SimLex-999 0.15).
* ``"sparse"``: chunks of consecutive non-zeros of X in CSR order; a step reads and
  writes only the rows of W, W_tilde, the biases and the optimizer state that the chunk
  touches, so it costs O(chunk x d), never O(V x d) (see :mod:`glove_lite.sparse_train`;
  AdaGrad exact, Adam lazy). Memory O(nnz + V d).
* ``"hybrid"``: the frequent words' corner X[:K, :K] by dense tiles of 256 rows x K columns,
  every other non-zero by the sparse chunk steps, on one packed table (see
  :mod:`glove_lite.hybrid_train`); K from the cost model.
* ``"pairs"``: shuffled batches of (i, j, X_ij) through the dense optax optimizer, the
  textbook port, kept as a reference: every step updates all of W and W_tilde (O(V x d)).

``method="auto"`` picks the cheaper of dense and sparse per epoch (:func:`choose_method_by_cost`):
a cost model calibrated on the 2-core machine (dense about 5.2e-11 s x V^2 d x (V / 8,791)^0.29,
sparse 3.5e-9 s x nnz d) decides when it puts them more than 2x apart, and a few timed steps
on X's own shapes decide otherwise. The book's corpus (8,791 words, 6.7 % dense: dense 0.4 s,
sparse 1.8 s by the model) stays dense on every machine; a text8-sized one (112,822 words,
0.66 %: dense 139 s, sparse 29 s) goes sparse, and then hybrid (22 s by the model, with a
corner of 16,128 words), since for sparse updates :func:`with_corner` asks whether X's dense
corner pays. ``choose_method`` is the older density rule
(dense at 2 % and above), kept for the book's chapter 4.

Memory: nothing is V x V, and dense blocks are stored unpadded (:func:`make_flat_blocks`);
:func:`predicted_peak_bytes` gives each method's peak as a formula of V, d and nnz.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from dataclasses import dataclass, field, replace
from functools import lru_cache, partial
from typing import Callable, Literal, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import scipy.sparse as sp

from glove_lite.checkpoint import has_checkpoint, load_checkpoint, save_checkpoint, settings_record
from glove_lite.cooccur import cooc_matrix_to_arrays
from glove_lite.errors import GloveLiteError, TrainingDivergedError
from glove_lite.loss import dense_block_loss, weighted_pair_loss, weighting_fn
from glove_lite.sparse_train import (SparseRule, aligned_zeros, check_symmetric, device_view, make_chunks,
                                      pack_state, packed_epoch, params_of)

DENSE_MIN_DENSITY = 0.02
METHODS = ("auto", "dense", "sparse", "hybrid", "pairs")
DEFAULT_LEARNING_RATE = {"adagrad": 0.2, "adam": 0.01}
# A sparse step gives each row one update per chunk (fewer, summed steps than dense blocks
# take): on the book's corpus (25 epochs, seed 0) AdaGrad at 0.5 scored WordSim-353 0.40,
# SimLex-999 0.14, analogies 3.6 %, against 0.28 / 0.14 / 3.3 % at 0.2 and divergence-like
# 0.27 / 0.01 at 1.0.
DEFAULT_SPARSE_LEARNING_RATE = {"adagrad": 0.5, "adam": 0.01}
DEFAULT_BATCH_SIZE = {"dense": 64, "pairs": 1024, "sparse": 1024, "hybrid": 1024}


class GloveParams(NamedTuple):
    """Word vectors W (V, d), context vectors W_tilde (V, d), biases b (V,) and b_tilde (V,)."""

    W: jax.Array
    W_tilde: jax.Array
    b: jax.Array
    b_tilde: jax.Array


@dataclass(frozen=True)
class TrainConfig:
    """Training settings; defaults reproduce the book's and the command's results.

    learning_rate and batch_size default (None) by optimizer / method:
    AdaGrad 0.2 (0.5 with sparse updates), Adam 0.01; 64 rows per block (dense) or 1024
    non-zeros per step (sparse, pairs).
    grad_clip clips each gradient component to [-grad_clip, grad_clip] (None: off).
    block_roles (dense method): "alternate" uses each block of rows of X either as words or
    as contexts, "both" uses it in both roles in one step (see the module docstring).
    method: "dense" row blocks, "sparse" updates, "hybrid" (the frequent words' corner of X by
    dense tiles, the rest by sparse updates), the textbook "pairs", or "auto" (the cheapest per
    epoch, see :func:`choose_method_by_cost`).
    devices: 1 (default) trains on one device with ``method``; N > 1 (or "all", every device
    JAX sees, when there are several) trains with the tiled schedule of
    :mod:`glove_lite.sharded_train` (sparse chunk steps; ``method`` must be "auto" or "sparse").
    """

    dim: int = 100
    epochs: int = 25
    optimizer: Literal["adagrad", "adam"] = "adagrad"
    learning_rate: float | None = None
    batch_size: int | None = None
    x_max: float = 100.0
    alpha: float = 0.75
    grad_clip: float | None = 100.0
    method: Literal["auto", "dense", "sparse", "hybrid", "pairs"] = "auto"
    block_roles: Literal["alternate", "both"] = "alternate"
    seed: int = 0
    devices: int | Literal["all"] = 1

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> GloveLiteError:
            return GloveLiteError(f"{name}={getattr(self, name)!r}; expected {expected}")

        for name in ("dim", "epochs"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise bad(name, "an integer >= 1")
        if self.batch_size is not None and (not isinstance(self.batch_size, (int, np.integer)) or self.batch_size < 1):
            raise bad("batch_size", "an integer >= 1 or None")
        if self.optimizer not in DEFAULT_LEARNING_RATE:
            raise bad("optimizer", "'adagrad' or 'adam'")
        if self.method not in METHODS:
            raise bad("method", "'auto', 'dense', 'sparse', 'hybrid' or 'pairs'")
        if self.block_roles not in ("alternate", "both"):
            raise bad("block_roles", "'alternate' or 'both'")
        if self.learning_rate is not None and not (0 < self.learning_rate <= 10 and math.isfinite(self.learning_rate)):
            raise bad("learning_rate", "a number in (0, 10]")
        if not (self.x_max > 0 and math.isfinite(self.x_max)):
            raise bad("x_max", "a positive number")
        if not (0 < self.alpha <= 1):
            raise bad("alpha", "a number in (0, 1]")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise bad("grad_clip", "a positive number or None")
        if self.devices != "all" and (isinstance(self.devices, bool) or not isinstance(self.devices, (int, np.integer))
                                      or self.devices < 1):
            raise bad("devices", "an integer >= 1 or 'all'")
        if self.devices != 1 and self.method not in ("auto", "sparse"):
            raise bad("method", "'auto' or 'sparse' with devices != 1 (several devices train with sparse tiles)")

    @property
    def lr(self) -> float:
        """The learning rate in use."""
        return self.learning_rate if self.learning_rate is not None else DEFAULT_LEARNING_RATE[self.optimizer]


class MethodChoice(NamedTuple):
    """How :func:`choose_method_by_cost` chose: the method, ``how`` ("forced": given in the config;
    "model": the cost model alone; "measured": timed steps), and estimated seconds per epoch
    for "dense" and "sparse" (and "hybrid" when X has a corner worth it) from the model and
    (when measured) from the timed steps. ``corner``: the hybrid method's corner of K words."""

    method: str
    how: str
    model_seconds: dict
    measured_seconds: dict | None = None
    corner: int | None = None

    def describe(self) -> str:
        """One line for the command's output, e.g. "sparse (cost model: dense 143 s, sparse 29 s per epoch)"."""
        if self.how == "forced":
            return f"{self.method} (as asked" + (f"; dense corner of {self.corner:,} words)" if self.corner else ")")

        def costs(seconds: dict) -> str:
            return ", ".join(f"{m} {_seconds(t)}" for m, t in sorted(seconds.items())) + " per epoch"

        text = f"{self.method} (cost model: {costs(self.model_seconds)}"
        if self.corner:
            text += f"; dense corner of the {self.corner:,} most frequent words"
        if self.measured_seconds is not None:
            text += f"; within {MEASURE_WITHIN:g}x, so timed: {costs(self.measured_seconds)}"
        return text + ")"


def _seconds(t: float) -> str:
    return f"{t:.2g} s" if t < 10 else f"{t:,.0f} s"


@dataclass
class TrainResult:
    """What :func:`train_glove` returns: final parameters, mean loss per non-zero per epoch, timing."""

    params: GloveParams
    losses: list[float]
    method: str
    seconds: float
    config: TrainConfig = field(repr=False)
    choice: MethodChoice | None = None  # how the method was chosen, with the estimated seconds per epoch


def init_params(key: jax.Array, vocab_size: int, dim: int) -> GloveParams:
    """Uniform(-0.5, 0.5) / dim vectors as in the reference C tool; zero biases.

    W and W_tilde get *independent* keys: with one key they start equal, and since the loss
    is symmetric in them (X is symmetric) they would get equal gradients for ever.
    """
    k_w, k_wt = jax.random.split(key)
    W = (jax.random.uniform(k_w, (vocab_size, dim), jnp.float32) - 0.5) / dim
    W_tilde = (jax.random.uniform(k_wt, (vocab_size, dim), jnp.float32) - 0.5) / dim
    zeros = jnp.zeros((vocab_size,), jnp.float32)
    return GloveParams(W, W_tilde, zeros, zeros)


@lru_cache(maxsize=64)
def make_optimizer(config: TrainConfig) -> optax.GradientTransformation:
    """Gradient clipping (element-wise, as the C tool) followed by AdaGrad or Adam.

    Cached per config: the jitted epochs take the optimizer as a static argument, so
    returning the same object for equal configs lets later runs reuse the compiled epoch.
    """
    if config.optimizer == "adagrad":
        # The C tool starts AdaGrad's squared-gradient sums at 1, which damps the first steps.
        opt = optax.adagrad(config.lr, initial_accumulator_value=1.0, eps=1e-8)
    else:
        opt = optax.adam(config.lr)
    if config.grad_clip is None:
        return opt
    return optax.chain(optax.clip(config.grad_clip), opt)


def choose_method(X: sp.spmatrix, method: str = "auto") -> str:
    """``"dense"`` when X is at least 2 % non-zero, else ``"sparse"`` (unless forced): see the module docstring."""
    if method != "auto":
        return method
    density = X.nnz / float(X.shape[0]) ** 2
    return "dense" if density >= DENSE_MIN_DENSITY else "sparse"


# The cost model (seconds per epoch on the 2-core CPU of DESIGN.md, AdaGrad, default batch sizes),
# from epochs timed there at 100 d:
# * dense: 0.40 s on the book's X (V = 8,791) and 143 s at V = 114,625. Both are about
#   V^2 d multiply-adds, but the cost per V^2 d doubles between the two (5.2e-11 s, 1.09e-10 s),
#   the blocks' B x V arrays (2.2 MB, then 29 MB) falling out of cache; the model is the power
#   law through the two points: 5.2e-11 s x V^2 d x (V / 8,791)^0.29.
# * sparse: 1.8-2.2 s on the book's X (5.16 M non-zeros) and 27-30 s on 84.0 M: 3.5e-9 s x nnz d.
# On the book's X the model says dense 0.40 s, sparse 1.8 s (4.5x apart); on the text8-sized X
# dense 139 s, sparse 29 s (4.7x). Only when the two are within MEASURE_WITHIN of each other
# does "auto" time real steps (:func:`measure_epoch_seconds`); outside that band the choice
# depends on V, nnz and d alone, so it is the same on every machine (the book's outputs depend
# on it: the book's X is dense by a factor of 4.5, far outside the band).
DENSE_SECONDS_PER_V2D = 5.2e-11
DENSE_V_REF, DENSE_V_POWER = 8_791, 0.29
SPARSE_SECONDS_PER_NNZ_D = 3.5e-9
MEASURE_WITHIN = 2.0


def model_epoch_seconds(V: int, nnz: int, dim: int) -> dict[str, float]:
    """The cost model's seconds per epoch for "dense" and "sparse" (see the constants above)."""
    dense = DENSE_SECONDS_PER_V2D * float(V) ** 2 * dim * (V / DENSE_V_REF) ** DENSE_V_POWER
    return {"dense": dense, "sparse": SPARSE_SECONDS_PER_NNZ_D * nnz * dim}


def choose_method_by_cost(X: sp.csr_matrix, config: TrainConfig) -> MethodChoice:
    """The method ``config`` asks for, or for "auto" the cheaper per epoch of "dense" and "sparse",
    and then, for sparse updates, "hybrid" when the cost model says X's corner pays (:func:`with_corner`).

    The cost model (:func:`model_epoch_seconds`) decides when it puts the two more than
    MEASURE_WITHIN (2x) apart; otherwise :func:`measure_epoch_seconds` times a few compiled
    steps of each on X's own shapes (a few seconds, compiling included) and the faster wins.
    """
    choice = choose_method_by_model(X.shape[0], X.nnz, config)
    if choice.how == "measure":
        measured = measure_epoch_seconds(X, config)
        choice = MethodChoice(min(measured, key=measured.get), "measured", choice.model_seconds, measured)
    if config.method == "hybrid" or (config.method == "auto" and choice.method == "sparse"):
        return with_corner(X, config, choice)
    return choice


def with_corner(X: sp.csr_matrix, config: TrainConfig, choice: MethodChoice) -> MethodChoice:
    """``choice`` (sparse updates) with X's frequent-word corner trained by dense tiles ("hybrid")
    where the cost model puts that below plain sparse updates (:func:`glove_lite.hybrid_train.best_corner`).

    A forced "hybrid" always gets a corner: the model's best, else one tile of the most frequent words.
    """
    from glove_lite.hybrid_train import DEFAULT_CORNER_ROWS, best_corner, corner_profile

    K, seconds = best_corner(corner_profile(X), config.dim)
    if config.method == "hybrid":
        return choice._replace(corner=K or min(DEFAULT_CORNER_ROWS, X.shape[0]))
    if K == 0 or seconds >= choice.model_seconds["sparse"]:
        return choice
    return choice._replace(method="hybrid", model_seconds={**choice.model_seconds, "hybrid": seconds}, corner=K)


def choose_method_by_model(V: int, nnz: int, config: TrainConfig) -> MethodChoice:
    """:func:`choose_method_by_cost` before any timing: "forced", "model", or ``how="measure"`` (method
    None) when the model puts dense and sparse within MEASURE_WITHIN of each other."""
    if config.method != "auto":
        return MethodChoice(config.method, "forced", {})
    model = model_epoch_seconds(V, nnz, config.dim)
    ratio = model["dense"] / model["sparse"]
    if not 1 / MEASURE_WITHIN < ratio < MEASURE_WITHIN:
        return MethodChoice(min(model, key=model.get), "model", model)
    return MethodChoice(None, "measure", model)


def measure_epoch_seconds(X: sp.csr_matrix, config: TrainConfig, repeats: int = 3) -> dict[str, float]:
    """Seconds per epoch of "dense" and "sparse" on X, extrapolated from timed compiled steps.

    dense: one step (a pair of blocks with alternating roles, one block with "both") on two
    blocks of random rows of X, times the steps of an epoch; sparse: up to 256 chunks spread
    over X, times n_chunks / 256. Each is compiled first, then the fastest of ``repeats`` runs
    counts. Memory: the parameters and optimizer state of each method, one at a time.
    """
    V = X.shape[0]
    rng = np.random.default_rng(config.seed)
    params = init_params(jax.random.PRNGKey(config.seed), V, config.dim)

    def fastest(run) -> float:
        run()  # compiles
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
        return min(times)

    B = min(config.batch_size or DEFAULT_BATCH_SIZE["dense"], V)
    n_blocks = -(-V // B)
    n_blocks += n_blocks % 2 if config.block_roles == "alternate" else 0
    rows = rng.choice(V, size=min(2 * B, V), replace=False)
    blocks = _blocks_of_rows(X, [rows[:B], rows[B:2 * B]], config.x_max, config.alpha, B)
    optimizer = make_optimizer(config)
    opt_state = optimizer.init(params)
    dense_epoch = partial(_dense_epoch, blocks=blocks, optimizer=optimizer, V=V, block_roles=config.block_roles)
    step = fastest(lambda: jax.block_until_ready(dense_epoch(params, opt_state, jax.random.PRNGKey(0))))
    dense = step * n_blocks / 2
    del opt_state

    chunks = make_chunks(X, config.batch_size or DEFAULT_BATCH_SIZE["sparse"])
    data = chunks.device_arrays()
    picked = np.unique(np.linspace(0, chunks.n_chunks - 1, min(256, chunks.n_chunks)).astype(np.int64))
    data = data._replace(start=data.start[picked], first_row=data.first_row[picked])
    rule = sparse_rule(config)
    state = [pack_state(rule, params)]

    def sparse_run():
        state[0], loss = packed_epoch(state[0], jax.random.PRNGKey(0), data, rule, config.x_max, config.alpha,
                                      chunks.L, chunks.R)
        float(loss)

    sparse = fastest(sparse_run) * chunks.n_chunks / picked.size
    return {"dense": dense, "sparse": sparse}


def _blocks_of_rows(X: sp.csr_matrix, row_sets: list[np.ndarray], x_max: float, alpha: float, B: int) -> tuple:
    """Dense-method blocks (the arrays :func:`_dense_epoch` takes) holding the given sets of at most B rows."""
    n, coo = len(row_sets), []
    for rows in row_sets:
        sub = sp.coo_matrix(X[rows])
        coo.append(sub)
    L = max(max(c.nnz for c in coo), 1)
    out_rows = np.full((n, B), X.shape[0], np.int32)
    local_row, col = np.zeros((n, L), np.int32), np.zeros((n, L), np.int32)
    f_x, log_x = np.zeros((n, L), np.float32), np.zeros((n, L), np.float32)
    for k, (rows, c) in enumerate(zip(row_sets, coo)):
        out_rows[k, :len(rows)] = rows
        local_row[k, :c.nnz], col[k, :c.nnz] = c.row, c.col
        f_x[k, :c.nnz] = np.asarray(weighting_fn(c.data.astype(np.float32), x_max, alpha))
        log_x[k, :c.nnz] = np.log(c.data)
    return tuple(jnp.asarray(a) for a in (out_rows, local_row, col, f_x, log_x))


PROCESS_BASE_BYTES = int(0.32 * 2**30)  # Python, numpy, scipy, JAX and compiled epochs (measured, 2,000 words)


def predicted_peak_bytes(method: str, V: int, nnz: int, dim: int, optimizer: str = "adagrad",
                         x_bytes_per_nnz: int = 8, block_rows: int = 64, longest_block: int = 0,
                         corner: int = 0, corner_rows_nnz: int | None = None) -> int:
    """Predicted peak resident bytes of a process holding X (CSR) and running :func:`train_glove` on it.

    ``x_bytes_per_nnz``: 8 for float32 values and int32 columns, 12 for float64 values.
    With P = 8 V (d + 1) (W, W~, b, b~ in float32) and s = 1 (AdaGrad) or 2 (Adam) state copies:

    * sparse: X's arrays are used in place (float64 values get a 4 nnz float32 copy); the packed
      table (parameters and state, (1 + s) P) beside one more copy of the parameters (the initial
      ones while the table is built, later the one handed to a callback): (2 + s) P.
    * dense: the unpadded blocks 16 (nnz + L) (L the longest block's entries, at most B V), then
      the larger of: while they are built, about 28 bytes per entry of one group of rows
      (FILL_ENTRIES, 2^24, entries: the group's copy of X and the float32 temporaries); while
      training, the parameters, the state and a gradient and update (3 + s) P and the B x V
      arrays of a step, about 10 of them in float32 (40 B V).
    * hybrid (a corner of K words in tiles of B = 256 rows): the sparse method's (2 + s) P, the
      non-zeros of the first K rows (``corner_rows_nnz``, at most nnz, the default) copied and
      split into the corner and the rest (8 bytes each: float32 values and int32 columns, plus
      8 B K of padding; the rows >= K are X's own arrays), and the larger of: while splitting, about 40 bytes per entry of a piece
      of rows (PIECE_ENTRIES, 2^21); while training, a tile's B x K arrays and its window of
      entries, about six float32 arrays of B x K (24 B K).
    * pairs: the pair arrays, the permutation and the shuffled copies (about 36 nnz) and (3 + s) P.

    Plus X itself (x_bytes_per_nnz nnz + 4 V) and PROCESS_BASE_BYTES.
    """
    s = 1 if optimizer == "adagrad" else 2
    P = 8 * V * (dim + 1)
    x = x_bytes_per_nnz * nnz + 4 * V
    if method == "sparse":
        own = 0 if x_bytes_per_nnz == 8 else 4 * nnz
        return PROCESS_BASE_BYTES + x + own + (2 + s) * P
    if method == "hybrid":
        from glove_lite.hybrid_train import DEFAULT_CORNER_ROWS, PIECE_ENTRIES

        BK = min(DEFAULT_CORNER_ROWS, max(corner, 1)) * corner
        copied = nnz if corner_rows_nnz is None else corner_rows_nnz
        return PROCESS_BASE_BYTES + x + (2 + s) * P + 8 * copied + 8 * BK + max(40 * PIECE_ENTRIES, 24 * BK)
    if method == "dense":
        building = 28 * min(nnz, FILL_ENTRIES)
        return PROCESS_BASE_BYTES + x + 16 * (nnz + longest_block) + max(building, (3 + s) * P + 40 * block_rows * V)
    return PROCESS_BASE_BYTES + x + 36 * nnz + (3 + s) * P


def sparse_rule(config: TrainConfig) -> SparseRule:
    """The sparse path's optimizer for ``config``: :func:`make_optimizer`'s settings, with the sparse default learning rate.

    An explicit ``learning_rate`` is used as given; the default is DEFAULT_SPARSE_LEARNING_RATE.
    """
    lr = config.learning_rate if config.learning_rate is not None else DEFAULT_SPARSE_LEARNING_RATE[config.optimizer]
    return SparseRule(config.optimizer, lr, config.grad_clip)


def corner_rule(config: TrainConfig) -> SparseRule:
    """The hybrid method's optimizer for its dense corner tiles: :func:`sparse_rule` at the dense
    blocks' default learning rate (``config.lr``: AdaGrad 0.2), since a tile step, like a dense
    block's, moves every corner row it reads. On the book's corpus (25 epochs, seeds 0-2) the
    corner at 0.2 and the rest at 0.5 scored WordSim-353 0.34-0.40 and SimLex-999 0.15-0.18,
    against 0.33-0.43 / 0.13-0.15 with 0.3 for both and 0.36 / 0.07 with 0.5 for both (seed 0).
    """
    return SparseRule(config.optimizer, config.lr, config.grad_clip)


def init_opt_state(config: TrainConfig, method: str, params: GloveParams):
    """The optimizer state a run of ``method`` starts from."""
    if method in ("sparse", "hybrid"):
        return pack_state(sparse_rule(config), params)  # the parameters travel inside the packed state
    return make_optimizer(config).init(params)


# ----------------------------------------------------------------------------- dense path


@dataclass(frozen=True)
class RowBlocks:
    """X split into blocks of ``rows`` (n_blocks, B): each block's non-zeros, padded to one length.

    local_row, col: (n_blocks, L) int32; f_x, log_x: (n_blocks, L) float32 (padding has f_x = 0).
    Row id V (out of range) pads the last block.
    """

    rows: np.ndarray
    local_row: np.ndarray
    col: np.ndarray
    f_x: np.ndarray
    log_x: np.ndarray


def make_row_blocks(
    X: sp.csr_matrix, block_rows: int, x_max: float, alpha: float, seed: int, even: bool = False
) -> RowBlocks:
    """Partition the rows of X at random into blocks of at most ``block_rows`` and gather their non-zeros.

    ``even=True`` makes the number of blocks even (alternating roles takes them in pairs).
    Rows are dealt round-robin, so block sizes differ by at most one. Every block is padded
    to the longest block's length (n_blocks x L entries): training uses :func:`make_flat_blocks`,
    the same blocks unpadded.
    """
    fb = make_flat_blocks(X, block_rows, x_max, alpha, seed, even)
    n_blocks, L = fb.rows.shape[0], fb.L
    block = np.repeat(np.arange(n_blocks), fb.counts)
    slot = np.arange(block.size) - np.repeat(fb.offsets[:-1], fb.counts)
    padded = []
    for flat in (fb.local_row, fb.col, fb.f_x, fb.log_x):
        a = np.zeros((n_blocks, L), flat.dtype)
        a[block, slot] = flat[:block.size]
        padded.append(a)
    return RowBlocks(fb.rows, *padded)


@dataclass(frozen=True)
class FlatBlocks:
    """The blocks of :func:`make_row_blocks` without padding: every block's non-zeros one after another.

    rows: (n_blocks, B) int32 (row id V pads); offsets: (n_blocks + 1,) int64, block k's entries
    at [offsets[k], offsets[k + 1]); counts: (n_blocks,) their numbers; local_row, col (int32),
    f_x, log_x (float32): (nnz + L,), the last L entries zero, so that a window of L entries
    from any block's start stays inside. L: the longest block's entries. Memory 16 (nnz + L)
    bytes, against 16 n_blocks L padded (13 GB on a text8-sized X: one block holds the most
    frequent words' long rows).
    """

    rows: np.ndarray
    offsets: np.ndarray
    counts: np.ndarray
    local_row: np.ndarray
    col: np.ndarray
    f_x: np.ndarray
    log_x: np.ndarray
    L: int

    def device_blocks(self) -> tuple:
        """What :func:`_dense_epoch` takes as ``blocks``: the rows, then a :class:`BlockColumn` per array
        whose ``[k]`` is block k's entries padded with zeros to L, equal to row k of make_row_blocks' array."""
        start = jnp.asarray(self.offsets[:-1].astype(np.int32))
        counts = jnp.asarray(self.counts.astype(np.int32))
        return (jnp.asarray(self.rows),
                *(BlockColumn(device_view(a, 0)[0], start, counts, self.L)
                  for a in (self.local_row, self.col, self.f_x, self.log_x)))


@jax.tree_util.register_pytree_node_class
class BlockColumn:
    """One array of :class:`FlatBlocks` on the device; ``column[k]`` (inside jit too) is block k's
    entries followed by zeros, (L,): what ``padded[k]`` would hold, without storing the padding."""

    def __init__(self, flat, start, counts, L: int):
        self.flat, self.start, self.counts, self.L = flat, start, counts, L

    def __getitem__(self, k):
        window = jax.lax.dynamic_slice(self.flat, (self.start[k],), (self.L,))
        return jnp.where(jnp.arange(self.L) < self.counts[k], window, jnp.zeros((), self.flat.dtype))

    @property
    def shape(self) -> tuple[int, int]:
        return (self.counts.shape[0], self.L)

    def tree_flatten(self):
        return (self.flat, self.start, self.counts), self.L

    @classmethod
    def tree_unflatten(cls, L, children):
        return cls(*children, L)


def make_flat_blocks(
    X: sp.csr_matrix, block_rows: int, x_max: float, alpha: float, seed: int, even: bool = False
) -> FlatBlocks:
    """:func:`make_row_blocks`' blocks, unpadded (:class:`FlatBlocks`): the same rows, and each
    block's non-zeros in the same order (its rows ascending, each row's columns in X's order)."""
    X = sp.csr_matrix(X)
    V = X.shape[0]
    n_blocks = -(-V // block_rows)
    if even and n_blocks % 2:
        n_blocks += 1
    B = -(-V // n_blocks)
    order = np.random.default_rng(seed).permutation(V)
    dealt = np.full(n_blocks * B, V, dtype=np.int32)
    dealt[:V] = order
    rows = np.ascontiguousarray(dealt.reshape(B, n_blocks).T)  # block k holds order[k::n_blocks]
    block_of = np.empty(V, np.int64)
    local_of = np.empty(V, np.int32)
    live = rows < V
    block_of[rows[live]] = np.nonzero(live)[0]
    local_of[rows[live]] = np.nonzero(live)[1]
    row_order = np.lexsort((np.arange(V), block_of))  # by block, then by row id
    lengths = np.diff(X.indptr)[row_order]
    counts = np.bincount(block_of[row_order], weights=lengths, minlength=n_blocks).astype(np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)])
    nnz, L = X.nnz, max(int(counts.max()), 1)
    local_row, col = aligned_zeros(nnz + L, np.int32), aligned_zeros(nnz + L, np.int32)
    f_x, log_x = aligned_zeros(nnz + L, np.float32), aligned_zeros(nnz + L, np.float32)
    # Rows regrouped by block, each row's entries in X's order, a group of rows at a time
    # (host temporaries stay O(FILL_ENTRIES), not O(nnz)).
    ends = np.cumsum(lengths)
    cuts = np.searchsorted(ends, np.arange(FILL_ENTRIES, nnz, FILL_ENTRIES), side="right")
    for a, b in zip(np.concatenate([[0], cuts]), np.concatenate([cuts, [V]])):
        if a == b:
            continue
        part = X[row_order[a:b]]
        p0 = int(ends[a - 1]) if a else 0
        p1 = p0 + part.nnz
        local_row[p0:p1] = np.repeat(local_of[row_order[a:b]], lengths[a:b])
        col[p0:p1] = part.indices
        f_x[p0:p1] = np.asarray(weighting_fn(part.data.astype(np.float32), x_max, alpha))
        log_x[p0:p1] = np.log(part.data)
    return FlatBlocks(rows, offsets, counts, local_row, col, f_x, log_x, L)


FILL_ENTRIES = 1 << 24  # entries per group in make_flat_blocks (the book's X, 5.2 M non-zeros, is one group)


def _block_loss_as_words(params: GloveParams, rows, f_dense, log_dense):
    """The loss of rows R of X: word vectors W[R] against every context vector."""
    W, W_tilde, b, b_tilde = params
    get = lambda a: a.at[rows].get(mode="fill", fill_value=0.0)  # noqa: E731  (row id V pads)
    return dense_block_loss(get(W), W_tilde, get(b), b_tilde, f_dense, log_dense)


def _block_loss_as_contexts(params: GloveParams, rows, f_dense, log_dense):
    """The loss of columns R of X (= rows R, transposed): context vectors W_tilde[R] against every word vector."""
    W, W_tilde, b, b_tilde = params
    return _block_loss_as_words(GloveParams(W_tilde, W, b_tilde, b), rows, f_dense, log_dense)


def _symmetric_block_loss(params: GloveParams, rows, f_dense, log_dense):
    """Half the loss of rows R of X with R as words plus half with R as contexts.

    Over an epoch every term of the loss is counted once (half in each role), and each
    step updates the rows R of both W and W_tilde besides all the rows they touch.
    """
    as_words = _block_loss_as_words(params, rows, f_dense, log_dense)
    as_contexts = _block_loss_as_contexts(params, rows, f_dense, log_dense)
    return 0.5 * (as_words + as_contexts)


def _dense_step(params, opt_state, block, optimizer, V, block_loss):
    """One optimizer step on one block; block_loss picks the role(s) the block plays."""
    rows, local_row, col, f_x, log_x = block
    B = rows.shape[0]
    f_dense = jnp.zeros((B, V), jnp.float32).at[local_row, col].add(f_x)
    log_dense = jnp.zeros((B, V), jnp.float32).at[local_row, col].add(log_x)
    loss, grads = jax.value_and_grad(block_loss)(params, rows, f_dense, log_dense)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss


@partial(jax.jit, static_argnames=("optimizer", "V", "block_roles"))
def _dense_epoch(params, opt_state, key, blocks, optimizer, V, block_roles="alternate"):
    """One pass over the blocks in a random order; returns the summed block losses.

    "alternate" walks the shuffled blocks two at a time, the first as words and the
    second as contexts (the number of blocks must be even); "both" takes one block per step.
    """
    n_blocks = blocks[0].shape[0]
    if block_roles == "alternate" and n_blocks % 2:
        raise GloveLiteError(f"{n_blocks} blocks; alternating roles takes them in pairs: use make_row_blocks(..., even=True)")
    order = jax.random.permutation(key, n_blocks)
    take = lambda k: tuple(a[k] for a in blocks)  # noqa: E731

    if block_roles == "both":
        def body(carry, k):
            params, opt_state, loss = _dense_step(*carry, take(k), optimizer, V, _symmetric_block_loss)
            return (params, opt_state), loss

        steps = order
    else:
        def body(carry, pair):
            params, opt_state, loss_w = _dense_step(*carry, take(pair[0]), optimizer, V, _block_loss_as_words)
            params, opt_state, loss_c = _dense_step(params, opt_state, take(pair[1]), optimizer, V, _block_loss_as_contexts)
            return (params, opt_state), loss_w + loss_c

        steps = order.reshape(-1, 2)
    (params, opt_state), losses = jax.lax.scan(body, (params, opt_state), steps)
    return params, opt_state, jnp.sum(losses)


# ----------------------------------------------------------------------------- pairs path


@partial(jax.jit, static_argnames=("optimizer", "batch_size"))
def _pairs_epoch(params, opt_state, key, pairs, optimizer, batch_size):
    i, j, f_x, log_x = pairs
    n = i.shape[0]
    n_batches = -(-n // batch_size)
    pad = n_batches * batch_size - n
    perm = jnp.concatenate([jax.random.permutation(key, n), jnp.full((pad,), n, jnp.int32)])
    # Index n is padding: f_x = 0 there, so it adds nothing to loss or gradients.
    i, j = jnp.append(i, 0)[perm], jnp.append(j, 0)[perm]
    f_x, log_x = jnp.append(f_x, 0.0)[perm], jnp.append(log_x, 0.0)[perm]
    batches = tuple(a.reshape(n_batches, batch_size) for a in (i, j, f_x, log_x))

    def body(carry, batch):
        params, opt_state = carry
        loss, grads = jax.value_and_grad(weighted_pair_loss)(params, *batch)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    (params, opt_state), losses = jax.lax.scan(body, (params, opt_state), batches)
    return params, opt_state, jnp.sum(losses)


# ----------------------------------------------------------------------------- driver


def current_params(params: GloveParams | None, opt_state, dim: int) -> GloveParams:
    """The parameters after an epoch: ``params``, or (sparse method, ``params`` None) read out of the packed state."""
    return GloveParams(*params_of(opt_state, dim)) if params is None else params

EpochCallback = Callable[[int, GloveParams, float], None]


def make_epoch(X: sp.csr_matrix, config: TrainConfig, optimizer: optax.GradientTransformation, method: str,
               corner: int | None = None):
    """The jitted epoch for X, config and method: ``(params, opt_state, key) -> (params, opt_state, summed loss)``.

    ``optimizer`` is used by the dense and pairs methods; the sparse and hybrid methods apply
    their own (see :func:`sparse_rule`), and their ``opt_state`` comes from :func:`init_opt_state`.
    Their epoch returns ``None`` for the parameters: they live in its state, and
    :func:`current_params` reads them out when they are needed. ``corner`` (hybrid): the corner
    of K words trained by dense tiles.
    """
    V = X.shape[0]
    batch_size = config.batch_size or DEFAULT_BATCH_SIZE[method]
    if method == "dense":
        even = config.block_roles == "alternate"
        fb = make_flat_blocks(X, min(batch_size, V), config.x_max, config.alpha, config.seed, even=even)
        return partial(_dense_epoch, blocks=fb.device_blocks(), optimizer=optimizer, V=V,
                       block_roles=config.block_roles)
    if method == "sparse":
        chunks = make_chunks(X, batch_size)
        epoch = partial(packed_epoch, data=chunks.device_arrays(), rule=sparse_rule(config), x_max=config.x_max,
                        alpha=config.alpha, L=chunks.L, R=chunks.R)

        def run_sparse(params, opt_state, key):
            # The packed state holds the parameters and is updated in place; they are read out of it
            # (a V x 2d copy) only when asked for: see current_params.
            opt_state, loss = epoch(opt_state, key)
            return None, opt_state, loss

        return run_sparse
    if method == "hybrid":
        from glove_lite.hybrid_train import DEFAULT_CORNER_ROWS, make_hybrid_data

        if corner is None:
            raise GloveLiteError("method='hybrid' needs the corner size (see choose_method_by_cost)")
        data = make_hybrid_data(X, corner, batch_size, min(DEFAULT_CORNER_ROWS, corner))
        hybrid = data.epoch_fn(sparse_rule(config), config.x_max, config.alpha, corner_rule(config))

        def run_hybrid(params, opt_state, key):
            opt_state, loss = hybrid(opt_state, key)
            return None, opt_state, loss

        return run_hybrid
    i, j, x = cooc_matrix_to_arrays(X)
    data = (jnp.asarray(i), jnp.asarray(j), weighting_fn(x.astype(np.float32), config.x_max, config.alpha),
            jnp.asarray(np.log(x), jnp.float32))
    return partial(_pairs_epoch, pairs=data, optimizer=optimizer, batch_size=batch_size)


def checked_cooc_matrix(X) -> sp.csr_matrix:
    """X as CSR, after checking it is a square sparse matrix of positive, finite entries (else GloveLiteError)."""
    if not sp.issparse(X) or X.ndim != 2 or X.shape[0] != X.shape[1]:
        raise GloveLiteError(f"X of type {type(X).__name__}; expected a square scipy.sparse matrix")
    X = sp.csr_matrix(X)
    if X.nnz == 0:
        raise GloveLiteError("X has no non-zero entries; expected a co-occurrence matrix of a non-empty corpus")
    if X.data.min() <= 0 or not np.isfinite(X.data).all():
        raise GloveLiteError("X has non-positive or non-finite entries; expected positive co-occurrence values")
    return X


def check_checkpoint_args(checkpoint_dir, resume: bool, checkpoint_every) -> None:
    """Raise GloveLiteError for checkpoint settings that cannot work (bad N, resume without a folder, a used folder)."""
    if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, (int, np.integer)) or checkpoint_every < 1:
        raise GloveLiteError(f"checkpoint_every={checkpoint_every!r}; expected an integer >= 1")
    if resume and checkpoint_dir is None:
        raise GloveLiteError("resume=True needs checkpoint_dir (the folder to resume from)")
    if checkpoint_dir is not None and not resume and has_checkpoint(checkpoint_dir):
        raise GloveLiteError(f"checkpoint folder {str(checkpoint_dir)!r} already holds a checkpoint; resume it "
                             "(--resume) or choose another folder")


def train_glove(
    X: sp.spmatrix,
    config: TrainConfig = TrainConfig(),
    callback: EpochCallback | None = None,
    progress: bool = False,
    params: GloveParams | None = None,
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = 1,
    resume: bool = False,
) -> TrainResult:
    """Fit GloVe vectors to the co-occurrence matrix X (scipy sparse, (V, V)).

    ``callback(epoch, params, loss)`` runs after every epoch (epochs count from 1);
    ``progress`` shows a tqdm bar with the loss. ``losses`` holds the mean weighted squared
    error per non-zero of X in each epoch, from each step's loss before its update (with
    alternating roles the blocks cover the terms of J once in expectation, not exactly).
    Raises :class:`TrainingDivergedError` if the loss becomes NaN or infinite.

    ``checkpoint_dir``: after every ``checkpoint_every`` epochs (and the last) write the
    parameters, optimizer state, epoch, random key and losses there (atomically; see
    :mod:`glove_lite.checkpoint`). A folder that already holds a checkpoint is refused
    unless ``resume``; with ``resume`` training continues from its newest checkpoint (or
    starts afresh when there is none), and the result is bit-identical to a run that was
    never interrupted. The checkpoint must come from the same X, method and settings
    (``epochs`` may differ).
    """
    X = checked_cooc_matrix(X)
    if config.devices != 1:
        from glove_lite.sharded_train import train_glove_sharded

        result = train_glove_sharded(X, config, callback, progress, params, checkpoint_dir, resume, checkpoint_every)
        if result is not None:  # None: "all" found one device, so the single-device path below runs
            return result
    V = X.shape[0]
    choice = choose_method_by_cost(X, config)
    method = choice.method
    if method in ("sparse", "hybrid"):
        check_symmetric(X)
    check_checkpoint_args(checkpoint_dir, resume, checkpoint_every)
    start = time.perf_counter()
    key = jax.random.PRNGKey(config.seed)
    key, init_key = jax.random.split(key)
    if params is None:
        params = init_params(init_key, V, config.dim)
    optimizer = make_optimizer(config)
    opt_state = init_opt_state(config, method, params)

    losses: list[float] = []
    first_epoch = 1
    record = settings_record(config, method, X) if checkpoint_dir is not None else None
    if resume and has_checkpoint(checkpoint_dir):
        saved = load_checkpoint(checkpoint_dir, (params, opt_state), record)
        params, opt_state, key, losses = GloveParams(*saved.params), saved.opt_state, saved.key, saved.losses
        first_epoch = saved.epoch + 1

    if method in ("sparse", "hybrid"):
        params = None  # the packed state holds them (current_params reads them out)
    run_epoch = make_epoch(X, config, optimizer, method, choice.corner)
    epochs = range(first_epoch, config.epochs + 1)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(epochs, desc=f"training ({method})", unit="epoch", initial=first_epoch - 1, total=config.epochs)
        epochs = bar
    for epoch in epochs:
        key, epoch_key = jax.random.split(key)
        params, opt_state, total = run_epoch(params, opt_state, epoch_key)
        loss = float(total) / X.nnz
        if not math.isfinite(loss):
            if bar is not None:
                bar.close()
            raise TrainingDivergedError(
                f"the loss became {loss} at epoch {epoch}; lower the learning rate "
                f"(now {sparse_rule(config).lr if method in ('sparse', 'hybrid') else config.lr}"
                f"{f', corner tiles {config.lr}' if method == 'hybrid' else ''}) or use gradient clipping "
                f"(grad_clip={config.grad_clip})"
            )
        losses.append(loss)
        if bar is not None:
            bar.set_postfix(loss=f"{loss:.4f}")
        if callback is not None:
            callback(epoch, current_params(params, opt_state, config.dim), loss)
        if checkpoint_dir is not None and (epoch % checkpoint_every == 0 or epoch == config.epochs):
            save_checkpoint(checkpoint_dir, epoch, current_params(params, opt_state, config.dim), opt_state, key,
                            losses, record)
    params = jax.block_until_ready(current_params(params, opt_state, config.dim))
    return TrainResult(params, losses, method, time.perf_counter() - start, replace(config), choice)
