"""Bias in word vectors: the Word Embedding Association Test (WEAT; Caliskan, Bryson & Narayanan 2017).

Two sets of **target** words X and Y (say, male and female terms) are compared with two sets of
**attribute** words A and B (say, career and family words). A word's association with the
attributes is its mean cosine similarity with the words of A minus that with the words of B,

    s(w, A, B) = mean_{a in A} cos(w, a) - mean_{b in B} cos(w, b).

The **effect size** is the difference between the mean associations of X and of Y, in units of
the standard deviation (ddof=1, as in May et al.'s widely used implementation) of the
associations of all the target words: like Cohen's d, 0 means no difference and 2 is very large.
The **p-value** is that of a one-sided permutation test: of all the ways to split the target
words X ∪ Y into two sets of the sizes of X and Y, the share whose difference of summed
associations is at least the observed one (every split when there are few, else a random
sample of them).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from glove_lite.errors import GloveLiteError, UnknownWordError, VocabularyError
from glove_lite.preprocess import suggest_words
from glove_lite.vectors import WordVectors

__all__ = ["WeatResult", "known_words", "association", "weat_effect_size", "weat_test"]

CHUNK = 8192  # random splits drawn at a time


@dataclass(frozen=True)
class WeatResult:
    """One WEAT: effect size, one-sided p-value, the test statistic, and how the p-value was computed.

    statistic: s(X, Y, A, B), the summed associations of X minus those of Y. partitions: the
    splits of X ∪ Y the p-value counts (all of them when ``exact``, else the random sample).
    """

    effect_size: float
    p_value: float
    statistic: float
    partitions: int
    exact: bool


def known_words(vectors: WordVectors, words: Sequence[str]) -> tuple[list[str], list[str]]:
    """``words`` split into (those with a vector, those without), each in the given order."""
    _check_set("words", words)
    return [w for w in words if w in vectors], [w for w in words if w not in vectors]


def _check_set(name: str, words: Sequence[str]) -> None:
    if isinstance(words, str) or not all(isinstance(w, str) for w in words):
        raise GloveLiteError(f"{name}={words!r}; expected a list of words (strings), not one string")
    if len(set(words)) != len(words):
        twice = sorted({w for w in words if list(words).count(w) > 1})
        raise GloveLiteError(f"{name} lists {twice!r} more than once; expected each word once")


def _rows(vectors: WordVectors, name: str, words: Sequence[str]) -> np.ndarray:
    """The unit vectors (n, d) float64 of ``words``; every word must have a vector."""
    _check_set(name, words)
    if not words:
        raise GloveLiteError(f"{name} is empty; expected at least one word")
    missing = [w for w in words if w not in vectors]
    if len(missing) == 1:
        raise UnknownWordError(missing[0], suggest_words(missing[0], vectors.words))
    if missing:
        raise VocabularyError(f"{len(missing)} words of {name} are not in the vocabulary: "
                             f"{', '.join(map(repr, missing))}; expected words with vectors "
                             "(known_words(vectors, words) splits a list into known and unknown words)")
    rows = np.asarray(vectors.vectors, dtype=np.float64)[[vectors.index[w] for w in words]]
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return rows / np.where(norms > 0, norms, 1.0)


def association(
    vectors: WordVectors, words: Sequence[str], A: Sequence[str], B: Sequence[str]
) -> np.ndarray:
    """s(w, A, B) for each word w (n,): mean cosine similarity with A minus mean cosine
    similarity with B."""
    _check_disjoint("A", A, "B", B)
    w, a, b = (
        _rows(vectors, "words", words),
        _rows(vectors, "A", A),
        _rows(vectors, "B", B),
    )
    return (w @ a.T).mean(axis=1) - (w @ b.T).mean(axis=1)


def _check_disjoint(name_1: str, set_1: Sequence[str], name_2: str, set_2: Sequence[str]) -> None:
    both = sorted(set(set_1) & set(set_2))
    if both:
        raise GloveLiteError(f"{name_1} and {name_2} share {both!r}; expected two sets with no word in common")


def _target_associations(vectors, X, Y, A, B) -> tuple[np.ndarray, int]:
    _check_set("X", X)
    _check_set("Y", Y)
    _check_disjoint("X", X, "Y", Y)
    if not X or not Y:
        raise GloveLiteError(f"X has {len(X)} and Y {len(Y)} words; expected at least one in each")
    _rows(vectors, "X", X), _rows(vectors, "Y", Y)  # unknown words named by their set
    return association(vectors, list(X) + list(Y), A, B), len(X)


def _effect_size(s: np.ndarray, n_x: int) -> float:
    if len(s) < 3:
        raise GloveLiteError(f"{len(s)} target words in X and Y together; expected at least 3 for a standard deviation")
    spread = float(np.std(s, ddof=1))
    if spread == 0.0:
        raise GloveLiteError("every target word has the same association with A and B; the effect size is undefined")
    return (float(s[:n_x].mean()) - float(s[n_x:].mean())) / spread


def weat_effect_size(vectors: WordVectors, X: Sequence[str], Y: Sequence[str],
                     A: Sequence[str], B: Sequence[str]) -> float:
    """The WEAT effect size: (mean s(x, A, B) over X - mean s(y, A, B) over Y) / std over X ∪ Y (ddof=1).

    Positive when X is closer to A (and Y to B) than the other way round. Raises
    :class:`~glove_lite.errors.GloveLiteError` naming the words that have no vector, sets that overlap, or
    sets too small for a standard deviation.
    """
    return _effect_size(*_target_associations(vectors, X, Y, A, B))


def weat_test(vectors: WordVectors, X: Sequence[str], Y: Sequence[str], A: Sequence[str], B: Sequence[str],
              n_permutations: int = 100_000, seed: int = 0) -> WeatResult:
    """The WEAT effect size and its one-sided permutation p-value.

    The p-value is the share of splits of X ∪ Y into sets of the sizes of X and Y whose statistic
    is at least the observed one (ties count against the hypothesis). When there are at most
    ``n_permutations`` splits, all are counted (the observed one among them) and the p-value is
    exact; otherwise ``n_permutations`` random splits (``seed``) are drawn and the p-value is
    (1 + as large) / (1 + n_permutations), which never reaches 0.
    """
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, (int, np.integer)) or n_permutations < 1:
        raise GloveLiteError(f"n_permutations={n_permutations!r}; expected an integer >= 1")
    s, n_x = _target_associations(vectors, X, Y, A, B)
    effect = _effect_size(s, n_x)
    statistic = float(s[:n_x].sum() - s[n_x:].sum())
    # Every split has the same total, so a split's statistic grows with its X part's sum alone.
    observed = float(s[:n_x].sum())
    tolerance = 1e-9 * float(np.abs(s).sum())  # equal sums in another order still count as ties
    n = len(s)
    splits = math.comb(n, n_x)
    if splits <= n_permutations:
        parts = np.array(list(itertools.combinations(range(n), n_x)), dtype=np.int64)
        as_large = int(np.count_nonzero(s[parts].sum(axis=1) >= observed - tolerance))
        return WeatResult(effect, as_large / splits, statistic, splits, True)
    rng = np.random.default_rng(seed)
    as_large, drawn = 0, 0
    while drawn < n_permutations:
        size = min(CHUNK, n_permutations - drawn)
        parts = np.argsort(rng.random((size, n)), axis=1)[:, :n_x]
        as_large += int(np.count_nonzero(s[parts].sum(axis=1) >= observed - tolerance))
        drawn += size
    return WeatResult(effect, (1 + as_large) / (1 + n_permutations), statistic, n_permutations, False)
