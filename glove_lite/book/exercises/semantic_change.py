"""Self-checks for chapter 7 (semantic change): Procrustes, neighbour overlap, an aligned change score."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from glove_lite.book.exercises._answers import forbidden
from glove_lite.book.exercises._base import (
    CheckFailed,
    Part,
    as_array,
    as_number,
    call_student,
    close,
    fn_name,
    remembered,
    run_parts,
)


def _unit(m: np.ndarray) -> np.ndarray:
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


def _random_rotation(rng: np.random.Generator, d: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def _rotation_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from glove_lite.align import procrustes_rotation

    return procrustes_rotation(a, b)


def _unchanged(call: str, given: list[np.ndarray], kept: list[np.ndarray], names: tuple[str, ...]) -> None:
    """CheckFailed if the student's function changed one of the caller's arrays in place."""
    for name, a, b in zip(names, given, kept):
        if not np.array_equal(a, b):
            raise CheckFailed(
                f"`{call}` changed the caller's {name} in place (`{name} /= ...` or `{name}[...] = ...`): work on a "
                f"copy (`{name} = {name} / ...` makes a new array), so the spaces you are given stay as they were."
            )


def _rotation_cases(hidden: bool) -> list[tuple[np.ndarray, np.ndarray, str]]:
    """(source, target, description). The hidden cases add what the visible ones lack: fewer words
    than dimensions, a reflection (determinant -1, still orthogonal), float32 arrays."""
    rng = np.random.default_rng(1070 if hidden else 70)
    cases = []
    shapes = ((20, 3, 0.0), (40, 5, 0.3), (12, 4, 1.0))
    for n, d, noise in shapes:
        a = rng.normal(size=(n, d))
        b = a @ _random_rotation(rng, d) + noise * rng.normal(size=(n, d))
        cases.append((a, b, "an exact rotation" if noise == 0 else "noisy"))
    if hidden:
        a = rng.normal(size=(3, 6))
        cases.append((a, a @ _random_rotation(rng, 6) + 0.1 * rng.normal(size=(3, 6)), "fewer words than dimensions"))
        a = rng.normal(size=(15, 4))
        flip = _random_rotation(rng, 4) @ np.diag([1.0, 1.0, 1.0, -1.0])
        cases.append((a, a @ flip, "a reflection"))
        a = rng.normal(size=(25, 5)).astype(np.float32)
        cases.append((a, (a @ _random_rotation(rng, 5)).astype(np.float32), "float32 arrays"))
    return cases


def check_fit_rotation(fn: Callable[[np.ndarray, np.ndarray], Any], *, hidden: bool = False,
                       points: float | None = None) -> float | None:
    """Check ``fn(source, target) -> R``: the orthogonal (d, d) matrix that minimises
    ||source @ R - target|| (orthogonal Procrustes); source and target are (n, d).

    Passing or calling the library's answer (or scipy's) is rejected. Two parts: R is
    orthogonal, and R is the best one. ``hidden=True`` runs what the visible check does
    not: fewer words than dimensions, a reflection, float32 arrays, and source and target
    left unchanged; ``points`` grades (see :func:`run_parts`)."""
    name = fn_name(fn, "my_fit_rotation")
    cases = _rotation_cases(hidden)

    def call(k: int) -> str:
        a, _, what = cases[k]
        n, d = a.shape
        return f"{name}(source, target)  (n={n}, d={d}, {what})"

    def answer(k: int) -> np.ndarray:
        a, b, _ = cases[k]
        given = [a.copy(), b.copy()]
        out = call_student(fn, name, *given, call=call(k), forbid=forbidden("check_fit_rotation"))
        if isinstance(out, tuple):
            raise CheckFailed(f"`{call(k)}` returned a tuple of {len(out)} values; return just the (d, d) matrix R.")
        r = as_array(out, f"the result of `{call(k)}`", dtype=np.float64)
        d = a.shape[1]
        if r.shape != (d, d):
            raise CheckFailed(f"`{call(k)}` returned shape {r.shape}; expected ({d}, {d}): R acts on the d dimensions, "
                              "so form the d x d matrix source.T @ target before the SVD.")
        if hidden:
            _unchanged(call(k), given, [a, b], ("source", "target"))
        return r

    answers = remembered(answer)
    tol = lambda k: 1e-4 if cases[k][0].dtype == np.float32 else 1e-6  # noqa: E731

    def orthogonal() -> int:
        for k, (a, b, _) in enumerate(cases):
            r, d = answers(k), a.shape[1]
            if not np.allclose(r.T @ r, np.eye(d), atol=tol(k)):
                lstsq = np.linalg.lstsq(a, b, rcond=None)[0]
                if close(r, lstsq, rtol=1e-6, atol=1e-8):
                    raise CheckFailed(f"`{call(k)}`: that is the least-squares linear map, which may stretch and skew the "
                                      "space; R must be orthogonal (a rotation or reflection): use the SVD.")
                raise CheckFailed(f"`{call(k)}`: R is not orthogonal (R.T @ R is not the identity); "
                                  "a rotation keeps every length and angle.")
        return len(cases)

    def best() -> int:
        for k, (a, b, _) in enumerate(cases):
            r = answers(k)
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            want = _rotation_reference(a64, b64)
            if close(r, want, rtol=tol(k), atol=tol(k) * 1e-2):
                continue
            if close(r, want.T, rtol=1e-6, atol=1e-8):
                raise CheckFailed(f"`{call(k)}`: your R is the transpose of the answer: it maps target onto source. "
                                  "With U S V^T = svd(source.T @ target), R = U @ V^T, so that source @ R ≈ target.")
            u, _, vt = np.linalg.svd(a64.T @ b64)
            if close(r, u @ vt.T, rtol=1e-6, atol=1e-8):
                raise CheckFailed(f"`{call(k)}`: np.linalg.svd returns V already transposed (U, S, Vt): R = U @ Vt.")
            if np.linalg.det(want) < 0 < np.linalg.det(r):
                raise CheckFailed(f"`{call(k)}`: the best orthogonal R here is a reflection (determinant -1), and yours "
                                  "is a rotation: orthogonal Procrustes allows both, so keep U @ Vt as it is.")
            if a.shape[0] < a.shape[1] and abs(np.linalg.norm(a64 @ r - b64) - np.linalg.norm(a64 @ want - b64)) < 1e-6:
                continue  # fewer words than dimensions: R is not unique, any R that fits as well is right
            raise CheckFailed(f"`{call(k)}`: ||source @ R - target|| = {np.linalg.norm(a64 @ r - b64):.4f}, but the best "
                              f"rotation reaches {np.linalg.norm(a64 @ want - b64):.4f}.")
        return len(cases)

    ortho = "R is orthogonal"
    return run_parts("check_fit_rotation", fn, [
        Part(ortho, orthogonal),
        Part("R fits best (orthogonal Procrustes)", best, weight=2, after=ortho),
    ], hidden, points)


def _space(rng: np.random.Generator, words: list[str], d: int) -> np.ndarray:
    """Random vectors whose lengths vary a lot, as frequent and rare words' do."""
    return rng.normal(size=(len(words), d)) * np.exp(rng.normal(0, 0.8, size=(len(words), 1)))


def _top(vectors: np.ndarray, words: list[str], word: str, k: int, among: set[str], cosine: bool = True,
         self_included: bool = False, by_row: bool = False) -> list[str]:
    index = {w: i for i, w in enumerate(words)}
    m = _unit(vectors) if cosine else vectors
    q = m[index[word]]
    cands = sorted(w for w in among if self_included or w != word)
    return sorted(cands, key=lambda w: (-float(m[index[w]] @ q), index[w] if by_row else w))[:k]


def _overlap_variants(va, wa, vb, wb, word, k) -> dict[str, float]:
    shared = set(wa) & set(wb)
    count = lambda x, y: len(set(x) & set(y))  # noqa: E731
    return {
        "reference": count(_top(va, wa, word, k, shared), _top(vb, wb, word, k, shared)),
        "unrestricted": count(_top(va, wa, word, k, set(wa)), _top(vb, wb, word, k, set(wb))),
        "dot": count(_top(va, wa, word, k, shared, cosine=False), _top(vb, wb, word, k, shared, cosine=False)),
        "self": count(_top(va, wa, word, k, shared, self_included=True),
                      _top(vb, wb, word, k, shared, self_included=True)),
        "by_order": count(_top(va, wa, word, k, shared, by_row=True), _top(vb, wb, word, k, shared, by_row=True)),
    }


def _overlap_trials(hidden: bool) -> list[tuple]:
    """(va, wa, vb, wb, word, k) for the overlap check. The hidden trials add what the visible
    ones lack: ties in similarity (identical vectors, so only the alphabetical tie-break decides),
    and k larger than the number of shared words."""
    rng = np.random.default_rng(1071 if hidden else 71)
    trials = []
    for d in (4, 6):
        words = [f"w{i:02d}" for i in range(40)]
        wa = words[:34]
        wb = [words[i] for i in rng.permutation(40) if i >= 4]  # another order; w00-w03 only in a, w34-w39 only in b
        va = _space(rng, wa, d)
        base = {w: v for w, v in zip(wa, va)}
        vb = np.array([base[w] + rng.normal(scale=0.6, size=d) if w in base else rng.normal(size=d) for w in wb])
        vb = vb * np.exp(rng.normal(0, 0.8, size=(len(wb), 1)))
        for word, k in (("w10", 5), ("w21", 8), ("w30", 3)):
            trials.append((va, wa, vb, wb, word, k))
    if hidden:
        words = [f"t{i:02d}" for i in range(12)]
        va = _space(rng, words, 3)
        va[[4, 5, 6, 7]] = va[3] + 0.05  # t04-t07 share one direction: tied similarities, in both spaces
        wb = list(reversed(words))
        vb = np.array([va[words.index(w)] for w in wb]) * 2.0
        trials.append((va, words, vb, wb, "t03", 2))
        trials.append((va, words, vb, wb, "t00", 30))  # k beyond the 11 other words
    return trials


def check_shared_neighbours(fn: Callable[..., Any], *, hidden: bool = False, points: float | None = None) -> float | None:
    """Check ``fn(vectors_a, words_a, vectors_b, words_b, word, k) -> int``: how many of
    ``word``'s k nearest neighbours (cosine) two spaces share, neighbours searched among the
    words both spaces have, ``word`` itself left out, ties broken alphabetically.

    A mistake is named by the typical wrong answer that gives the student's count on every
    trial (one count alone often fits several). ``hidden=True`` runs what the visible
    check does not: tied similarities and k beyond the shared words; ``points`` grades (see
    :func:`run_parts`)."""
    name = fn_name(fn, "my_shared_neighbours")
    trials = _overlap_trials(hidden)

    def call(n: int) -> str:
        word, k = trials[n][4], trials[n][5]
        return f"{name}(vectors_a, words_a, vectors_b, words_b, {word!r}, k={k})"

    def answer(n: int) -> float:
        va, wa, vb, wb, word, k = trials[n]
        out = call_student(fn, name, va.copy(), list(wa), vb.copy(), list(wb), word, k, call=call(n),
                           forbid=forbidden("check_shared_neighbours"))
        return as_number(out, f"the result of `{call(n)}` (the count)")

    def counts() -> int:
        got = [answer(n) for n in range(len(trials))]
        variants = [_overlap_variants(*t) for t in trials]
        wrong = [n for n, (g, v) in enumerate(zip(got, variants)) if g != v["reference"]]
        if not wrong:
            return len(trials)
        n = wrong[0]
        k, want = trials[n][5], variants[n]["reference"]
        if all(v["reference"] == 0 or abs(g - v["reference"] / t[5]) < 1e-9 for g, v, t in zip(got, variants, trials)):
            raise CheckFailed(f"`{call(n)}` = {got[n]:g}: that is the share; return the number of shared neighbours ({want}).")
        for key, hint in (
            ("dot", "rank neighbours by cosine similarity (unit vectors), not the raw dot product."),
            ("self", "leave the word itself out of its neighbours: it is always its own nearest one."),
            ("unrestricted", "search only among the words both spaces have: a neighbour that one era lacks "
                             "can never be shared, so it only makes the count smaller."),
            ("by_order", "break ties between equal similarities alphabetically, not by the order of the rows "
                         "(which differs between the spaces)."),
        ):
            if all(g == v.get(key, v["reference"]) for g, v in zip(got, variants)):
                raise CheckFailed(f"`{call(n)}` = {got[n]:g}, expected {want}: {hint}")
        raise CheckFailed(f"`{call(n)}` = {got[n]:g}, expected {want}. Are the words of each space matched by name? "
                          "words_b is in another order than words_a.")

    return run_parts("check_shared_neighbours", fn, [Part("the number of shared neighbours", counts)], hidden, points)


def _change_variants(va, wa, vb, wb, word) -> dict[str, float]:
    ia, ib = {w: i for i, w in enumerate(wa)}, {w: i for i, w in enumerate(wb)}
    shared = [w for w in wa if w in ib]
    a, b = va[[ia[w] for w in shared]], vb[[ib[w] for w in shared]]

    def distance(x, y):
        return float(1 - x @ y / np.linalg.norm(x) / np.linalg.norm(y))

    r = _rotation_reference(_unit(b), _unit(a))
    r_raw = _rotation_reference(b, a)
    n = min(len(wa), len(wb))
    r_pos = _rotation_reference(_unit(vb[:n]), _unit(va[:n]))
    return {
        "reference": distance(va[ia[word]], vb[ib[word]] @ r),
        "unaligned": distance(va[ia[word]], vb[ib[word]]),
        "raw_fit": distance(va[ia[word]], vb[ib[word]] @ r_raw),
        "by_position": distance(va[ia[word]], vb[ib[word]] @ r_pos),
    }


def _change_trials(hidden: bool) -> list[tuple]:
    """(va, wa, vb, wb, word). The hidden trials add what the visible ones lack: float32
    spaces, a space b whose vectors are all ten times longer (a change score must not
    notice), and arrays that must come back unchanged."""
    rng = np.random.default_rng(1072 if hidden else 72)
    trials = []
    for d in (5, 8):
        words = [f"w{i:02d}" for i in range(50)]
        wa = words[:45]
        wb = [words[i] for i in rng.permutation(50) if i >= 3]
        va = _space(rng, wa, d)
        q = _random_rotation(rng, d)
        base = {w: v for w, v in zip(wa, va)}
        rows = []
        for w in wb:
            if w not in base:
                rows.append(rng.normal(size=d))
            elif w in ("w05", "w06", "w07", "w08"):  # words that really changed; long vectors, so they sway a raw fit
                rows.append(8.0 * rng.normal(size=d))
            else:
                rows.append(base[w] @ q + 0.15 * np.linalg.norm(base[w]) * rng.normal(size=d))
        vb = np.array(rows)
        if hidden and d == 8:
            va, vb = va.astype(np.float32), (10.0 * vb).astype(np.float32)
        for word in ("w05", "w20", "w33"):
            trials.append((va, wa, vb, wb, word))
    return trials


def check_word_change(fn: Callable[..., Any], *, hidden: bool = False, points: float | None = None) -> float | None:
    """Check ``fn(vectors_a, words_a, vectors_b, words_b, word) -> float``: the cosine distance
    between ``word``'s vector in space a and in space b rotated onto a by orthogonal
    Procrustes, fitted on the length-normalised vectors of the words both spaces share.

    ``hidden=True`` runs what the visible check does not: float32 spaces, a space whose
    vectors are all longer, and the caller's arrays left unchanged; ``points`` grades (see
    :func:`run_parts`)."""
    name = fn_name(fn, "my_word_change")
    trials = _change_trials(hidden)

    def scores() -> int:
        for va, wa, vb, wb, word in trials:
            call = f"{name}(vectors_a, words_a, vectors_b, words_b, {word!r})"
            given = [va.copy(), vb.copy()]
            out = call_student(fn, name, given[0], list(wa), given[1], list(wb), word, call=call,
                               forbid=forbidden("check_word_change"))
            got = as_number(out, f"the result of `{call}`")
            if hidden:
                _unchanged(call, given, [va, vb], ("vectors_a", "vectors_b"))
            v = _change_variants(va.astype(np.float64), wa, vb.astype(np.float64), wb, word)
            tol = 1e-4 if va.dtype == np.float32 else 1e-6
            if abs(got - v["reference"]) <= tol:
                continue
            if abs(got - (1 - v["reference"])) <= tol:
                raise CheckFailed(f"`{call}` = {got:.4f}: that is the cosine similarity; the change score is the "
                                  f"distance, 1 - cos ({v['reference']:.4f}).")
            for key, hint in (
                ("unaligned", "the vectors were compared without aligning the spaces. Each training run's space "
                              "is arbitrary up to a rotation, so an unaligned cosine says nothing about change: "
                              "rotate b onto a first."),
                ("raw_fit", "normalise the vectors to length 1 before fitting the rotation, so that every shared "
                            "word counts once, however long its vector."),
                ("by_position", "match the shared words by name, not by row: words_b is in another order and "
                                "has words that words_a lacks."),
            ):
                if abs(got - v[key]) <= tol:
                    raise CheckFailed(f"`{call}` = {got:.4f}, expected {v['reference']:.4f}: {hint}")
            raise CheckFailed(f"`{call}` = {got:.4f}, expected {v['reference']:.4f}.")
        return len(trials)

    return run_parts("check_word_change", fn, [Part("the aligned change score", scores)], hidden, points)
