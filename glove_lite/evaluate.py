"""Word-vector benchmarks: WordSim-353, SimLex-999 (Spearman) and the Google analogies.

The benchmark files ship inside gensim (``gensim.test.utils.datapath``) and gensim's own
evaluators do the scoring, so our numbers are comparable with everyone else's. Every
score comes with its coverage: on a 2-million-token corpus about half of each similarity
benchmark and four fifths of the analogies are out of vocabulary, and a score over the
covered part is not a score over the whole. Words are compared case-insensitively.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import asdict, dataclass

import numpy as np

from glove_lite.vectors import WordVectors

__all__ = ["SCORE_KEYS", "Score", "word_similarity", "covered_pairs", "spearman_interval", "analogy_sections", "analogies", "evaluate_vectors", "scores_as_dict", "blas_threads"]


SIMILARITY_FILES = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
ANALOGY_FILE = "questions-words.txt"
#: The five sections of the Google analogy set about facts (the other nine are about grammar).
SEMANTIC_SECTIONS = ("capital-common-countries", "capital-world", "currency", "city-in-state", "family")


@dataclass(frozen=True)
class Score:
    """A benchmark score with how much of the benchmark it covers."""

    name: str
    score: float  # Spearman rho for similarity sets, accuracy (0-1) for analogies; NaN if nothing is covered
    covered: int
    total: int

    @property
    def coverage(self) -> float:
        return self.covered / self.total if self.total else 0.0

    def __str__(self) -> str:
        if self.covered == 0 or self.score != self.score:
            value = "   n/a"
        elif self.name.startswith("analogy"):
            value = f"{100 * self.score:5.1f} %"
        else:
            value = f"{self.score:6.3f}"
        return f"{self.name:<20} {value}   coverage {self.covered}/{self.total} ({100 * self.coverage:.0f} %)"


def _path(name: str) -> str:
    from gensim.test.utils import datapath

    return datapath(name)


def _read_pairs(benchmark: str) -> list[tuple[str, str, float]]:
    """The (word, word, human rating) lines of a similarity benchmark, as gensim reads them."""
    if benchmark not in SIMILARITY_FILES:
        raise ValueError(f"benchmark={benchmark!r}; expected one of {sorted(SIMILARITY_FILES)}")
    pairs = []
    with open(_path(SIMILARITY_FILES[benchmark]), encoding="utf-8") as fh:
        for line in fh:
            if not line or line.startswith("#"):
                continue
            try:
                a, b, sim = line.split("\t")
                pairs.append((a, b, float(sim)))
            except ValueError:
                continue
    return pairs


def _vocab_limit(vectors: WordVectors, restrict_vocab: int | None) -> int:
    return len(vectors) if restrict_vocab is None else min(int(restrict_vocab), len(vectors))


def word_similarity(
    vectors: WordVectors,
    benchmark: str = "wordsim353",
    restrict_vocab: int | None = None,
) -> Score:
    """Spearman correlation with human similarity ratings (``"wordsim353"`` or
    ``"simlex999"``).

    Only pairs whose two words are among the first ``restrict_vocab`` words of
    ``vectors`` (default: all of them) are scored; ``covered`` says how many.
    """
    total = len(_read_pairs(benchmark))
    kv = vectors.to_gensim()
    with _quiet_gensim():
        try:
            _pearson, spearman, oov_percent = kv.evaluate_word_pairs(
                _path(SIMILARITY_FILES[benchmark]),
                case_insensitive=True,
                restrict_vocab=_vocab_limit(vectors, restrict_vocab),
            )
        except ValueError:  # gensim's answer when no pair is in the vocabulary
            return Score(benchmark, float("nan"), 0, total)
    covered = total - round(total * oov_percent / 100)
    return Score(benchmark, float(spearman[0]), covered, total)


def covered_pairs(vectors: WordVectors, benchmark: str = "wordsim353") -> tuple[list[tuple[str, str, float]], list[tuple[str, str, float]]]:
    """The benchmark's pairs split into (covered, missing): covered pairs have both words in ``vectors``."""
    known = {w.upper() for w in vectors.words}
    covered, missing = [], []
    for a, b, sim in _read_pairs(benchmark):
        (covered if a.upper() in known and b.upper() in known else missing).append((a, b, sim))
    return covered, missing


def spearman_interval(
    vectors: WordVectors, benchmark: str = "wordsim353", n_boot: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float]:
    """A bootstrap confidence interval for the Spearman score: resample the covered pairs with replacement.

    With ~170 covered WordSim-353 pairs the interval is wide; two sets of vectors whose
    scores differ by less than its half-width are not distinguishable on this benchmark.
    """
    from scipy.stats import rankdata

    pairs, _ = covered_pairs(vectors, benchmark)
    if len(pairs) < 3:
        return float("nan"), float("nan")
    lookup = {w.upper(): w for w in reversed(vectors.words)}
    human = np.array([s for _, _, s in pairs])
    model = np.array([vectors.similarity(lookup[a.upper()], lookup[b.upper()]) for a, b, _ in pairs])
    idx = np.random.default_rng(seed).integers(0, len(pairs), size=(n_boot, len(pairs)))
    ranks_h = rankdata(human[idx], axis=1)
    ranks_m = rankdata(model[idx], axis=1)
    ranks_h -= ranks_h.mean(axis=1, keepdims=True)
    ranks_m -= ranks_m.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (ranks_h * ranks_m).sum(1) / np.sqrt((ranks_h**2).sum(1) * (ranks_m**2).sum(1))
    lo, hi = np.nanquantile(rho, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _analogy_counts(vectors: WordVectors, restrict_vocab: int | None) -> dict[str, tuple[int, int, int]]:
    """(correct, covered, total) questions for each section of the Google analogy set, in file order."""
    path = _path(ANALOGY_FILE)
    kv = vectors.to_gensim()
    with _quiet_gensim():
        _score, sections = kv.evaluate_word_analogies(path, case_insensitive=True,
                                                      restrict_vocab=_vocab_limit(vectors, restrict_vocab))
    totals: dict[str, int] = {}
    section = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(": "):
                section = line[2:].strip()
                totals[section] = 0
            elif len(line.split()) == 4:
                totals[section] += 1
    found = {s["section"]: s for s in sections}
    out = {}
    for name, total in totals.items():
        s = found.get(name, {"correct": [], "incorrect": []})
        out[name] = (len(s["correct"]), len(s["correct"]) + len(s["incorrect"]), total)
    return out


def _score(name: str, counts: list[tuple[int, int, int]]) -> Score:
    correct, covered, total = (sum(c[k] for c in counts) for k in range(3))
    return Score(name, correct / covered if covered else float("nan"), covered, total)


def analogy_sections(vectors: WordVectors, restrict_vocab: int | None = None) -> dict[str, Score]:
    """Google analogy accuracy (3CosAdd, gensim's evaluator) for each of its 14 sections.

    A question a : b :: c : d counts as covered when its four words are among the first
    ``restrict_vocab`` words (default: all); the candidates for d are those words too,
    minus a, b and c.
    """
    return {name: _score(name, [c]) for name, c in _analogy_counts(vectors, restrict_vocab).items()}


def analogies(vectors: WordVectors, restrict_vocab: int | None = None) -> dict[str, Score]:
    """Google analogy accuracy (3CosAdd), overall and split into semantic and syntactic sections.

    Returns ``{"all", "semantic", "syntactic": Score}``; ``semantic`` is the five sections
    in :data:`SEMANTIC_SECTIONS` (capitals, currencies, cities in states, family), and
    ``syntactic`` the other nine (plurals, tenses, comparatives, ...).
    """
    counts = _analogy_counts(vectors, restrict_vocab)
    semantic = [c for name, c in counts.items() if name in SEMANTIC_SECTIONS]
    syntactic = [c for name, c in counts.items() if name not in SEMANTIC_SECTIONS]
    return {
        "all": _score("analogy (all)", semantic + syntactic),
        "semantic": _score("analogy (semantic)", semantic),
        "syntactic": _score("analogy (syntactic)", syntactic),
    }


def evaluate_vectors(vectors: WordVectors, restrict_vocab: int | None = None) -> list[Score]:
    """All benchmarks: WordSim-353, SimLex-999, analogies (all, semantic, syntactic).

    ``restrict_vocab`` limits every benchmark to the first (most frequent) words of
    ``vectors``, as gensim's evaluators do (its default is 300,000; ours is all words).
    """
    a = analogies(vectors, restrict_vocab)
    return [
        word_similarity(vectors, "wordsim353", restrict_vocab),
        word_similarity(vectors, "simlex999", restrict_vocab),
        a["all"], a["semantic"], a["syntactic"],
    ]


#: Short keys for the scores of :func:`evaluate_vectors`, in its order (for tables and JSON).
SCORE_KEYS = ("wordsim353", "simlex999", "analogy", "analogy_semantic", "analogy_syntactic")


def scores_as_dict(scores: list[Score]) -> dict[str, dict]:
    """Scores keyed by name, for tables and JSON."""
    return {s.name: {**asdict(s), "coverage": s.coverage} for s in scores}


class _quiet_gensim:
    """Silence gensim's INFO logging, and run BLAS on one thread, during an evaluation.

    The evaluators do thousands of small matrix-vector products. With OpenBLAS's default
    of one thread per core they slow down ten-fold or more when other jobs share the
    cores (measured here: 2.3 s on one thread, 22-38 s on two, with a load average of 7),
    and they gain nothing from threads when the machine is idle.
    """

    def __enter__(self):
        self.logger = logging.getLogger("gensim")
        self.level = self.logger.level
        self.logger.setLevel(logging.WARNING)
        self.threads = blas_threads(1)
        self.threads.__enter__()

    def __exit__(self, *exc):
        self.threads.__exit__(*exc)
        self.logger.setLevel(self.level)


def blas_threads(n: int | None):
    """A context manager limiting BLAS (OpenBLAS, MKL) to ``n`` threads; ``None`` changes nothing.

    Uses ``threadpoolctl`` (installed with scikit-learn, which umap-learn needs); without
    it, a no-op.
    """
    if n is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        return contextlib.nullcontext()
    return threadpool_limits(limits=n, user_api="blas")
