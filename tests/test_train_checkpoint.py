"""Checkpoints: a resumed run is bit-identical to an uninterrupted one; Ctrl-C leaves the last one usable."""

import json

import numpy as np
import pytest

from glove_lite.checkpoint import MANIFEST
from glove_lite.errors import GloveLiteError
from glove_lite.train import TrainConfig, train_glove


def _same(a, b):
    for p, q in zip(a.params, b.params):
        np.testing.assert_array_equal(np.asarray(p), np.asarray(q))
    assert a.losses == b.losses


@pytest.mark.parametrize("method, optimizer", [("dense", "adagrad"), ("sparse", "adagrad"), ("sparse", "adam"),
                                               ("hybrid", "adagrad"), ("pairs", "adam")])
def test_interrupted_and_resumed_run_is_bit_identical(small_corpus, tmp_path, method, optimizer):
    _, _, X = small_corpus
    config = TrainConfig(dim=6, epochs=4, method=method, optimizer=optimizer, seed=5)
    whole = train_glove(X, config)

    def interrupt_at_3(epoch, params, loss):
        if epoch == 3:
            raise KeyboardInterrupt

    folder = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        train_glove(X, config, callback=interrupt_at_3, checkpoint_dir=folder, checkpoint_every=2)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["epoch"] == 2 and len(manifest["losses"]) == 2
    assert not list(folder.glob(".*tmp"))  # nothing half-written left behind
    seen = []
    resumed = train_glove(X, config, checkpoint_dir=folder, resume=True, callback=lambda e, p, l: seen.append(e))
    assert seen == [3, 4]
    _same(whole, resumed)
    assert json.loads((folder / MANIFEST).read_text())["epoch"] == 4


def test_a_run_can_be_extended(small_corpus, tmp_path):
    _, _, X = small_corpus
    whole = train_glove(X, TrainConfig(dim=4, epochs=3))
    train_glove(X, TrainConfig(dim=4, epochs=1), checkpoint_dir=tmp_path)
    _same(whole, train_glove(X, TrainConfig(dim=4, epochs=3), checkpoint_dir=tmp_path, resume=True))
    assert len(list(tmp_path.glob("epoch-*.npz"))) == 2  # the two newest are kept


def test_checkpoint_misuse_is_refused(small_corpus, tmp_path):
    _, _, X = small_corpus
    train_glove(X, TrainConfig(dim=4, epochs=1), checkpoint_dir=tmp_path)
    with pytest.raises(GloveLiteError, match="already holds a checkpoint"):
        train_glove(X, TrainConfig(dim=4, epochs=2), checkpoint_dir=tmp_path)
    with pytest.raises(GloveLiteError, match="has settings"):
        train_glove(X, TrainConfig(dim=4, epochs=2, learning_rate=0.1), checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(GloveLiteError, match="has matrix"):
        train_glove(X * 2, TrainConfig(dim=4, epochs=2), checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(GloveLiteError, match="needs checkpoint_dir"):
        train_glove(X, TrainConfig(dim=4, epochs=2), resume=True)
    with pytest.raises(GloveLiteError, match="checkpoint_every=0"):
        train_glove(X, TrainConfig(dim=4, epochs=2), checkpoint_dir=tmp_path / "new", checkpoint_every=0)
