"""The time-to-quality benchmark: its one loss function, the time to a target, a child's curve, the C tool's input."""

import sys

import numpy as np
import pytest
import scipy.sparse as sp

from glove_lite.counts import Counts, save_counts
from glove_lite.loss import glove_loss
from glove_lite.preprocess import Vocabulary
from glove_lite.studies import bench_quality as bq
from training_reference import random_params, random_symmetric


def test_exact_loss_is_the_mean_glove_loss_per_nonzero():
    X = random_symmetric(V=30, seed=4)
    params = random_params(30, 6)
    i, j = X.nonzero()
    want = float(glove_loss(params, i, j, np.asarray(X[i, j]).ravel())) / X.nnz
    assert bq.exact_loss(X, params) == pytest.approx(want, rel=1e-5)
    assert bq.exact_loss(X.astype(np.float32), params) == pytest.approx(want, rel=1e-5)


def test_seconds_to_reach_is_the_first_epoch_at_or_below_the_target():
    curve = [(10.0, 0.05), (20.0, 0.02), (30.0, 0.015), (40.0, 0.012)]
    assert bq.seconds_to_reach(curve, 0.02) == 20.0
    assert bq.seconds_to_reach(curve, 0.013) == 40.0
    assert bq.seconds_to_reach(curve, 0.001) is None


def test_the_report_prints_each_runs_time_to_the_c_tools_losses(capsys):
    c_tool = {"curve": [(100.0, 0.016), (200.0, 0.015)]}
    runs = {"fast": {"curve": [(30.0, 0.02), (60.0, 0.014)], "peak_gb": 1.5}, "slow": {"curve": [(50.0, 0.03)]}}
    table = bq.report(runs, c_tool)
    out = capsys.readouterr().out
    assert table[1]["runs"]["fast"] == {"seconds": 60.0, "ratio": 0.6} and table[1]["runs"]["slow"] is None
    assert "to the C tool's loss after 1 epoch (0.0160, its 100 s): fast 60 s (0.60x), slow not reached" in out
    assert "fast, peak 1.50 GB: 30 s 0.0200  60 s 0.0140" in out


def test_a_child_trains_and_reports_its_curve_plan_and_memory(tmp_path):
    X = random_symmetric(V=60, density=0.2, seed=2, empty_rows=())
    vocab = Vocabulary(tuple(f"w{k}" for k in range(60)), tuple(range(120, 60, -1)), 1)
    path = save_counts(Counts(vocab, X, {"window": 5}), tmp_path / "x.npz")
    run = bq.run_ours(path, {"method": "sparse", "epochs": 3, "dim": 8}, log=lambda _: None)
    seconds, losses = zip(*run["curve"])
    assert run["method"] == "sparse" and len(losses) == 3 and losses[-1] < losses[0]
    assert list(seconds) == sorted(seconds) and 0 < run["peak_gb"] < 8


def test_the_c_tools_input_holds_every_nonzero_with_ids_from_one(tmp_path):
    X = sp.csr_matrix(np.array([[0.0, 2.5], [2.5, 1.0]]))
    bq.write_c_input(X, ("a", "b"), (5, 3), tmp_path)
    records = np.fromfile(tmp_path / "cooc.bin", np.dtype([("i", "<i4"), ("j", "<i4"), ("x", "<f8")]))
    assert sorted(records.tolist()) == [(1, 2, 2.5), (2, 1, 2.5), (2, 2, 1.0)]
    assert (tmp_path / "vocab.txt").read_text() == "a 5\nb 3\n"
    assert bq.build_c_tool(tmp_path / "no-such-peer", tmp_path) is None  # skipped, not failed


def _small_counts(tmp_path):
    X = random_symmetric(V=60, density=0.2, seed=2, empty_rows=())
    vocab = Vocabulary(tuple(f"w{k}" for k in range(60)), tuple(range(120, 60, -1)), 1)
    return X, save_counts(Counts(vocab, X, {"window": 5}), tmp_path / "x.npz")


def test_glove_python_runs_an_epoch_at_a_time_and_learns():
    X = random_symmetric(V=60, density=0.2, seed=2, empty_rows=()).astype(np.float32)
    run = bq.run_glove_python(X, epochs=4, dim=8, log=lambda _: None)
    seconds, losses = zip(*run["curve"])
    assert len(losses) == 4 and losses[-1] < 0.7 * losses[0] and list(seconds) == sorted(seconds)


def test_glove_python_is_skipped_with_a_message_where_it_is_not_installed(monkeypatch):
    monkeypatch.setitem(sys.modules, "glove.glove_cython", None)  # import raises ImportError
    run = bq.run_glove_python(random_symmetric(V=10, seed=1), epochs=1)
    assert "pip install bicleaner-ai-glove" in run["skipped"]


def test_the_command_lines_peak_is_measured_beside_the_formula(tmp_path):
    X, path = _small_counts(tmp_path)
    predicted = bq.predicted_command_peak(X, "tiled", dim=8)
    peak = bq.command_line_peak(path, "tiled", predicted, dim=8)
    assert 0.05 < peak["measured_gb"] < 4 and peak["predicted_gb"] == round(predicted / 1e9, 3)
    assert abs(peak["error"]) < 0.5  # a small X: mostly the process itself (PROCESS_BASE_BYTES)
