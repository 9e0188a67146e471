"""``train_glove``: the one training loop, for every strategy.

It checks X, asks the planner which strategy trains it (:mod:`glove_lite.training.plan`), lets
that strategy lay X out, and then owns everything around the epochs: the initial parameters,
resuming from a checkpoint, the epoch loop with its keys, the progress bar, the divergence check,
the callback and the checkpoints. A strategy only runs epochs (:mod:`glove_lite.training.strategy`).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Sequence

import jax
import numpy as np
import scipy.sparse as sp

from glove_lite.errors import GloveLiteError, TrainingDivergedError
from glove_lite.training.chunks import row_pieces
from glove_lite.training.checkpoint import (check_checkpoint_args, has_checkpoint, load_checkpoint, save_checkpoint,
                                            settings_record)
from glove_lite.training.config import EpochCallback, GloveParams, TrainConfig, TrainResult, init_params, warm_start
from glove_lite.training.plan import make_plan
from glove_lite.training.strategy import STRATEGIES

__all__ = ["train_glove", "checked_cooc_matrix", "check_symmetric"]

SYMMETRY_PIECE = 1 << 22  # non-zeros per piece of rows in check_symmetric


def checked_cooc_matrix(X) -> sp.csr_matrix:
    """X as CSR with sorted columns, after checking it is a square sparse matrix of positive, finite entries."""
    if not sp.issparse(X) or X.ndim != 2 or X.shape[0] != X.shape[1]:
        raise GloveLiteError(f"X of type {type(X).__name__} and shape {getattr(X, 'shape', None)}; expected a square "
                             "scipy.sparse matrix")
    if not isinstance(X, sp.csr_matrix):  # a CSR matrix is used as it is (train_glove's free_x empties the caller's X)
        X = sp.csr_matrix(X)
    if X.nnz == 0:
        raise GloveLiteError("X has no non-zero entries; expected a co-occurrence matrix of a non-empty corpus")
    if X.data.min() <= 0 or not np.isfinite(X.data).all():
        raise GloveLiteError("X has non-positive or non-finite entries; expected positive co-occurrence values")
    return X if X.has_sorted_indices else X.sorted_indices()


def check_symmetric(X: sp.csr_matrix, seed: int = 0) -> None:
    """Raise :class:`GloveLiteError` unless X equals its transpose (tested on two random vectors).

    X @ v and X.T @ v agree for random v (to float rounding) exactly when X is symmetric, with
    probability one: two sparse products, no transposed copy, a piece of rows at a time in float64
    (X @ v on a float32 X would make scipy upcast all of X's values, 8 bytes per non-zero).
    """
    rng = np.random.default_rng(seed)
    V = X.shape[0]
    bounds = row_pieces(X.indptr, SYMMETRY_PIECE)
    for _ in range(2):
        v = rng.standard_normal(V)
        a, b = np.zeros(V), np.zeros(V)
        for lo, hi in bounds:
            piece = X[lo:hi].astype(np.float64)
            a[lo:hi] = piece @ v
            b += piece.T @ v[lo:hi]
        if not np.allclose(a, b, rtol=1e-5, atol=1e-8 * float(np.abs(a).max() + 1)):
            raise GloveLiteError("X is not symmetric; GloveLite's strategies expect a symmetric co-occurrence matrix "
                                 "such as build_cooc_matrix makes")


def _empty(X: sp.csr_matrix) -> None:
    """Drop X's non-zeros in place: X stays a valid (V, V) matrix, and its arrays are freed."""
    X.data, X.indices, X.indptr = X.data[:0].copy(), X.indices[:0].copy(), np.zeros_like(X.indptr)


def _initial_vectors(config: TrainConfig, words: Sequence[str] | None, V: int):
    """``config.init`` lined up with ``words``: (vectors (V, d), found (V,))."""
    from glove_lite.pretrained import initial_vectors

    if words is None or len(words) != V:
        raise GloveLiteError(f"config.init needs X's words to line the vectors up with its rows; got "
                             f"{'none' if words is None else f'{len(words):,}'} for {V:,} rows (train_glove(..., words=...))")
    lined_up = initial_vectors(config.init, words, config.dim)
    return lined_up.vectors, lined_up.found


def _method_record(plan) -> str:
    """What a checkpoint's method is: the strategy, and for tiles the number of groups (the result depends on it)."""
    return f"tiled, {plan.groups} groups" if plan.method == "tiled" else plan.method


def train_glove(
    X: sp.spmatrix,
    config: TrainConfig = TrainConfig(),
    callback: EpochCallback | None = None,
    progress: bool = False,
    params: GloveParams | None = None,
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = 1,
    resume: bool = False,
    words: Sequence[str] | None = None,
    free_x: bool = False,
) -> TrainResult:
    """Fit GloVe vectors to the co-occurrence matrix X (scipy sparse, (V, V), symmetric, positive entries).

    ``params``: the initial parameters (default :func:`init_params` for ``config.seed``). With
    ``config.init`` (given vectors), ``words`` (X's vocabulary, in X's order) lines them up with X's rows.
    ``callback(epoch, params, loss)`` runs after every epoch (epochs count from 1); ``progress``
    shows a tqdm bar with the loss. Raises :class:`TrainingDivergedError`, naming the learning
    rates in use, if the loss becomes NaN or infinite.

    ``checkpoint_dir``: after every ``checkpoint_every`` epochs (and the last) write the parameters,
    optimizer state, epoch, random key and losses there (atomically; see
    :mod:`glove_lite.training.checkpoint`). A folder that already holds a checkpoint is refused unless
    ``resume``; with ``resume`` training continues from its newest checkpoint (or starts afresh when
    there is none), and the result is bit-identical to a run that was never interrupted. The
    checkpoint must come from the same X, method and settings (``epochs`` and ``devices`` may differ).

    ``free_x``: empty X in place (no non-zeros left) as soon as the strategy holds its own copy of it
    (tiles, dense blocks, pairs; the others read X itself), so that its memory is freed while training,
    like scipy's ``overwrite_a``: for a caller with no further use for X (the command line).
    """
    start = time.perf_counter()
    X = checked_cooc_matrix(X)
    check_checkpoint_args(checkpoint_dir, resume, checkpoint_every)
    plan = make_plan(X, config)
    cls = STRATEGIES[plan.method]
    if cls.needs_symmetric:
        check_symmetric(X)
    V = X.shape[0]
    if params is not None and (params[0].shape != (V, config.dim) or params[1].shape != (V, config.dim)):
        raise GloveLiteError(f"initial vectors of shape {tuple(params[0].shape)}; expected ({V}, {config.dim}) "
                             "(one row per word of X, config.dim columns)")
    nnz = X.nnz
    record = settings_record(config, _method_record(plan), X) if checkpoint_dir is not None else None
    strategy = cls(X, config, plan)
    if free_x and cls.copies_x:
        _empty(X)

    key = jax.random.PRNGKey(config.seed)
    key, init_key = jax.random.split(key)
    if params is None:
        params = init_params(init_key, V, config.dim)
        if config.init is not None:
            params = warm_start(params, *_initial_vectors(config, words, V))
    elif config.init is not None:
        raise GloveLiteError("both params and config.init given; expected one way to start")
    losses: list[float] = []
    first_epoch = 1
    if resume and has_checkpoint(checkpoint_dir):
        template = (GloveParams(*params), strategy.optimizers[0].init(GloveParams(*params)))
        saved = load_checkpoint(checkpoint_dir, template, record)
        state = strategy.state_from(GloveParams(*saved.params), saved.opt_state)
        key, losses, first_epoch = saved.key, list(saved.losses), saved.epoch + 1
    else:
        state = strategy.init_state(GloveParams(*params))
    del params  # the state holds them; a strategy on packed tables no longer needs this copy

    epochs = range(first_epoch, config.epochs + 1)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(epochs, desc=f"training ({plan.method})", unit="epoch", initial=first_epoch - 1, total=config.epochs)
        epochs = bar
    epoch_seconds: list[float] = []
    try:
        for epoch in epochs:
            t0 = time.perf_counter()
            key, epoch_key = jax.random.split(key)
            state, total = strategy.epoch(state, epoch_key)
            loss = float(total) / nnz
            epoch_seconds.append(time.perf_counter() - t0)
            if not math.isfinite(loss):
                rates = ", ".join(f"{what} {lr:g}".strip() for what, lr in strategy.learning_rates.items())
                raise TrainingDivergedError(
                    f"the loss became {loss} at epoch {epoch}; lower the learning rate (now {rates}) or clip the "
                    f"gradient harder (grad_clip={config.grad_clip})")
            losses.append(loss)
            if bar is not None:
                bar.set_postfix(loss=f"{loss:.4f}")
            if callback is not None:
                callback(epoch, strategy.params(state), loss)
            if checkpoint_dir is not None and (epoch % checkpoint_every == 0 or epoch == config.epochs):
                saved_params, opt_state = strategy.state_to(state)
                save_checkpoint(checkpoint_dir, epoch, saved_params, opt_state, key, losses, record)
    finally:
        if bar is not None:
            bar.close()
    final = jax.block_until_ready(strategy.params(state))
    return TrainResult(final, losses, plan.method, time.perf_counter() - start, config, plan, epoch_seconds)
