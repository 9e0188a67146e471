"""What every way of training shares: the parameters, the settings, the result, the initial vectors."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from glove_lite.errors import GloveLiteError
from glove_lite.training.optim import OPTIMIZERS
from glove_lite.training.strategy import STRATEGIES

__all__ = ["GloveParams", "TrainConfig", "TrainResult", "EpochCallback", "init_params", "warm_start", "settings_of"]


class GloveParams(NamedTuple):
    """Word vectors W (V, d), context vectors W_tilde (V, d), biases b (V,) and b_tilde (V,)."""

    W: jax.Array
    W_tilde: jax.Array
    b: jax.Array
    b_tilde: jax.Array


EpochCallback = Callable[[int, GloveParams, float], None]


@dataclass(frozen=True)
class TrainConfig:
    """Training settings; the defaults reproduce the book's and the command's results.

    dim: vector size d. epochs: passes over X. optimizer: a name in
    :data:`glove_lite.training.optim.OPTIMIZERS` (``"adagrad"``, the paper's, or ``"adam"``,
    ``"adamw"``, ``"yogi"``). learning_rate, batch_size: None takes the method's default
    (see ``glove-lite train --help`` and the library guide). x_max, alpha: the weighting
    f(x) = min(1, (x / x_max)^alpha). grad_clip: each gradient component clipped to
    [-grad_clip, grad_clip] (None: off), as the C tool does. method: how an epoch visits X,
    a name in :data:`glove_lite.training.STRATEGIES` or ``"auto"`` (the planner's choice, see
    :mod:`glove_lite.training.plan`). block_roles (dense blocks): ``"alternate"`` or ``"both"``.
    seed: every random choice. devices: 1, N or ``"all"``: N > 1 trains with the tiled schedule
    on N devices. init: start from given vectors (a :class:`~glove_lite.vectors.WordVectors` or a
    GloVe / word2vec text file) instead of at random, e.g. Stanford's pretrained ones: a word they
    hold starts with w = w~ = v / 2 (so that W + W~ starts at v) and zero biases, a word they lack
    at random, their other words are ignored; their dimension must be ``dim``.
    """

    dim: int = 100
    epochs: int = 25
    optimizer: str = "adagrad"
    learning_rate: float | None = None
    batch_size: int | None = None
    x_max: float = 100.0
    alpha: float = 0.75
    grad_clip: float | None = 100.0
    method: str = "auto"
    block_roles: str = "alternate"
    seed: int = 0
    devices: int | str = 1
    init: Any = None

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> GloveLiteError:
            return GloveLiteError(f"{name}={getattr(self, name)!r}; expected {expected}")

        for name in ("dim", "epochs"):
            if not _is_int(getattr(self, name), 1):
                raise bad(name, "an integer >= 1")
        if self.batch_size is not None and not _is_int(self.batch_size, 1):
            raise bad("batch_size", "an integer >= 1 or None")
        if self.optimizer not in OPTIMIZERS:
            raise bad("optimizer", " or ".join(repr(n) for n in OPTIMIZERS))
        if self.method != "auto" and self.method not in STRATEGIES:
            raise bad("method", " or ".join(repr(n) for n in ("auto", *STRATEGIES)))
        if self.block_roles not in ("alternate", "both"):
            raise bad("block_roles", "'alternate' or 'both'")
        if self.learning_rate is not None and not (_is_number(self.learning_rate) and 0 < self.learning_rate <= 10):
            raise bad("learning_rate", "a number in (0, 10]")
        if not (_is_number(self.x_max) and self.x_max > 0):
            raise bad("x_max", "a positive number")
        if not (_is_number(self.alpha) and 0 < self.alpha <= 1):
            raise bad("alpha", "a number in (0, 1]")
        if self.grad_clip is not None and not (_is_number(self.grad_clip) and self.grad_clip > 0):
            raise bad("grad_clip", "a positive number or None")
        if self.devices != "all" and not _is_int(self.devices, 1):
            raise bad("devices", "an integer >= 1 or 'all'")
        if self.init is not None and not (isinstance(self.init, (str, Path)) or hasattr(self.init, "vectors")):
            raise bad("init", "None, a WordVectors or the path of a vectors file")
        if self.devices not in (1, "all") and self.method not in ("auto", "tiled"):
            raise bad("method", "'auto' or 'tiled' with devices != 1 (several devices train with the tiled schedule)")


def _is_int(value: Any, least: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer)) and value >= least


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.number)) and math.isfinite(value)


@dataclass
class TrainResult:
    """What :func:`~glove_lite.training.train_glove` returns.

    params: the final parameters (vocabulary order). losses: mean weighted squared error per
    non-zero of X in each epoch, accumulated during the epoch (each step's terms before its
    update). epoch_seconds: wall-clock seconds of each epoch run here (the first includes
    compiling). method: the strategy that trained; plan: how it was chosen, with its estimates.
    seconds: the whole call, laying out X included.
    """

    params: GloveParams
    losses: list[float]
    method: str
    seconds: float
    config: TrainConfig = field(repr=False)
    plan: Any = None
    epoch_seconds: list[float] = field(default_factory=list)

    @property
    def vectors(self) -> np.ndarray:
        """W + W_tilde, (V, d) float32: the vectors GloVe reports."""
        return np.asarray(self.params.W) + np.asarray(self.params.W_tilde)


def warm_start(params: GloveParams, vectors: np.ndarray, found: np.ndarray) -> GloveParams:
    """``params`` with the rows of ``found`` (V,) words started from ``vectors`` (V, d): w = w~ = v / 2
    (W + W~ starts at v) and zero biases; the other rows as they were."""
    half = jnp.asarray(vectors, jnp.float32) / 2
    rows = jnp.asarray(found)[:, None]
    return GloveParams(jnp.where(rows, half, params.W), jnp.where(rows, half, params.W_tilde),
                       jnp.where(found, 0.0, params.b), jnp.where(found, 0.0, params.b_tilde))


def settings_of(config: "TrainConfig") -> dict:
    """The config as plain data (for checkpoints and caches): ``init`` as a fingerprint of its vectors."""
    import dataclasses
    import hashlib

    settings = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    init = settings.pop("init")
    if init is not None:
        if isinstance(init, (str, Path)):
            settings["init"] = hashlib.sha256(Path(init).read_bytes()).hexdigest()[:16]
        else:
            h = hashlib.sha256("\n".join(init.words).encode())
            h.update(np.ascontiguousarray(init.vectors, np.float32).tobytes())
            settings["init"] = h.hexdigest()[:16]
    return settings


def init_params(key: jax.Array, vocab_size: int, dim: int) -> GloveParams:
    """Uniform(-0.5, 0.5) / dim vectors as in the reference C tool; zero biases.

    W and W_tilde get *independent* keys: with one key they start equal, and since
    the loss is symmetric in them (X is symmetric) they would get equal gradients for
    ever.
    """
    k_w, k_wt = jax.random.split(key)
    W = (jax.random.uniform(k_w, (vocab_size, dim), jnp.float32) - 0.5) / dim
    W_tilde = (jax.random.uniform(k_wt, (vocab_size, dim), jnp.float32) - 0.5) / dim
    zeros = jnp.zeros((vocab_size,), jnp.float32)
    return GloveParams(W, W_tilde, zeros, zeros)
