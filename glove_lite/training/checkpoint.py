"""Training checkpoints: parameters, optimizer state, epoch and random state, written atomically.

A checkpoint folder holds ``epoch-NNNNNN.npz`` files (the arrays: every leaf of
``(params, opt_state)`` and the random key, in tree order) and ``checkpoint.json``, which
names the newest complete one and records what it belongs to (the training settings,
the method and a fingerprint of X). Every strategy saves the same form, the parameters in
vocabulary order and the optax state for them (:mod:`glove_lite.training.strategy`). Both are written to a temporary file and renamed
into place, the arrays first, so an interrupted run (Ctrl-C, a crash, a full disk)
always leaves the previous checkpoint whole and named. The two newest array files are
kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

from glove_lite.errors import GloveLiteError
from glove_lite.fileio import atomic_write

__all__ = ["Checkpoint", "matrix_fingerprint", "settings_record", "check_checkpoint_args", "has_checkpoint", "save_checkpoint", "load_checkpoint"]


MANIFEST = "checkpoint.json"
KEEP = 2
FORMAT_VERSION = 1


class Checkpoint(NamedTuple):
    """A loaded checkpoint: the state after ``epoch`` epochs."""

    epoch: int
    params: Any
    opt_state: Any
    key: jax.Array
    losses: list[float]


def matrix_fingerprint(X: sp.csr_matrix) -> dict:
    """Shape, non-zeros and two sums of X: enough to refuse resuming on another matrix."""
    data = np.asarray(X.data, np.float64)
    weights = (np.arange(data.size) % 7 + 1).astype(np.float64)
    return {"shape": list(X.shape), "nnz": int(X.nnz), "sum": float(data.sum()), "weighted_sum": float(data @ weights)}


def settings_record(config, method: str, X: sp.csr_matrix) -> dict:
    """What a checkpoint belongs to. ``epochs`` and ``devices`` are left out: a resumed run may go on for
    longer, and on another number of devices (the tiled schedule's result depends on its groups, which
    ``method`` names, not on the devices)."""
    from glove_lite.training.config import settings_of

    settings = {k: v for k, v in settings_of(config).items() if k not in ("epochs", "devices")}
    return {"settings": settings, "method": method, "matrix": matrix_fingerprint(X)}


def check_checkpoint_args(checkpoint_dir, resume: bool, checkpoint_every) -> None:
    """Raise GloveLiteError for checkpoint settings that cannot work (bad N, resume without a folder, a used folder)."""
    if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, (int, np.integer)) or checkpoint_every < 1:
        raise GloveLiteError(f"checkpoint_every={checkpoint_every!r}; expected an integer >= 1")
    if resume and checkpoint_dir is None:
        raise GloveLiteError("resume=True needs checkpoint_dir (the folder to resume from)")
    if checkpoint_dir is not None and not resume and has_checkpoint(checkpoint_dir):
        raise GloveLiteError(f"checkpoint folder {str(checkpoint_dir)!r} already holds a checkpoint; resume it "
                             "(--resume) or choose another folder")


def has_checkpoint(folder: str | Path) -> bool:
    return (Path(folder) / MANIFEST).is_file()


def save_checkpoint(folder: str | Path, epoch: int, params, opt_state, key: jax.Array, losses: list[float],
                    record: dict) -> Path:
    """Write the state after ``epoch`` epochs into ``folder`` (created if missing); returns the array file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    leaves = jax.tree_util.tree_leaves((params, opt_state))
    arrays = {f"leaf_{n:04d}": np.asarray(a) for n, a in enumerate(leaves)}
    arrays["key"] = np.asarray(jax.random.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key)
    name = f"epoch-{epoch:06d}.npz"
    with atomic_write(folder / name, "wb", overwrite=True) as fh:
        np.savez(fh, **arrays)
    manifest = {"format": FORMAT_VERSION, "epoch": epoch, "file": name, "losses": losses, **record}
    with atomic_write(folder / MANIFEST, "w", overwrite=True) as fh:
        json.dump(manifest, fh, indent=1)
    for old in sorted(folder.glob("epoch-*.npz"))[:-KEEP]:
        if old.name != name:
            old.unlink(missing_ok=True)
    return folder / name


def load_checkpoint(folder: str | Path, template, record: dict) -> Checkpoint:
    """Read the newest checkpoint in ``folder``; ``template`` is ``(params, opt_state)`` of a fresh start.

    Raises :class:`GloveLiteError` when there is none, when it belongs to other settings,
    another method or another matrix, or when its arrays do not fit the template.
    """
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise GloveLiteError(f"no checkpoint to resume in {str(folder)!r}; expected a folder written by --checkpoint")
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise GloveLiteError(f"checkpoint manifest {str(path)!r} is unreadable ({exc})") from None
    for field in ("method", "matrix", "settings"):
        if manifest.get(field) != json.loads(json.dumps(record[field])):
            raise GloveLiteError(f"checkpoint in {str(folder)!r} has {field} {manifest.get(field)!r}; this run has "
                                 f"{record[field]!r}: resume with the same data and settings or use another folder")
    leaves, treedef = jax.tree_util.tree_flatten(template)
    try:
        with np.load(folder / manifest["file"]) as data:
            loaded = [data[f"leaf_{n:04d}"] for n in range(len(leaves))]
            key = data["key"]
    except (OSError, KeyError, ValueError) as exc:
        raise GloveLiteError(f"checkpoint file {str(folder / manifest['file'])!r} is unreadable ({exc})") from None
    for n, (want, got) in enumerate(zip(leaves, loaded)):
        if tuple(want.shape) != got.shape or np.dtype(want.dtype) != got.dtype:
            raise GloveLiteError(f"checkpoint array {n} has shape {got.shape} {got.dtype}; expected "
                                 f"{tuple(want.shape)} {np.dtype(want.dtype)}")
    params, opt_state = jax.tree_util.tree_unflatten(treedef, [jnp.asarray(a) for a in loaded])
    return Checkpoint(int(manifest["epoch"]), params, opt_state, jnp.asarray(key), list(manifest["losses"]))
