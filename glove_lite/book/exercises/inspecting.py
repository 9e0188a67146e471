"""Self-checks for chapter 5 (inspecting vectors): nearest neighbours and analogies."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from glove_lite.book.exercises._answers import forbidden
from glove_lite.book.exercises._base import CheckFailed, call_student, fn_name, passed


def _toy_vectors(seed: int, n: int = 60, d: int = 6) -> tuple[np.ndarray, list[str]]:
    """Random vectors whose lengths vary a lot (as frequent and rare words' do)."""
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, d)) * np.exp(rng.normal(0, 0.8, size=(n, 1)))
    return vectors.astype(np.float32), [f"w{k:02d}" for k in range(n)]


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _rank(scores: np.ndarray, exclude: set[int], k: int, words: list[str], ascending: bool = False) -> list[str]:
    scores = np.asarray(scores, dtype=np.float64).copy()
    scores[list(exclude)] = np.inf if ascending else -np.inf
    order = np.argsort(scores if ascending else -scores, kind="stable")
    return [words[i] for i in order[:k]]


def _as_words(out: Any, what: str) -> list[str]:
    """A list of words from a list of words or of (word, score) pairs."""
    if isinstance(out, str) or not hasattr(out, "__iter__"):
        raise CheckFailed(f"{what} is a {type(out).__name__}; expected a list of words (or of (word, similarity) pairs).")
    words = []
    for item in out:
        if isinstance(item, (tuple, list)) and item and isinstance(item[0], str):
            item = item[0]
        if not isinstance(item, str):
            raise CheckFailed(f"{what} contains {item!r}; expected words (strings) or (word, similarity) pairs.")
        words.append(item)
    return words


def check_nearest_neighbors(fn: Callable[[np.ndarray, list[str], str, int], Any], *, hidden: bool = False) -> None:
    """Check ``fn(vectors, words, word, k) -> [neighbour, ...]``.

    ``vectors`` is (n, d) with row i the vector of ``words[i]``; the answer lists the k
    words of highest cosine similarity to ``word``, most similar first, ``word`` itself
    excluded (pairs (word, similarity) are accepted too). ``hidden=True`` runs the
    graders' other cases.
    """
    name = fn_name(fn, "nearest_neighbors")
    trials = 0
    for seed in (1040, 1041) if hidden else (40, 41):
        vectors, words = _toy_vectors(seed)
        unit = _unit(vectors.astype(np.float64))
        for q, k in ((0, 3), (59, 12), (30, 2)) if hidden else ((3, 5), (17, 1), (42, 8)):
            trials += 1
            word = words[q]
            call = f"{name}(vectors, words, {word!r}, k={k})"
            got = _as_words(call_student(fn, name, vectors.copy(), list(words), word, k, call=call,
                                         forbid=forbidden("check_nearest_neighbors")), f"the result of `{call}`")
            want = _rank(unit @ unit[q], {q}, k, words)
            if got == want:
                continue
            if word in got:
                raise CheckFailed(f"`{call}` lists {word!r} itself: a word is always its own nearest neighbour; leave it out.")
            if len(got) != k:
                raise CheckFailed(f"`{call}` returned {len(got)} words; expected k={k}.")
            if got == _rank(vectors @ vectors[q], {q}, k, words):
                raise CheckFailed(
                    f"`{call}` ranks by the dot product, which favours long vectors (often frequent words): "
                    "rank by cosine similarity, the dot product of unit vectors."
                )
            if got == _rank(np.linalg.norm(vectors - vectors[q], axis=1), {q}, k, words, ascending=True):
                raise CheckFailed(f"`{call}` ranks by Euclidean distance; rank by cosine similarity instead.")
            if got == _rank(unit @ unit[q], {q}, k, words, ascending=True):
                raise CheckFailed(f"`{call}` returns the least similar words: sort by decreasing similarity.")
            if sorted(got) == sorted(want):
                raise CheckFailed(f"`{call}` has the right words in the wrong order: most similar first.")
            raise CheckFailed(f"`{call}` returned {got}; expected {want}.")
    passed("check_nearest_neighbors", fn, trials, hidden)


def _analogy_variants(vectors: np.ndarray, a: int, b: int, c: int, words: list[str]) -> dict[str, str]:
    raw = vectors.astype(np.float64)
    unit = _unit(raw)
    abc = {a, b, c}
    return {
        "reference": _rank(unit @ (unit[b] - unit[a] + unit[c]), abc, 1, words)[0],
        "no_exclusion": _rank(unit @ (unit[b] - unit[a] + unit[c]), set(), 1, words)[0],
        "raw_query": _rank(unit @ (raw[b] - raw[a] + raw[c]), abc, 1, words)[0],
        "dot": _rank(raw @ (raw[b] - raw[a] + raw[c]), abc, 1, words)[0],
        "direction": _rank(unit @ (unit[a] - unit[b] + unit[c]), abc, 1, words)[0],
    }


def check_analogy(fn: Callable[[np.ndarray, list[str], str, str, str], Any], *, hidden: bool = False) -> None:
    """Check ``fn(vectors, words, a, b, c) -> d``: "a is to b as c is to d" by 3CosAdd.

    d is the word whose vector has the highest cosine similarity to
    unit(b) - unit(a) + unit(c), among all words except a, b and c. ``hidden=True`` runs
    the graders' other cases.
    """
    name = fn_name(fn, "analogy")
    rng = np.random.default_rng(1050 if hidden else 50)
    answers, variants, calls = [], [], []
    for seed in (1050, 1051) if hidden else (50, 51):
        vectors, words = _toy_vectors(seed)
        for _ in range(15):
            a, b, c = (int(t) for t in rng.choice(len(words), size=3, replace=False))
            call = f"{name}(vectors, words, {words[a]!r}, {words[b]!r}, {words[c]!r})"
            out = call_student(fn, name, vectors.copy(), list(words), words[a], words[b], words[c], call=call,
                               forbid=forbidden("check_analogy"))
            if isinstance(out, (list, tuple)) and len(out) == 1:  # [word] or [(word, similarity)]
                out = out[0]
            if isinstance(out, (list, tuple)) and len(out) == 2 and isinstance(out[0], str):  # (word, similarity)
                out = out[0]
            if not isinstance(out, str):
                raise CheckFailed(f"`{call}` returned a {type(out).__name__}; expected the answer word (a string).")
            if out in (words[a], words[b], words[c]):
                raise CheckFailed(
                    f"`{call}` returned {out!r}, one of the query words. b - a + c usually stays closest to b or c, "
                    "so a search that does not exclude a, b and c (like d2l's get_analogy) answers with a query word."
                )
            answers.append(out)
            variants.append(_analogy_variants(vectors, a, b, c, words))
            calls.append(call)
    wrong = [k for k, (got, v) in enumerate(zip(answers, variants)) if got != v["reference"]]
    if wrong:
        hints = {
            "raw_query": "normalise the vectors before forming b - a + c (unit vectors, as 3CosAdd does); otherwise long vectors dominate the query.",
            "dot": "rank the candidates by cosine similarity (unit vectors), not by the raw dot product.",
            "direction": "the query is b - a + c (a is to b as c is to ?), not a - b + c.",
        }
        for key, hint in hints.items():
            if all(got == v[key] for got, v in zip(answers, variants)):
                raise CheckFailed(f"`{calls[wrong[0]]}` returned {answers[wrong[0]]!r}, expected {variants[wrong[0]]['reference']!r}: {hint}")
        k = wrong[0]
        raise CheckFailed(f"`{calls[k]}` returned {answers[k]!r}, expected {variants[k]['reference']!r}.")
    passed("check_analogy", fn, len(answers), hidden)
