"""Self-checks for chapter 7 (semantic change): Procrustes, neighbour overlap, an aligned change score."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from glove_lite.book.exercises._answers import forbidden
from glove_lite.book.exercises._base import CheckFailed, as_array, call_student, close, fn_name, passed


def _unit(m: np.ndarray) -> np.ndarray:
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


def _random_rotation(rng: np.random.Generator, d: int) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(d, d)))
    return q * np.sign(np.diag(r))


def _rotation_reference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    from glove_lite.align import procrustes_rotation

    return procrustes_rotation(a, b)


def check_fit_rotation(fn: Callable[[np.ndarray, np.ndarray], Any], *, hidden: bool = False) -> None:
    """Check ``fn(source, target) -> R``: the orthogonal (d, d) matrix that minimises
    ||source @ R - target|| (orthogonal Procrustes); source and target are (n, d).
    Passing or calling the library's answer (or scipy's) is rejected. ``hidden=True`` runs other cases."""
    name = fn_name(fn, "my_fit_rotation")
    rng = np.random.default_rng(1070 if hidden else 70)
    cases = []
    for n, d, noise in ((20, 3, 0.0), (40, 5, 0.3), (12, 4, 1.0)):
        a = rng.normal(size=(n, d))
        b = a @ _random_rotation(rng, d) + noise * rng.normal(size=(n, d))
        cases.append((a, b, noise))
    for a, b, noise in cases:
        n, d = a.shape
        call = f"{name}(source, target)  (n={n}, d={d}, {'an exact rotation' if noise == 0 else 'noisy'})"
        out = call_student(fn, name, a.copy(), b.copy(), call=call, forbid=forbidden("check_fit_rotation"))
        if isinstance(out, tuple):
            raise CheckFailed(f"`{call}` returned a tuple of {len(out)} values; return just the (d, d) matrix R.")
        r = as_array(out, f"the result of `{call}`", dtype=np.float64)
        want = _rotation_reference(a, b)
        if r.shape != (d, d):
            raise CheckFailed(f"`{call}` returned shape {r.shape}; expected ({d}, {d}): R acts on the d dimensions, "
                              "so form the d x d matrix source.T @ target before the SVD.")
        if close(r, want, rtol=1e-6, atol=1e-8):
            continue
        if close(r, want.T, rtol=1e-6, atol=1e-8):
            raise CheckFailed(f"`{call}`: your R is the transpose of the answer: it maps target onto source. "
                              "With U S V^T = svd(source.T @ target), R = U @ V^T, so that source @ R ≈ target.")
        if not np.allclose(r.T @ r, np.eye(d), atol=1e-6):
            lstsq = np.linalg.lstsq(a, b, rcond=None)[0]
            if close(r, lstsq, rtol=1e-6, atol=1e-8):
                raise CheckFailed(f"`{call}`: that is the least-squares linear map, which may stretch and skew the "
                                  "space; R must be orthogonal (a rotation or reflection): use the SVD.")
            raise CheckFailed(f"`{call}`: R is not orthogonal (R.T @ R is not the identity); "
                              "a rotation keeps every length and angle.")
        u, _, vt = np.linalg.svd(a.T @ b)
        if close(r, u @ vt.T, rtol=1e-6, atol=1e-8):
            raise CheckFailed(f"`{call}`: np.linalg.svd returns V already transposed (U, S, Vt): R = U @ Vt.")
        raise CheckFailed(f"`{call}`: ||source @ R - target|| = {np.linalg.norm(a @ r - b):.4f}, but the best "
                          f"rotation reaches {np.linalg.norm(a @ want - b):.4f}.")
    passed("check_fit_rotation", fn, len(cases), hidden=hidden)


def _space(rng: np.random.Generator, words: list[str], d: int) -> np.ndarray:
    """Random vectors whose lengths vary a lot, as frequent and rare words' do."""
    return rng.normal(size=(len(words), d)) * np.exp(rng.normal(0, 0.8, size=(len(words), 1)))


def _top(vectors: np.ndarray, words: list[str], word: str, k: int, among: set[str], cosine: bool = True,
         self_included: bool = False) -> list[str]:
    index = {w: i for i, w in enumerate(words)}
    m = _unit(vectors) if cosine else vectors
    q = m[index[word]]
    cands = sorted(w for w in among if self_included or w != word)
    return sorted(cands, key=lambda w: (-float(m[index[w]] @ q), w))[:k]


def _overlap_variants(va, wa, vb, wb, word, k) -> dict[str, float]:
    shared = set(wa) & set(wb)
    count = lambda x, y: len(set(x) & set(y))  # noqa: E731
    return {
        "reference": count(_top(va, wa, word, k, shared), _top(vb, wb, word, k, shared)),
        "unrestricted": count(_top(va, wa, word, k, set(wa)), _top(vb, wb, word, k, set(wb))),
        "dot": count(_top(va, wa, word, k, shared, cosine=False), _top(vb, wb, word, k, shared, cosine=False)),
        "self": count(_top(va, wa, word, k, shared, self_included=True),
                      _top(vb, wb, word, k, shared, self_included=True)),
    }


def check_shared_neighbours(fn: Callable[..., Any], *, hidden: bool = False) -> None:
    """Check ``fn(vectors_a, words_a, vectors_b, words_b, word, k) -> int``: how many of
    ``word``'s k nearest neighbours (cosine) two spaces share, neighbours searched among the
    words both spaces have, ``word`` itself left out."""
    name = fn_name(fn, "my_shared_neighbours")
    rng = np.random.default_rng(1071 if hidden else 71)
    trials = 0
    for d in (4, 6):
        words = [f"w{i:02d}" for i in range(40)]
        wa = words[:34]
        wb = [words[i] for i in rng.permutation(40) if i >= 4]  # another order; w00-w03 only in a, w34-w39 only in b
        va = _space(rng, wa, d)
        base = {w: v for w, v in zip(wa, va)}
        vb = np.array([base[w] + rng.normal(scale=0.6, size=d) if w in base else rng.normal(size=d) for w in wb])
        vb = vb * np.exp(rng.normal(0, 0.8, size=(len(wb), 1)))
        for word, k in (("w10", 5), ("w21", 8), ("w30", 3)):
            trials += 1
            call = f"{name}(vectors_a, words_a, vectors_b, words_b, {word!r}, k={k})"
            out = call_student(fn, name, va.copy(), list(wa), vb.copy(), list(wb), word, k, call=call,
                               forbid=forbidden("check_shared_neighbours"))
            try:
                got = float(np.asarray(out).reshape(()))
            except Exception:
                raise CheckFailed(f"`{call}` returned a {type(out).__name__}; "
                                  "expected one number, the count.") from None
            v = _overlap_variants(va, wa, vb, wb, word, k)
            if got == v["reference"]:
                continue
            if v["reference"] and abs(got - v["reference"] / k) < 1e-9:
                raise CheckFailed(f"`{call}` = {got:g}: that is the share; return the number of shared neighbours "
                                  f"({v['reference']}).")
            for key, hint in (
                ("self", "leave the word itself out of its neighbours: it is always its own nearest one."),
                ("unrestricted", "search only among the words both spaces have: a neighbour that one era lacks "
                                 "can never be shared, so it only makes the count smaller."),
                ("dot", "rank neighbours by cosine similarity (unit vectors), not the raw dot product."),
            ):
                if got == v[key] != v["reference"]:
                    raise CheckFailed(f"`{call}` = {got:g}, expected {v['reference']}: {hint}")
            raise CheckFailed(f"`{call}` = {got:g}, expected {v['reference']}. Are the words of each space matched "
                              "by name? words_b is in another order than words_a.")
    passed("check_shared_neighbours", fn, trials, hidden=hidden)


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


def check_word_change(fn: Callable[..., Any], *, hidden: bool = False) -> None:
    """Check ``fn(vectors_a, words_a, vectors_b, words_b, word) -> float``: the cosine distance
    between ``word``'s vector in space a and in space b rotated onto a by orthogonal
    Procrustes, fitted on the length-normalised vectors of the words both spaces share."""
    name = fn_name(fn, "my_word_change")
    rng = np.random.default_rng(1072 if hidden else 72)
    trials = 0
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
        for word in ("w05", "w20", "w33"):
            trials += 1
            call = f"{name}(vectors_a, words_a, vectors_b, words_b, {word!r})"
            out = call_student(fn, name, va.copy(), list(wa), vb.copy(), list(wb), word, call=call,
                               forbid=forbidden("check_word_change"))
            try:
                got = float(np.asarray(out).reshape(()))
            except Exception:
                raise CheckFailed(f"`{call}` returned a {type(out).__name__}; expected one number.") from None
            v = _change_variants(va, wa, vb, wb, word)
            if abs(got - v["reference"]) <= 1e-6:
                continue
            if abs(got - (1 - v["reference"])) <= 1e-6:
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
                if abs(got - v[key]) <= 1e-6:
                    raise CheckFailed(f"`{call}` = {got:.4f}, expected {v['reference']:.4f}: {hint}")
            raise CheckFailed(f"`{call}` = {got:.4f}, expected {v['reference']:.4f}.")
    passed("check_word_change", fn, trials, hidden=hidden)
