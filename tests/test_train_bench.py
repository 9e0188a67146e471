"""The training-scale benchmark's children run on a small counts file and report what the section prints."""

import numpy as np
import scipy.sparse as sp

from glove_lite.studies.bench_train import run_child


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
    dense = run_child("dense", path, arg=300)
    assert dense["V"] == 300 and dense["nnz"] == X[:300][:, :300].nnz and dense["longest_block"] >= 1


def test_memory_line_puts_the_target_ours_the_prediction_and_the_peer_side_by_side(capsys):
    from glove_lite.studies.bench_train import print_dense_row, print_memory_rows
    from glove_lite.train import PROCESS_BASE_BYTES, predicted_peak_bytes

    # The README's sparse formula at text8 size: X (8 nnz + 4 V) in place, (2 + s) P with P = 8 V (d + 1).
    V, nnz = 112_822, 83_983_426
    want = PROCESS_BASE_BYTES + 8 * nnz + 4 * V + 3 * 8 * V * 101
    assert predicted_peak_bytes("sparse", V, nnz, 100) == want
    assert predicted_peak_bytes("sparse", V, nnz, 100, x_bytes_per_nnz=12) == want + 4 * nnz + 4 * nnz
    print_memory_rows({"method": "sparse", "peak_gb": 1.43}, {"epoch_s": 100.0, "peak_gb": 1.79}, V, nnz)
    line = capsys.readouterr().out
    assert "peak resident memory under 2 GB: ours 1.43 GB (meets it" in line
    assert f"predicts {want / 2**30:.2f} GB" in line and "glove-python 1.79 GB" in line
    print_dense_row({"V": 30_000, "nnz": 10**7, "longest_block": 10**5, "n_blocks": 470, "epoch_s": 7.0, "peak_gb": 1.0})
    line = capsys.readouterr().out
    assert f"{16 * (10**7 + 10**5) / 2**30:.2f} GB unpadded, {16 * 470 * 10**5 / 2**30:.2f} GB if padded" in line
