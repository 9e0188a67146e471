"""The training-scale benchmark's children run on a small counts file and report what the section prints."""

import numpy as np
import scipy.sparse as sp

from glove_lite.bench_train import run_child


def test_children_report_times_and_memory(tmp_path):
    A = sp.random(1000, 1000, density=0.005, random_state=0, format="csr") * 20  # 1 % dense: sparse
    X = sp.csr_matrix(A + A.T)
    path = tmp_path / "x.npz"
    np.savez(path, shape=np.array(X.shape), indptr=X.indptr, indices=X.indices, data=X.data)
    ours = run_child("ours", path)
    assert ours["method"] == "sparse" and ours["epoch_s"] > 0 and 0 < ours["peak_gb"] < 4
    pairs = run_child("pairs", path)
    assert pairs["epoch_s"] > 0
    peer = run_child("peer", path)
    assert "epoch_s" in peer or "not installed" in peer["skipped"]
