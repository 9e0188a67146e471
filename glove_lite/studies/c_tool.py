"""The reference C tool (Stanford GloVe): its figures quoted from earlier runs, and running it beside ours.

Where its unchanged source is found (``../shared/peers/stanford-glove`` beside the repository, or a folder
given), :func:`build_c_tool` builds it into a temporary folder and :func:`run_c_tool` trains it on an X of
ours, so that a benchmark measures it in the same run. Elsewhere the benchmarks quote the figures below,
measured on the same kind of 2-core machine with the same corpus and settings.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

PEER = Path(__file__).resolve().parents[3] / "shared" / "peers" / "stanford-glove"

#: The book's corpus (min count 10, window 10, 100 d, x_max 100, eta 0.05, 2 threads), November 2026:
#: cooccur's time and memory, and training for 25 and 50 epochs with the vectors' scores.
BOOK = {"cooc_s": 2.9, "cooc_mb": 312}
BOOK_RUNS = [
    {"system": "GloVe C tool, 25 epochs", "epochs": 25, "wordsim353": 0.402, "simlex999": 0.134, "analogy": 0.049,
     "analogy_covered": 3422, "train_seconds": 124.5},
    {"system": "GloVe C tool, 50 epochs", "epochs": 50, "wordsim353": 0.427, "simlex999": 0.177, "analogy": 0.069,
     "analogy_covered": 3422, "train_seconds": None},
]
#: A generated text8-sized corpus (20 M tokens, min count 5, window 10), November 2026: counting.
SCALE = {"vocab_count_s": 2.4, "cooccur_s": 28.6, "cooccur_gb": 2.0, "shuffle_s": 34.1, "shuffle_gb": 1.6}




def build_c_tool(peer: Path, into: Path) -> Path | None:
    """Build the C tool's unchanged source from ``peer`` into ``into``/build; None if there is no source."""
    if not (peer / "src" / "glove.c").is_file():
        return None
    src = into / "stanford-glove"
    shutil.copytree(peer, src)
    subprocess.run(["make"], cwd=src, check=True, capture_output=True)
    return src / "build"


def write_c_input(X: sp.csr_matrix, words, counts, folder: Path) -> None:
    """X as the C tool's binary records (int32 word, int32 context, float64 value, ids from 1) and its vocab file."""
    rec = np.dtype([("i", "<i4"), ("j", "<i4"), ("x", "<f8")])
    with open(folder / "cooc.bin", "wb") as fh:
        for a in range(0, X.shape[0], 4096):
            part = X[a:a + 4096].tocoo()
            out = np.empty(part.nnz, rec)
            out["i"], out["j"], out["x"] = part.row + a + 1, part.col + 1, part.data
            out.tofile(fh)
    with open(folder / "vocab.txt", "w", encoding="utf-8") as fh:
        fh.writelines(f"{w} {n}\n" for w, n in zip(words, counts))


def run_c_tool(build: Path, X: sp.csr_matrix, words, counts, epochs: int, folder: Path, threads: int = 2,
               log=print, keep_last: bool = False) -> dict:
    """Shuffle and train with the C tool; the exact loss of its vectors after every epoch against its seconds
    (and, with ``keep_last``, its final vectors W + W~ as ``vectors``)."""
    write_c_input(X, words, counts, folder)
    start = time.perf_counter()
    with open(folder / "cooc.bin", "rb") as fin, open(folder / "cooc.shuf.bin", "wb") as fout:
        subprocess.run([str(build / "shuffle"), "-memory", "2.0", "-verbose", "0"], stdin=fin, stdout=fout, check=True,
                       cwd=folder)
    shuffle_s = time.perf_counter() - start
    (folder / "cooc.bin").unlink()
    cmd = [str(build / "glove"), "-input-file", "cooc.shuf.bin", "-vocab-file", "vocab.txt", "-save-file", "vec",
           "-threads", str(threads), "-iter", str(epochs), "-vector-size", "100", "-x-max", "100", "-eta", "0.05",
           "-binary", "1", "-checkpoint-every", "1", "-verbose", "2", "-seed", "1"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=folder, stderr=subprocess.PIPE, text=True)
    seconds = []
    for line in proc.stderr:
        if "iter:" in line:
            seconds.append(round(time.perf_counter() - start, 2))
            log(f"    C tool epoch {len(seconds)}: {seconds[-1]:.1f} s")
    if proc.wait():
        return {"skipped": f"the C tool failed (exit {proc.returncode})"}
    from glove_lite.studies.bench_quality import exact_loss

    V, d = X.shape[0], 100
    curve = []
    for n, t in enumerate(seconds, start=1):
        path = folder / f"vec.{n:03d}.bin"
        W = np.fromfile(path, np.float64).reshape(2 * V, d + 1)
        curve.append((t, exact_loss(X, (W[:V, :d], W[V:, :d], W[:V, d], W[V:, d]))))
        path.unlink()
    out = {"curve": curve, "shuffle_s": round(shuffle_s, 1), "threads": threads}
    if keep_last:
        out["vectors"] = (W[:V, :d] + W[V:, :d]).astype(np.float32)
    return out
