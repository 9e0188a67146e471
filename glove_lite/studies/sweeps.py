"""``make sweeps``: the evaluation chapter's comparison table, epoch curves and knob sweeps.

Everything is measured here, now, on this machine and corpus, and written as a small JSON
file (``book/data/evaluation.json``) that the chapter plots, so the chapter itself stays
under a minute. The full run trains GloVe sixteen times (450 epochs in all), SGNS once and
PPMI-SVD ten times. On the 2-core machine the book was made on it took 14 minutes with
nothing else running (36-49 minutes with other jobs on the cores, before training
alternated block roles). The file records the machine, the date and the load average.

    python -m glove_lite.studies.sweeps [--quick] [--output PATH]

What it computes (defaults: full SOTU corpus, min count 10, window 10, 100 dimensions,
25 epochs):

* ``systems``: GloVe with AdaGrad and with Adam, PPMI-SVD with eigenvalue weighting
  p = 0 and p = 0.5 on the same co-occurrence matrix, and word2vec skip-gram with
  negative sampling (gensim, one worker so that it is reproducible) on the same tokens
  and vocabulary: each with every benchmark score, its coverage and its training time,
  both wall-clock seconds (``train_seconds``) and CPU seconds of this process over all
  its threads (``cpu_seconds``). CPU seconds hardly change when other jobs share the
  machine; wall-clock seconds do.
* ``seeds``: GloVe (AdaGrad) with other random seeds, to show how much scores move.
* ``epochs``: GloVe scores every 5 epochs up to 50, for both optimizers. The table's
  GloVe rows are the 25-epoch points of these runs (the optimizers have no schedule, so
  the parameters after 25 of 50 epochs are those of a 25-epoch run); their training
  seconds exclude the time spent evaluating.
* ``sweeps``: one knob at a time around the defaults: window, min count, x_max, dimension
  (GloVe, and PPMI-SVD where the knob applies to it). For min count the scores are also
  given on the words common to every run, since a smaller vocabulary covers fewer pairs.

``--quick`` runs a tiny version (11 addresses, a few epochs) in seconds, for the tests.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from glove_lite.baselines import ppmi_svd, train_sgns
from glove_lite.cooccur import build_cooc_matrix
from glove_lite.evaluate import SCORE_KEYS, Score, evaluate_vectors
from glove_lite.fileio import atomic_write
from glove_lite.studies import book_data_path
from glove_lite.training import TrainConfig, make_plan, train_glove
from glove_lite.vectors import WordVectors
from glove_lite.studies import c_tool

DEFAULT_OUTPUT = book_data_path("evaluation.json")

C_TOOL_REFERENCE = c_tool.BOOK_RUNS  # quoted: see glove_lite.studies.c_tool


@dataclass(frozen=True)
class SweepPlan:
    """What to run. ``FULL`` is the book's; ``QUICK`` a tiny one for the tests."""

    years: tuple[int, int] | None = None  # (start, end) of the SOTU addresses; None: all
    min_count: int = 10
    window: int = 10
    dim: int = 100
    epochs: int = 25
    curve_epochs: int = 50
    curve_every: int = 5
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    sgns_epochs: int = 5
    ppmi_p: tuple[float, ...] = (0.0, 0.5)
    sweep_ppmi_p: float = 0.5  # the PPMI-SVD variant drawn beside GloVe in the sweeps
    windows: tuple[int, ...] = (2, 5, 10, 15)
    min_counts: tuple[int, ...] = (5, 10, 20, 50)
    x_maxes: tuple[float, ...] = (10.0, 50.0, 100.0)
    dims: tuple[int, ...] = (50, 100, 200)
    tokenize_workers: int | None = None  # processes for tokenising (uncached only); None: one per core
    quick: bool = False


FULL = SweepPlan()
QUICK = SweepPlan(
    years=(1790, 1800), min_count=5, window=5, dim=8, epochs=2, curve_epochs=4, curve_every=2, seeds=(0, 1),
    sgns_epochs=1, windows=(2, 5), min_counts=(5, 10), x_maxes=(10.0, 100.0), dims=(8, 16), tokenize_workers=1,
    quick=True,
)


# ----------------------------------------------------------------------------- small helpers


class Clock:
    """Wall-clock and CPU seconds (this process, all threads) since it started, minus pauses."""

    def __init__(self) -> None:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        self.paused_wall = self.paused_cpu = 0.0

    def read(self) -> tuple[float, float]:
        return (time.perf_counter() - self.wall0 - self.paused_wall, time.process_time() - self.cpu0 - self.paused_cpu)

    def pause(self) -> "_Pause":
        """``with clock.pause(): ...`` leaves that block out of the readings."""
        return _Pause(self)


class _Pause:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def __enter__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def __exit__(self, *exc) -> None:
        self.clock.paused_wall += time.perf_counter() - self.wall
        self.clock.paused_cpu += time.process_time() - self.cpu


def _times(clock: Clock) -> dict[str, float | None]:
    wall, cpu = clock.read()
    return {"train_seconds": _round(wall, 1), "cpu_seconds": _round(cpu, 1)}


def _round(x: float | None, digits: int) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), digits)


def _signif(x: float, digits: int = 4) -> float | None:
    return float(f"{x:.{digits}g}") if math.isfinite(x) else None


def score_record(scores: list[Score]) -> dict[str, dict[str, Any]]:
    """``{key: {"score", "covered", "total"}}`` for the keys in :data:`SCORE_KEYS`, scores rounded to 4 decimals."""
    return {k: {"score": _round(s.score, 4), "covered": s.covered, "total": s.total} for k, s in zip(SCORE_KEYS, scores)}


def flat_scores(scores: list[Score]) -> dict[str, float | None]:
    """``{key: score}`` rounded to 4 decimals (coverage left out)."""
    return {k: _round(s.score, 4) for k, s in zip(SCORE_KEYS, scores)}


def restrict(vectors: WordVectors, words: set[str]) -> WordVectors:
    """The vectors of ``words`` only (in the same order)."""
    keep = [i for i, w in enumerate(vectors.words) if w in words]
    return WordVectors(tuple(vectors.words[i] for i in keep), vectors.vectors[keep])


def machine() -> str:
    """CPU model, cores, memory and the versions that matter."""
    from glove_lite.studies.bench import machine as bench_machine

    import gensim
    import scipy

    return f"{bench_machine()}, scipy {scipy.__version__}, gensim {gensim.__version__}"


# ----------------------------------------------------------------------------- the runs


@dataclass
class Context:
    """State shared by the runs: tokens, the default vocabulary and X, and the default runs' vectors."""

    plan: SweepPlan
    tokens: Any
    words: tuple[str, ...]
    X: Any
    default_vectors: dict[str, WordVectors] = field(default_factory=dict)
    result: dict[str, Any] = field(default_factory=dict)

    def matrix(self, min_count: int, window: int):
        """(words, X) for other settings (the defaults are cached)."""
        if (min_count, window) == (self.plan.min_count, self.plan.window):
            return self.words, self.X
        vocab = self.tokens.vocabulary(min_count=min_count)
        return vocab.words, build_cooc_matrix(self.tokens.to_ids(vocab), len(vocab), window)


def glove_config(plan: SweepPlan, **changes) -> TrainConfig:
    return TrainConfig(**{"dim": plan.dim, "epochs": plan.epochs, "seed": 0, **changes})


def run_curve(ctx: Context, name: str, optimizer: str) -> None:
    """Train GloVe for ``curve_epochs``, evaluating every ``curve_every`` epochs; the point at
    ``epochs`` becomes the table's row (training time without the evaluations)."""
    plan = ctx.plan
    config = glove_config(plan, epochs=plan.curve_epochs, optimizer=optimizer)
    learning_rate = make_plan(ctx.X, config).learning_rate
    points: list[dict[str, Any]] = []
    clock = Clock()

    def callback(epoch: int, params, loss: float) -> None:
        if epoch % plan.curve_every and epoch != plan.epochs:
            return
        times = _times(clock)
        with clock.pause():
            evaluate_point(epoch, params, loss, times)

    def evaluate_point(epoch: int, params, loss: float, times: dict) -> None:
        wv = WordVectors.from_params(ctx.words, params)
        scores = evaluate_vectors(wv)
        points.append({"epoch": epoch, "loss": _signif(loss), **times, **flat_scores(scores)})
        if epoch == plan.epochs:
            ctx.default_vectors[name] = wv
            ctx.result["systems"].append({
                "system": name, "family": "glove",
                "settings": {"optimizer": optimizer, "learning_rate": learning_rate, "epochs": plan.epochs, "dim": plan.dim,
                             "x_max": config.x_max, "alpha": config.alpha, "seed": config.seed},
                "scores": score_record(scores), **times,
            })

    result = train_glove(ctx.X, config, callback=callback)
    ctx.result["epochs"][name] = {"optimizer": optimizer, "method": result.method,
                                  "points": [p for p in points if p["epoch"] % plan.curve_every == 0]}


def run_ppmi(ctx: Context, p: float) -> None:
    clock = Clock()
    wv = ppmi_svd(ctx.X, ctx.words, dim=ctx.plan.dim, cds=0.75, eig_p=p)
    times = _times(clock)
    name = f"PPMI-SVD (p = {p:g})"
    ctx.default_vectors[name] = wv
    ctx.result["systems"].append({
        "system": name, "family": "ppmi_svd", "settings": {"dim": ctx.plan.dim, "cds": 0.75, "eig_p": p},
        "scores": score_record(evaluate_vectors(wv)), **times,
    })


def run_sgns(ctx: Context) -> None:
    plan = ctx.plan
    docs = ctx.tokens.documents()
    clock = Clock()
    wv = train_sgns(docs, min_count=plan.min_count, dim=plan.dim, window=plan.window, epochs=plan.sgns_epochs,
                    seed=0, workers=1)
    times = _times(clock)
    if set(wv.words) != set(ctx.words):
        raise RuntimeError("SGNS kept a different vocabulary from GloVe's; the comparison would be unfair")
    ctx.result["systems"].append({
        "system": "SGNS (word2vec)", "family": "sgns",
        "settings": {"dim": plan.dim, "window": plan.window, "epochs": plan.sgns_epochs, "negative": 5,
                     "sample": 1e-3, "workers": 1, "seed": 0},
        "scores": score_record(evaluate_vectors(wv)), **times,
    })


def run_seed(ctx: Context, seed: int) -> None:
    clock = Clock()
    result = train_glove(ctx.X, glove_config(ctx.plan, seed=seed))
    times = _times(clock)
    wv = WordVectors.from_params(ctx.words, result.params)
    ctx.result["seeds"].append({"seed": seed, **times, **flat_scores(evaluate_vectors(wv))})


def sweep_record(knob: str, value, system: str, wv: WordVectors, X, times: dict[str, float | None],
                 common: set[str] | None = None) -> dict[str, Any]:
    scores = evaluate_vectors(wv)
    rec = {"knob": knob, "value": value, "system": system, "words": len(wv), "nonzeros": int(X.nnz),
           "train_seconds": times["train_seconds"], "cpu_seconds": times["cpu_seconds"],
           "scores": flat_scores(scores), "covered": {k: s.covered for k, s in zip(SCORE_KEYS, scores)}}
    if common is not None:
        c = evaluate_vectors(restrict(wv, common))
        rec["common_scores"] = flat_scores(c)
        rec["common_covered"] = {k: s.covered for k, s in zip(SCORE_KEYS, c)}
    return rec


def run_sweep_point(ctx: Context, knob: str, value) -> None:
    """One knob at one value: GloVe (AdaGrad) and, for window/min count/dim, PPMI-SVD."""
    plan = ctx.plan
    settings = {"window": plan.window, "min_count": plan.min_count, "x_max": 100.0, "dim": plan.dim, knob: value}
    is_default = value == {"window": plan.window, "min_count": plan.min_count, "x_max": 100.0, "dim": plan.dim}[knob]
    common = ctx.result["_common"] if knob == "min_count" else None
    words, X = ctx.matrix(settings["min_count"], settings["window"])
    glove_name, ppmi_name = "GloVe (AdaGrad)", f"PPMI-SVD (p = {plan.sweep_ppmi_p:g})"
    systems = {s["system"]: s for s in ctx.result["systems"]}
    out = ctx.result["sweeps"].setdefault(knob, [])
    if is_default:
        wv = ctx.default_vectors[glove_name]
        out.append(sweep_record(knob, value, "GloVe", wv, X, systems[glove_name], common))
    else:
        clock = Clock()
        result = train_glove(X, glove_config(plan, dim=settings["dim"], x_max=float(settings["x_max"])))
        times = _times(clock)
        wv = WordVectors.from_params(words, result.params)
        out.append(sweep_record(knob, value, "GloVe", wv, X, times, common))
    if knob == "x_max":
        return
    if is_default and ppmi_name in ctx.default_vectors:
        out.append(sweep_record(knob, value, "PPMI-SVD", ctx.default_vectors[ppmi_name], X, systems[ppmi_name],
                                common))
    else:
        clock = Clock()
        wv = ppmi_svd(X, words, dim=settings["dim"], eig_p=plan.sweep_ppmi_p)
        out.append(sweep_record(knob, value, "PPMI-SVD", wv, X, _times(clock), common))


def plan_jobs(ctx: Context) -> list[tuple[str, Callable[[], None]]]:
    """The runs in order, each with a label for the progress bar."""
    plan = ctx.plan
    jobs: list[tuple[str, Callable[[], None]]] = [
        ("GloVe AdaGrad, epoch curve", lambda: run_curve(ctx, "GloVe (AdaGrad)", "adagrad")),
        ("GloVe Adam, epoch curve", lambda: run_curve(ctx, "GloVe (Adam)", "adam")),
    ]
    jobs += [(f"PPMI-SVD p={p:g}", lambda p=p: run_ppmi(ctx, p)) for p in plan.ppmi_p]
    jobs.append(("SGNS (gensim)", lambda: run_sgns(ctx)))
    jobs += [(f"GloVe seed {s}", lambda s=s: run_seed(ctx, s)) for s in plan.seeds if s != 0]
    for knob, values in (("window", plan.windows), ("min_count", plan.min_counts), ("x_max", plan.x_maxes),
                         ("dim", plan.dims)):
        jobs += [(f"{knob} = {v:g}", lambda knob=knob, v=v: run_sweep_point(ctx, knob, v)) for v in values]
    return jobs


def run(plan: SweepPlan = FULL, progress: bool = True) -> dict[str, Any]:
    """Run every job of ``plan`` and return the results (a JSON-ready dict)."""
    from glove_lite.corpus import load_sotu
    from glove_lite.preprocess import tokenize_documents

    wall = time.perf_counter()
    load_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    documents = load_sotu(*plan.years) if plan.years else load_sotu()
    workers = plan.tokenize_workers if plan.tokenize_workers is not None else (os.cpu_count() or 1)
    tokens = tokenize_documents(documents, workers=workers)  # only when not cached yet
    vocab = tokens.vocabulary(min_count=plan.min_count)
    start = time.perf_counter()
    X = build_cooc_matrix(tokens.to_ids(vocab), len(vocab), plan.window)
    cooc_seconds = time.perf_counter() - start
    common = set(tokens.vocabulary(min_count=max(plan.min_counts)).words)
    result: dict[str, Any] = {
        "about": "Written by `make sweeps` (python -m glove_lite.studies.sweeps); plotted by book/06_evaluation.md. "
                 "Scores: Spearman rho (wordsim353, simlex999) and accuracy as a fraction (analogy*); "
                 "'covered' counts the pairs/questions whose words are all in the vocabulary. "
                 "train_seconds: wall-clock seconds of training on the machine below (more when other jobs "
                 "share it; see load_average); cpu_seconds: CPU seconds of this process, all threads.",
        "machine": machine(),
        "date": datetime.date.today().isoformat(),
        "quick": plan.quick,
        "plan": {k: v for k, v in asdict(plan).items() if k not in ("tokenize_workers",)},
        "corpus": {"name": "sotu", "documents": len(documents), "years": [documents[0].year, documents[-1].year],
                   "tokens": tokens.n_tokens, "min_count": plan.min_count, "window": plan.window,
                   "words": len(vocab), "nonzeros": int(X.nnz), "cooc_seconds": _round(cooc_seconds, 1)},
        "systems": [], "reference": C_TOOL_REFERENCE, "seeds": [], "epochs": {}, "sweeps": {},
        "_common": common,
    }
    ctx = Context(plan, tokens, vocab.words, X, result=result)
    jobs = plan_jobs(ctx)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), desc="sweeps", unit="run", file=sys.stderr)
    for label, job in jobs:
        if bar is not None:
            bar.set_postfix_str(label)
        job()
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    glove0 = next(s for s in result["systems"] if s["system"] == "GloVe (AdaGrad)")
    result["seeds"].insert(0, {"seed": 0, "train_seconds": glove0["train_seconds"], "cpu_seconds": glove0["cpu_seconds"],
                               **{k: v["score"] for k, v in glove0["scores"].items()}})
    del result["_common"]
    result["common_words"] = {"min_count": max(plan.min_counts), "words": len(common)}
    result["load_average"] = [_round(load_start, 2) if load_start is not None else None,
                              _round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None]
    result["total_seconds"] = _round(time.perf_counter() - wall, 0)
    return result


def write(result: dict[str, Any], path: str | Path) -> None:
    """Write ``result`` as JSON, atomically (a crash never leaves half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, overwrite=True) as fh:
        json.dump(result, fh, indent=1, allow_nan=False)
        fh.write("\n")


def load(path: str | Path = DEFAULT_OUTPUT) -> dict[str, Any]:
    """Read a results file written by :func:`write`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glove_lite.studies.sweeps", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run (11 addresses, a few epochs) for tests")
    parser.add_argument("--output", "-o", type=Path, default=DEFAULT_OUTPUT,
                        help=f"JSON file to write (default {DEFAULT_OUTPUT}; replaced if it exists)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    result = run(plan, progress=not args.no_progress)
    write(result, args.output)
    print(f"wrote {args.output} in {result['total_seconds']:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
