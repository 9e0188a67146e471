"""Self-checks for chapter 5 (inspecting vectors): nearest neighbours and analogies."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from glove_lite.book.exercises._answers import forbidden
from glove_lite.book.exercises._base import CheckFailed, Part, call_student, fn_name, remembered, run_parts


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


def check_nearest_neighbors(fn: Callable[[np.ndarray, list[str], str, int], Any], *, hidden: bool = False,
                            points: float | None = None) -> float | None:
    """Check ``fn(vectors, words, word, k) -> [neighbour, ...]``.

    ``vectors`` is (n, d) with row i the vector of ``words[i]``; the answer lists the k
    words of highest cosine similarity to ``word``, most similar first, ``word`` itself
    excluded (pairs (word, similarity) are accepted too). Two parts: the right k words,
    and their order. ``hidden=True`` runs the graders' other cases; ``points`` grades (see
    :func:`run_parts`).
    """
    name = fn_name(fn, "nearest_neighbors")
    cases = []
    for seed in (1040, 1041) if hidden else (40, 41):
        vectors, words = _toy_vectors(seed)
        for q, k in ((0, 3), (59, 12), (30, 2)) if hidden else ((3, 5), (17, 1), (42, 8)):
            cases.append((vectors, words, q, k))

    def call(n: int) -> str:
        _, words, q, k = cases[n]
        return f"{name}(vectors, words, {words[q]!r}, k={k})"

    def answer(n: int) -> list[str]:
        vectors, words, q, k = cases[n]
        return _as_words(call_student(fn, name, vectors.copy(), list(words), words[q], k, call=call(n),
                                      forbid=forbidden("check_nearest_neighbors")), f"the result of `{call(n)}`")

    answers = remembered(answer)

    def reference(n: int) -> list[str]:
        vectors, words, q, k = cases[n]
        unit = _unit(vectors.astype(np.float64))
        return _rank(unit @ unit[q], {q}, k, words)

    def which_words() -> int:
        for n, (vectors, words, q, k) in enumerate(cases):
            got, want, word = answers(n), reference(n), words[q]
            if sorted(got) == sorted(want):
                continue
            if word in got:
                raise CheckFailed(f"`{call(n)}` lists {word!r} itself: a word is always its own nearest neighbour; leave it out.")
            if len(got) != k:
                raise CheckFailed(f"`{call(n)}` returned {len(got)} words; expected k={k}.")
            if sorted(got) == sorted(_rank(vectors @ vectors[q], {q}, k, words)):
                raise CheckFailed(
                    f"`{call(n)}` ranks by the dot product, which favours long vectors (often frequent words): "
                    "rank by cosine similarity, the dot product of unit vectors."
                )
            if sorted(got) == sorted(_rank(np.linalg.norm(vectors - vectors[q], axis=1), {q}, k, words, ascending=True)):
                raise CheckFailed(f"`{call(n)}` ranks by Euclidean distance; rank by cosine similarity instead.")
            if sorted(got) == sorted(_rank(_unit(vectors.astype(np.float64)) @ _unit(vectors.astype(np.float64))[q], {q}, k, words, ascending=True)):
                raise CheckFailed(f"`{call(n)}` returns the least similar words: sort by decreasing similarity.")
            raise CheckFailed(f"`{call(n)}` returned {got}; expected {want}.")
        return len(cases)

    def order() -> int:
        for n in range(len(cases)):
            got, want = answers(n), reference(n)
            if got != want:
                raise CheckFailed(f"`{call(n)}` has the right words in the wrong order: most similar first.")
        return len(cases)

    words_part = "the k most cosine-similar words, the word itself left out"
    return run_parts("check_nearest_neighbors", fn, [
        Part(words_part, which_words, weight=2),
        Part("most similar first", order, after=words_part),
    ], hidden, points)


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


def check_analogy(fn: Callable[[np.ndarray, list[str], str, str, str], Any], *, hidden: bool = False,
                  points: float | None = None) -> float | None:
    """Check ``fn(vectors, words, a, b, c) -> d``: "a is to b as c is to d" by 3CosAdd.

    d is the word whose vector has the highest cosine similarity to
    unit(b) - unit(a) + unit(c), among all words except a, b and c. Two parts: never a
    query word, and the right answer. ``hidden=True`` runs the graders' other cases;
    ``points`` grades (see :func:`run_parts`).
    """
    name = fn_name(fn, "analogy")
    rng = np.random.default_rng(1050 if hidden else 50)
    queries = []
    for seed in (1050, 1051) if hidden else (50, 51):
        vectors, words = _toy_vectors(seed)
        for _ in range(15):
            a, b, c = (int(t) for t in rng.choice(len(words), size=3, replace=False))
            queries.append((vectors, words, a, b, c))

    def call(n: int) -> str:
        _, words, a, b, c = queries[n]
        return f"{name}(vectors, words, {words[a]!r}, {words[b]!r}, {words[c]!r})"

    def answer(n: int) -> str:
        vectors, words, a, b, c = queries[n]
        out = call_student(fn, name, vectors.copy(), list(words), words[a], words[b], words[c], call=call(n),
                           forbid=forbidden("check_analogy"))
        if isinstance(out, (list, tuple)) and len(out) == 1:  # [word] or [(word, similarity)]
            out = out[0]
        if isinstance(out, (list, tuple)) and len(out) == 2 and isinstance(out[0], str):  # (word, similarity)
            out = out[0]
        if not isinstance(out, str):
            raise CheckFailed(f"`{call(n)}` returned a {type(out).__name__}; expected the answer word (a string).")
        if out not in words:
            raise CheckFailed(f"`{call(n)}` returned {out!r}, which is not one of the words.")
        return out

    answers = remembered(answer)

    def no_query_word() -> int:
        for n, (vectors, words, a, b, c) in enumerate(queries):
            out = answers(n)
            if out in (words[a], words[b], words[c]):
                raise CheckFailed(
                    f"`{call(n)}` returned {out!r}, one of the query words. b - a + c usually stays closest to b or c, "
                    "so a search that does not exclude a, b and c (like d2l's get_analogy) answers with a query word."
                )
        return len(queries)

    def right_answer() -> int:
        got = [answers(n) for n in range(len(queries))]
        variants = [_analogy_variants(vectors, a, b, c, words) for vectors, words, a, b, c in queries]
        wrong = [k for k, (g, v) in enumerate(zip(got, variants)) if g != v["reference"]]
        if not wrong:
            return len(queries)
        hints = {
            "raw_query": "normalise the vectors before forming b - a + c (unit vectors, as 3CosAdd does); otherwise long vectors dominate the query.",
            "dot": "rank the candidates by cosine similarity (unit vectors), not by the raw dot product.",
            "direction": "the query is b - a + c (a is to b as c is to ?), not a - b + c.",
        }
        k = wrong[0]
        for key, hint in hints.items():
            if all(g == v[key] for g, v in zip(got, variants)):
                raise CheckFailed(f"`{call(k)}` returned {got[k]!r}, expected {variants[k]['reference']!r}: {hint}")
        raise CheckFailed(f"`{call(k)}` returned {got[k]!r}, expected {variants[k]['reference']!r}.")

    return run_parts("check_analogy", fn, [
        Part("never one of the query words", no_query_word),
        Part("the 3CosAdd answer", right_answer, weight=2),
    ], hidden, points)
