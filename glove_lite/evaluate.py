"""Word-vector benchmarks: WordSim-353, SimLex-999 (Spearman) and the Google analogies.

The benchmark files ship inside gensim (``gensim.test.utils.datapath``) and gensim's own
evaluators do the scoring, so our numbers are comparable with everyone else's. Every
score comes with its coverage: on a 2-million-token corpus about half of each benchmark
is out of vocabulary, and a score over the covered half is not a score over the whole.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from glove_lite.vectors import WordVectors

SEMANTIC_SECTIONS = ("capital-common-countries", "capital-world", "currency", "city-in-state", "family")


@dataclass(frozen=True)
class Score:
    """A benchmark score with how much of the benchmark it covers."""

    name: str
    score: float  # Spearman rho for similarity sets, accuracy (0-1) for analogies
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


def _pairs_total(path: str) -> int:
    with open(path, encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip() and not line.startswith("#"))


def word_similarity(vectors: WordVectors, benchmark: str = "wordsim353") -> Score:
    """Spearman correlation with human similarity ratings (``"wordsim353"`` or ``"simlex999"``)."""
    from gensim.test.utils import datapath

    files = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
    if benchmark not in files:
        raise ValueError(f"benchmark={benchmark!r}; expected one of {sorted(files)}")
    path = datapath(files[benchmark])
    kv = vectors.to_gensim()
    total = _pairs_total(path)
    with _quiet_gensim():
        try:
            _pearson, spearman, oov_percent = kv.evaluate_word_pairs(path, case_insensitive=True)
        except ValueError:  # gensim's answer when no pair is in the vocabulary
            return Score(benchmark, float("nan"), 0, total)
    covered = total - round(total * oov_percent / 100)
    return Score(benchmark, float(spearman[0]), covered, total)


def analogies(vectors: WordVectors) -> dict[str, Score]:
    """Google analogy accuracy (3CosAdd), overall and split into semantic and syntactic sections."""
    from gensim.test.utils import datapath

    path = datapath("questions-words.txt")
    kv = vectors.to_gensim()
    with _quiet_gensim():
        _score, sections = kv.evaluate_word_analogies(path, case_insensitive=True, restrict_vocab=len(vectors))
    totals: dict[str, int] = {}
    section = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(":"):
                section = line[1:].strip()
            elif line.strip():
                totals[section] = totals.get(section, 0) + 1
    out = {}
    for part, keep in (("semantic", lambda s: s in SEMANTIC_SECTIONS), ("syntactic", lambda s: s not in SEMANTIC_SECTIONS), ("all", lambda s: True)):
        chosen = [s for s in sections if s["section"] != "Total accuracy" and keep(s["section"])]
        correct = sum(len(s["correct"]) for s in chosen)
        covered = correct + sum(len(s["incorrect"]) for s in chosen)
        total = sum(n for s, n in totals.items() if keep(s))
        out[part] = Score(f"analogy ({part})", correct / covered if covered else float("nan"), covered, total)
    return out


def evaluate_vectors(vectors: WordVectors) -> list[Score]:
    """All benchmarks: WordSim-353, SimLex-999, analogies (all, semantic, syntactic)."""
    a = analogies(vectors)
    return [word_similarity(vectors, "wordsim353"), word_similarity(vectors, "simlex999"), a["all"], a["semantic"], a["syntactic"]]


def scores_as_dict(scores: list[Score]) -> dict[str, dict]:
    """Scores keyed by name, for tables and JSON."""
    return {s.name: {**asdict(s), "coverage": s.coverage} for s in scores}


class _quiet_gensim:
    """Silence gensim's INFO logging during an evaluation."""

    def __enter__(self):
        self.logger = logging.getLogger("gensim")
        self.level = self.logger.level
        self.logger.setLevel(logging.WARNING)

    def __exit__(self, *exc):
        self.logger.setLevel(self.level)
