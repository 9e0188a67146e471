"""Self-checks for chapter 6 (evaluation): Spearman's rank correlation and a similarity benchmark."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from glove_lite.book.exercises._answers import forbidden
from glove_lite.book.exercises._base import CheckFailed, Part, as_number, call_student, fmt, fn_name, remembered, run_parts


def _scalar(out: Any, call: str) -> float:
    """One number from a float, a 0-d array or scipy's result object."""
    for attr in ("statistic", "correlation"):
        if hasattr(out, attr) and not isinstance(out, np.ndarray):
            out = getattr(out, attr)
            break
    if isinstance(out, (tuple, list)):
        raise CheckFailed(f"`{call}` returned a {type(out).__name__} of {len(out)} values; return just the correlation (one number).")
    return as_number(out, f"the result of `{call}`")


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.corrcoef(x, y)[0, 1])


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    from scipy.stats import rankdata

    return _pearson(rankdata(x), rankdata(y))


def check_spearman(fn: Callable[[np.ndarray, np.ndarray], Any], *, hidden: bool = False,
                   points: float | None = None) -> float | None:
    """Check ``fn(x, y) -> rho``: Spearman's rank correlation of two 1-D arrays.

    It is Pearson's correlation of the ranks, tied values sharing the average of their
    ranks (what ``scipy.stats.spearmanr`` computes; passing or calling that is rejected).
    Two parts: arrays without ties, and arrays with ties. ``hidden=True`` runs the graders'
    other cases (ties in both arrays, a decreasing relation); ``points`` grades (see
    :func:`run_parts`).
    """
    name = fn_name(fn, "spearman")
    rng = np.random.default_rng(1060 if hidden else 60)
    x1 = rng.normal(size=20)
    if hidden:
        plain = [
            (np.array([3.0, 1.0, 2.0, 5.0, 4.0]), np.array([30.0, 20.0, 10.0, 0.0, -5.0]), "no ties, mixed"),
            (x1, -np.exp(x1), "decreasing"),
        ]
        tied = [
            (np.array([1.0, 1.0, 2.0, 2.0, 3.0, 3.0]), np.array([6.0, 6.0, 4.0, 4.0, 4.0, 1.0]), "ties in both"),
            (np.round(rng.uniform(0, 5, 40)), np.round(rng.uniform(0, 5, 40)), "many ties in both"),
        ]
    else:
        plain = [
            (np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([1.0, 4.0, 9.0, 16.0, 100.0]), "no ties, monotonic"),
            (x1, x1 + rng.normal(size=20), "no ties"),
        ]
        tied = [
            (np.array([1.0, 2.0, 2.0, 3.0, 5.0, 5.0, 5.0, 8.0]), np.array([2.0, 1.0, 4.0, 3.0, 7.0, 5.0, 6.0, 9.0]), "ties in x"),
            (np.round(rng.uniform(0, 10, 30)), np.round(rng.uniform(0, 10, 30)) + np.arange(30) / 10, "many ties"),
        ]

    def right_without_ties() -> bool:
        try:
            run(plain)
        except CheckFailed:
            return False
        return True

    def run(cases: list) -> int:
        for x, y, label in cases:
            call = f"{name}(x={fmt(x, 3)}, y={fmt(y, 3)})" if x.size <= 8 else f"{name}(x, y) ({label}, n={x.size})"
            got = _scalar(call_student(fn, name, x.copy(), y.copy(), call=call, forbid=forbidden("check_spearman")), call)
            want = _spearman(x, y)
            if abs(got - want) <= 1e-6:
                continue
            if abs(got - _pearson(x, y)) <= 1e-6:
                raise CheckFailed(f"`{call}` = {got:.4f}: that is Pearson's correlation of the values themselves; Spearman's uses their ranks ({want:.4f}).")
            ordinal = _pearson(np.argsort(np.argsort(x, kind="stable")), np.argsort(np.argsort(y, kind="stable")))
            if abs(got - ordinal) <= 1e-6:
                raise CheckFailed(f"`{call}` = {got:.4f}, expected {want:.4f}: tied values must share the average of their ranks (e.g. two values tied for ranks 2 and 3 both get 2.5).")
            if abs(got - _pearson(np.argsort(x, kind="stable"), np.argsort(y, kind="stable"))) <= 1e-6:
                raise CheckFailed(f"`{call}` = {got:.4f}, expected {want:.4f}: np.argsort gives the positions of the sorted values, not the rank of each value.")
            if cases is tied and right_without_ties():  # ties broken in some order rather than averaged
                raise CheckFailed(f"`{call}` = {got:.4f}, expected {want:.4f}: right without ties, wrong with them: tied "
                                  "values must share the average of their ranks (e.g. two values tied for ranks 2 "
                                  "and 3 both get 2.5).")
            raise CheckFailed(f"`{call}` = {got:.4f}, expected {want:.4f}.")
        return len(cases)

    return run_parts("check_spearman", fn, [
        Part("arrays without ties", lambda: run(plain)),
        Part("tied values (average ranks)", lambda: run(tied)),
    ], hidden, points)


def _similarity_reference(vectors, words, pairs, lowercase=True, skip_oov=True, rank=True, cosine=True):
    index = {w: i for i, w in enumerate(words)}
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True) if cosine else vectors
    model, human = [], []
    for a, b, score in pairs:
        if lowercase:
            a, b = a.lower(), b.lower()
        if a in index and b in index:
            model.append(float(unit[index[a]] @ unit[index[b]]))
        elif skip_oov:
            continue
        else:
            model.append(0.0)
        human.append(score)
    corr = _spearman if rank else _pearson
    return corr(np.array(model), np.array(human)), len(model)


def check_similarity_score(fn: Callable[[np.ndarray, list[str], list[tuple[str, str, float]]], Any], *,
                           hidden: bool = False, points: float | None = None) -> float | None:
    """Check ``fn(vectors, words, pairs) -> (rho, covered)``, a word-similarity benchmark.

    ``pairs`` holds (word1, word2, human_score); words are looked up lowercased, pairs with
    a word outside the vocabulary are skipped, and rho is Spearman's correlation between
    the cosine similarities and the human scores over the ``covered`` remaining pairs.
    Two parts: the pairs covered, and rho. ``hidden=True`` runs the graders' other cases;
    ``points`` grades (see :func:`run_parts`).
    """
    name = fn_name(fn, "similarity_score")
    rng = np.random.default_rng(1070 if hidden else 70)
    cases = []
    for _ in (1070, 1071) if hidden else (70, 71):
        n, d = (55, 7) if hidden else (40, 5)
        words = [f"w{k:02d}" for k in range(n)]
        vectors = rng.normal(size=(n, d)) * np.exp(rng.normal(0, 0.8, size=(n, 1)))
        vocab = words + ["zz_unknown", "qq_missing"]
        pairs = []
        for _ in range(30):
            a, b = rng.choice(len(vocab), size=2, replace=False)
            wa, wb = vocab[a], vocab[b]
            if rng.random() < 0.2:
                wa = wa.upper()
            pairs.append((wa, wb, float(np.round(rng.uniform(0, 10), 2))))
        cases.append((vectors, words, pairs))
    call = f"{name}(vectors, words, pairs)"

    def answer(k: int) -> tuple[float, Any]:
        vectors, words, pairs = cases[k]
        out = call_student(fn, name, vectors.copy(), list(words), list(pairs), call=call,
                           forbid=forbidden("check_similarity_score"))
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise CheckFailed(f"`{call}` must return two values (rho, covered), got a {type(out).__name__}.")
        return _scalar(out[0], call), out[1]

    answers = remembered(answer)

    def covered_part() -> int:
        for k, (vectors, words, pairs) in enumerate(cases):
            covered = answers(k)[1]
            want_covered = _similarity_reference(vectors, words, pairs)[1]
            if covered == want_covered:
                continue
            if covered == len(pairs):
                raise CheckFailed(f"`{call}` covers all {len(pairs)} pairs, but some contain words outside the vocabulary: skip those pairs.")
            if covered == _similarity_reference(vectors, words, pairs, lowercase=False)[1]:
                raise CheckFailed(f"`{call}` covers {covered} pairs, expected {want_covered}: the benchmark capitalises some words; look them up lowercased.")
            raise CheckFailed(f"`{call}` covers {covered!r} pairs, expected {want_covered}.")
        return len(cases)

    def rho_part() -> int:
        for k, (vectors, words, pairs) in enumerate(cases):
            rho = answers(k)[0]
            want_rho = _similarity_reference(vectors, words, pairs)[0]
            if abs(rho - want_rho) <= 1e-6:
                continue
            for kwargs, hint in (
                ({"rank": False}, "that is Pearson's correlation; benchmarks report Spearman's rank correlation."),
                ({"cosine": False}, "compare words by cosine similarity, not by the raw dot product."),
                ({"skip_oov": False}, "pairs with an unknown word must be left out, not scored as 0."),
                ({"lowercase": False}, "look the words up lowercased: the benchmark capitalises some of them."),
            ):
                if abs(rho - _similarity_reference(vectors, words, pairs, **kwargs)[0]) <= 1e-6:
                    raise CheckFailed(f"`{call}`: rho = {rho:.4f}, expected {want_rho:.4f}: {hint}")
            raise CheckFailed(f"`{call}`: rho = {rho:.4f}, expected {want_rho:.4f}.")
        return len(cases)

    return run_parts("check_similarity_score", fn, [
        Part("the pairs covered (lowercased, unknown words skipped)", covered_part),
        Part("rho (Spearman, cosine similarities)", rho_part),
    ], hidden, points)
