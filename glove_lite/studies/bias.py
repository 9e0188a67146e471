"""Bias: WEAT tests (:mod:`glove_lite.bias`) of the book's vectors, over several training seeds.

``python -m glove_lite.studies.bias`` (``make bias``) trains (or loads from the pipeline's disk
cache) the book's vectors with each seed (full corpus, min count 10, window 10, the default
:class:`~glove_lite.training.TrainConfig` but for the seed), runs every test of :data:`TESTS` on
each, and writes ``book/data/bias.json`` for the evaluation chapter. Seed 0 is the book's own
vectors, so the chapter can recompute its row and check it.

The word lists are Caliskan et al.'s (2017) where they have one (the attribute words; the gender
terms of their tests 7 and 8, extended by the pairs the addresses use), else ours, each stated in
the results; words without a vector are dropped and recorded, never replaced.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glove_lite.bias import known_words, weat_test
from glove_lite.errors import GloveLiteError
from glove_lite.fileio import atomic_write
from glove_lite.studies import book_data_path

DEFAULT_OUTPUT = book_data_path("bias.json")

#: Caliskan et al.'s (2017) attribute lists: pleasant and unpleasant (their test 1), career and family (test 6).
PLEASANT = ("caress", "freedom", "health", "love", "peace", "cheer", "friend", "heaven", "loyal", "pleasure",
            "diamond", "gentle", "honest", "lucky", "rainbow", "diploma", "gift", "honor", "miracle", "sunrise",
            "family", "happy", "laughter", "paradise", "vacation")
UNPLEASANT = ("abuse", "crash", "filth", "murder", "sickness", "accident", "death", "grief", "poison", "stink",
              "assault", "disaster", "hatred", "pollute", "tragedy", "divorce", "jail", "poverty", "ugly", "cancer",
              "kill", "rotten", "vomit", "agony", "prison")
CAREER = ("executive", "management", "professional", "corporation", "salary", "office", "business", "career")
FAMILY = ("home", "parents", "children", "family", "cousins", "marriage", "wedding", "relatives")
#: Paired gender terms: Caliskan et al.'s (male, man, boy, brother, he, him, his, son and their female
#: counterparts), with the plurals and relations the addresses use; "him" and "her" left out ("her" is also
#: the possessive, paired with "his").
MALE = ("male", "man", "men", "boy", "boys", "brother", "son", "sons", "father", "husband", "he", "his", "himself")
FEMALE = ("female", "woman", "women", "girl", "girls", "sister", "daughter", "daughters", "mother", "wife", "she",
          "her", "herself")


@dataclass(frozen=True)
class WeatSpec:
    """One test: targets X and Y against attributes A and B, each a label and its words."""

    name: str
    X: tuple[str, tuple[str, ...]]
    Y: tuple[str, tuple[str, ...]]
    A: tuple[str, tuple[str, ...]]
    B: tuple[str, tuple[str, ...]]


TESTS = (
    WeatSpec("gender", ("male terms", MALE), ("female terms", FEMALE), ("career", CAREER), ("family", FAMILY)),
    WeatSpec("nationality",
             ("European", ("british", "english", "french", "german", "italian", "irish", "european")),
             ("Latin American and Asian", ("mexican", "cuban", "chinese", "japanese", "filipino", "korean", "asian")),
             ("pleasant", PLEASANT), ("unpleasant", UNPLEASANT)),
    WeatSpec("race",
             ("white", ("white", "whites", "caucasian")),
             ("Black", ("black", "blacks", "negro", "negroes", "colored", "freedmen", "african-american")),
             ("pleasant", PLEASANT), ("unpleasant", UNPLEASANT)),
)


@dataclass(frozen=True)
class StudyPlan:
    """What ``make bias`` runs; ``QUICK`` is a tiny run for the tests (a decade of addresses, 8 dimensions)."""

    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    n_permutations: int = 100_000
    min_count: int = 10
    window: int = 10
    dim: int = 100
    epochs: int = 25
    years: tuple[int, int] | None = None
    quick: bool = False


FULL = StudyPlan()
QUICK = StudyPlan(seeds=(0, 1), n_permutations=2000, min_count=3, window=5, dim=8, epochs=3, years=(1790, 1800),
                  quick=True)


def run_test(vectors, spec: WeatSpec, n_permutations: int, seed: int = 0) -> dict[str, Any]:
    """One WEAT on one set of vectors, its word lists cut to the vectors' vocabulary (what was cut is recorded)."""
    sets, record = [], {}
    for key, (label, words) in zip("XYAB", (spec.X, spec.Y, spec.A, spec.B)):
        known, missing = known_words(vectors, list(words))
        sets.append(known)
        record[key] = {"label": label, "words": known, "missing": missing}
    try:
        result = weat_test(vectors, *sets, n_permutations=n_permutations, seed=seed)
    except GloveLiteError as error:  # too few of the words have vectors (a tiny corpus): say so, run the rest
        return {**record, "effect_size": None, "p_value": None, "exact": None, "partitions": 0, "error": str(error)}
    return {**record, "effect_size": round(result.effect_size, 4), "p_value": round(result.p_value, 6),
            "exact": result.exact, "partitions": result.partitions}


def run(plan: StudyPlan = FULL, progress: bool = True) -> dict[str, Any]:
    """Train (or load) the vectors of every seed and run every test on them; the JSON-ready results."""
    from glove_lite.corpus import load_sotu
    from glove_lite.pipeline import train_vectors
    from glove_lite.training import TrainConfig

    wall = time.perf_counter()
    documents = load_sotu(*plan.years) if plan.years else load_sotu()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(plan.seeds), desc="bias (WEAT)", unit="seed", file=sys.stderr)
    runs, trained = {spec.name: [] for spec in TESTS}, 0
    words_of: dict[str, dict[str, Any]] = {}
    for seed in plan.seeds:
        config = TrainConfig(dim=plan.dim, epochs=plan.epochs, seed=seed)
        vectors, result = train_vectors(documents, min_count=plan.min_count, window=plan.window, config=config)
        trained += result is not None
        for spec in TESTS:
            outcome = run_test(vectors, spec, plan.n_permutations)
            words_of[spec.name] = {key: outcome.pop(key) for key in "XYAB"}  # the same vocabulary for every seed
            runs[spec.name].append({"seed": seed, **outcome})
        if bar is not None:
            bar.update()
    if bar is not None:
        bar.close()
    return {
        "about": "Written by `make bias` (python -m glove_lite.studies.bias); read by book/06_evaluation.md. "
                 "WEAT (Caliskan et al. 2017) of the book's vectors (full corpus, min count 10, window 10, "
                 "100 d, 25 epochs of AdaGrad) for each seed: effect size (ddof=1) and one-sided permutation "
                 "p-value. Word lists cut to the vocabulary; 'missing' lists the words cut.",
        "provenance": {"machine": _machine(), "date": datetime.date.today().isoformat(),
                       "total_seconds": round(time.perf_counter() - wall), "models": len(plan.seeds),
                       "models_trained": trained},
        "quick": plan.quick,
        "plan": {"seeds": list(plan.seeds), "n_permutations": plan.n_permutations, "min_count": plan.min_count,
                 "window": plan.window, "dim": plan.dim, "epochs": plan.epochs},
        "tests": [{"name": spec.name, **words_of[spec.name], "runs": runs[spec.name]} for spec in TESTS],
    }


def _machine() -> str:
    from glove_lite.studies.bench import machine

    return machine()


def write(result: dict[str, Any], path: str | Path) -> None:
    """Write ``result`` as JSON, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, overwrite=True) as fh:
        json.dump(result, fh, indent=1, allow_nan=False)
        fh.write("\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glove_lite.studies.bias", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a tiny run (a decade of addresses, 8 dimensions), for tests")
    parser.add_argument("--output", "-o", type=Path, default=DEFAULT_OUTPUT,
                        help=f"JSON file to write (default {DEFAULT_OUTPUT}; replaced if it exists)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        result = run(QUICK if args.quick else FULL, progress=not args.no_progress)
        write(result, args.output)
    except GloveLiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.output} in {result['provenance']['total_seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
