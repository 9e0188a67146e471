"""Self-checks for chapter 2 (the co-occurrence matrix)."""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from glove_lite.book.exercises._answers import forbidden
from glove_lite.book.exercises._base import (
    CheckFailed,
    as_array,
    call_student,
    close,
    first_matching_hint,
    fmt,
    fn_name,
    passed,
    show_docs,
)

Docs = list[np.ndarray]


def _cooc(docs: Sequence[Sequence[int]], V: int, window: int, weight: Callable[[int], float] = lambda d: 1.0 / d,
          both: bool = True, split_docs: bool = True) -> np.ndarray:
    """The contract's X and its typical variants (one direction only, other weights, one long document)."""
    X = np.zeros((V, V))
    seqs = [list(map(int, d)) for d in docs] if split_docs else [[int(t) for d in docs for t in d]]
    for ids in seqs:
        for p in range(len(ids)):
            for q in range(p + 1, min(p + window + 1, len(ids))):
                X[ids[p], ids[q]] += weight(q - p)
                if both:
                    X[ids[q], ids[p]] += weight(q - p)
    return X


def _cases(hidden: bool = False) -> list[tuple[Docs, int, int]]:
    """(documents, vocab_size, window): hand-made first, then random, smallest first.

    The hidden cases add edge cases: an empty document, a one-token document, a window
    longer than the documents, ids that never occur.
    """
    if hidden:
        cases: list[tuple[list[list[int]], int, int]] = [
            ([[1, 1, 1, 1]], 2, 2),
            ([[], [3], [0, 3, 0]], 5, 4),
            ([[2, 0, 1], [1, 2]], 6, 8),
        ]
        rng = np.random.default_rng(1002)
        sizes = ((9, 2, 3), (4, 4, 1), (15, 3, 6))
    else:
        cases = [
            ([[0, 1, 2]], 3, 1),
            ([[0, 1, 0]], 2, 2),
            ([[0, 1, 2, 3], [3, 2]], 4, 2),
            ([[2, 0, 2, 1, 1, 0, 2]], 3, 3),
        ]
        rng = np.random.default_rng(2)
        sizes = ((5, 1, 2), (6, 2, 3), (8, 3, 4), (12, 3, 2), (7, 2, 5))
    for V, n_docs, window in sizes:
        docs = [rng.integers(0, V, size=int(rng.integers(3, 25))).tolist() for _ in range(n_docs)]
        cases.append((docs, V, window))
    return [([np.array(d, dtype=np.int32) for d in docs], V, w) for docs, V, w in cases]


def _diagnose(X: np.ndarray, docs: Docs, V: int, window: int, call: str, rtol: float) -> None:
    """Raise CheckFailed with the most specific hint for a wrong matrix X."""
    want = _cooc(docs, V, window)
    example = f"`{call}` with documents={show_docs(docs)}"
    if X.shape != (V, V):
        raise CheckFailed(f"{example}: the matrix has shape {X.shape}; expected (vocab_size, vocab_size) = ({V}, {V}).")
    if not np.all(np.isfinite(X)):
        raise CheckFailed(f"{example}: the matrix has NaN or infinite entries.")
    if close(X, want, rtol=rtol):
        return
    buffered = _buffered_update_entry(X, want, docs, V, window, rtol)
    if buffered is not None:
        a, b = buffered
        raise CheckFailed(
            f"{example} and window_size={window}: X[{a}, {b}] is {fmt(X[a, b])}, expected {fmt(want[a, b])}. "
            "Entries are too small exactly where the same pair of words occurs more than once at the same "
            "distance: `X[rows, cols] += w` with index arrays adds w only once per distinct (row, col), "
            "however often it repeats (numpy buffers the update). Use np.add.at(X, (rows, cols), w), which "
            "adds every repeat."
        )
    one_way = _cooc(docs, V, window, both=False)
    diag_once = want - np.diag(np.diag(want)) / 2
    hint = first_matching_hint(X, [
        (lambda: one_way, "each pair is added only once (to X[a, b] for a before b): add it to X[b, a] too, so X is symmetric."),
        (lambda: one_way.T, "each pair is added only once (to X[b, a]): add it to X[a, b] too, so X is symmetric."),
        (lambda: _cooc(docs, V, window + 1), f"off by one in the window: you count pairs up to distance {window + 1}; a pair counts when q - p <= window_size={window}."),
        (lambda: _cooc(docs, V, window - 1), f"off by one in the window: you stop one short; pairs at distance exactly window_size={window} count too."),
        (lambda: _cooc(docs, V, window, weight=lambda d: 1.0), "every pair adds 1: you forgot the 1/d weighting (a pair d positions apart adds 1/d)."),
        (lambda: _cooc(docs, V, window, weight=lambda d: float(d)), "a pair d positions apart must add 1/d, not d."),
        (lambda: _cooc(docs, V, window, split_docs=False), "your windows cross document boundaries: count pairs inside each document separately."),
        (lambda: 2 * want, "every entry is twice too large: each pair (p, q) is counted twice (once from p and once from q?). Count each pair p < q once and add it to both X[a, b] and X[b, a]."),
        (lambda: want / 2, "every entry is half of what it should be: add each pair to both X[a, b] and X[b, a]."),
        (lambda: diag_once, "only the diagonal is wrong: a word next to itself (a at p, a at q) must add 1/d twice to X[a, a], once for each direction."),
    ], rtol=rtol)
    if hint:
        raise CheckFailed(f"{example} and window_size={window}: {hint}")
    if not close(X, X.T, rtol=rtol):
        a, b = np.unravel_index(np.argmax(np.abs(X - X.T)), X.shape)
        raise CheckFailed(
            f"{example} and window_size={window}: X is not symmetric (X[{a}, {b}] = {fmt(X[a, b])} but "
            f"X[{b}, {a}] = {fmt(X[b, a])}); add each pair to both entries."
        )
    a, b = np.unravel_index(np.argmax(np.abs(X - want)), X.shape)
    raise CheckFailed(
        f"{example} and window_size={window}: X[{a}, {b}] is {fmt(X[a, b])}, expected {fmt(want[a, b])}. "
        "Work this small example out by hand and compare."
    )


def _repeated_pairs(docs: Docs, V: int, window: int) -> np.ndarray:
    """Boolean (V, V): entries that get two or more additions at one distance d in one document.

    Those are the entries that ``X[rows, cols] += w`` (numpy's buffered fancy-index update)
    undercounts, whether the student loops over documents or not, one direction at a time or
    both in one statement.
    """
    repeated = np.zeros((V, V), dtype=bool)
    for ids in docs:
        ids = np.asarray(ids, dtype=np.int64)
        for d in range(1, min(window, max(len(ids) - 1, 0)) + 1):
            a, b = ids[:-d], ids[d:]
            keys = np.concatenate([a * V + b, b * V + a])
            uniq, n = np.unique(keys, return_counts=True)
            repeated.flat[uniq[n > 1]] = True
    return repeated


def _buffered_update_entry(X: np.ndarray, want: np.ndarray, docs: Docs, V: int, window: int,
                           rtol: float) -> tuple[int, int] | None:
    """The worst undercounted entry if X looks like a buffered ``X[rows, cols] += w`` update, else None.

    That is: X is nowhere too large, every pair that occurs is there (X > 0 where the exact
    X is), every entry that is too small is one that repeats at some distance, and X is not
    the matrix with each diagonal entry added once (another mistake, with its own hint).
    """
    tol = rtol * np.maximum(np.abs(want), 1.0)
    short = want - X > tol
    if not short.any() or np.any(X - want > tol) or np.any((want > 0) & (X <= 0)):
        return None
    if close(X, want - np.diag(np.diag(want)) / 2, rtol=rtol):
        return None
    if not np.all(_repeated_pairs(docs, V, window)[short]):
        return None
    a, b = np.unravel_index(np.argmax(np.where(short, want - X, -np.inf)), X.shape)
    return int(a), int(b)


def _drift_case() -> tuple[Docs, int, int]:
    """One long document with large counts, where float32 accumulation visibly drifts."""
    rng = np.random.default_rng(3)
    return [rng.integers(0, 3, size=40_000).astype(np.int32)], 3, 5


def _max_relative_error(X: np.ndarray, want: np.ndarray) -> float:
    nz = want != 0
    return float(np.max(np.abs(X[nz].astype(np.float64) - want[nz]) / want[nz]))


def check_cooc_window(fn: Callable[[Docs, int, int], Any], *, hidden: bool = False) -> None:
    """Check ``fn(documents, vocab_size, window_size) -> X``, the co-occurrence matrix.

    ``documents`` is a list of 1-D int arrays. X (dense or scipy sparse, (V, V)) must hold,
    for every pair of positions p < q in one document with q - p <= window_size, 1/(q - p)
    added to X[a, b] and X[b, a] (a, b the words at p and q). ``hidden=True`` runs the
    graders' other cases.
    """
    name = fn_name(fn, "cooc_window")
    cases = _cases(hidden)
    low_precision = False
    forbid = forbidden("check_cooc_window")
    for docs, V, window in cases:
        call = f"{name}(documents, {V}, {window})"
        out = call_student(fn, name, [d.copy() for d in docs], V, window, call=call, forbid=forbid)
        X = as_array(out, f"the result of `{call}`")
        if X.ndim != 2:
            raise CheckFailed(f"`{call}` returned an array of shape {X.shape}; expected a (vocab_size, vocab_size) matrix.")
        low_precision |= X.dtype in (np.float32, np.float16)
        _diagnose(X, docs, V, window, call, rtol=1e-5 if low_precision else 1e-9)
    if low_precision:
        docs, V, window = _drift_case()
        call = f"{name}(one document of {docs[0].size} tokens, {V}, {window})"
        X = as_array(call_student(fn, name, docs, V, window, call=call, forbid=forbid), f"the result of `{call}`")
        want = _cooc(docs, V, window)
        err = _max_relative_error(X, want) if X.shape == want.shape else np.inf
        if err > 1e-6:
            raise CheckFailed(
                f"`{call}` returns {X.dtype}, and at large counts its sums drift from the exact ones "
                f"(largest relative error {err:.1e}): accumulate in float64."
            )
        cases.append(_drift_case())
    passed("check_cooc_window", fn, len(cases), hidden)


def check_cooc_float32(fn: Callable[[Docs, int, int], Any], *, hidden: bool = False) -> None:
    """Check ``fn(documents, vocab_size, window_size) -> X``: the blog post's dense float32 matrix.

    X must be a dense numpy ``float32`` array equal to the co-occurrence matrix on small
    inputs, built by adding each weight to the float32 matrix in turn (so that, as in the
    post, large sums drift from the float64 ones). ``hidden=True`` runs the graders' other cases.
    """
    name = fn_name(fn, "cooc_float32")
    cases = _cases(hidden)
    forbid = forbidden("check_cooc_float32")
    for docs, V, window in cases:
        call = f"{name}(documents, {V}, {window})"
        out = call_student(fn, name, [d.copy() for d in docs], V, window, call=call, forbid=forbid)
        if not isinstance(out, np.ndarray):
            raise CheckFailed(
                f"`{call}` returned a {type(out).__name__}; this exercise rebuilds the blog post's dense numpy "
                "matrix: return a numpy array."
            )
        if out.dtype != np.float32:
            raise CheckFailed(
                f"`{call}` returned {out.dtype} values; this exercise reproduces the post's float32 matrix: "
                "create it with dtype=np.float32."
            )
        if out.ndim != 2:
            raise CheckFailed(f"`{call}` returned an array of shape {out.shape}; expected ({V}, {V}).")
        _diagnose(out, docs, V, window, call, rtol=1e-5)
    docs, V, window = _drift_case()
    call = f"{name}(one document of {docs[0].size} tokens, {V}, {window})"
    X = as_array(call_student(fn, name, docs, V, window, call=call, forbid=forbid), f"the result of `{call}`")
    want = _cooc(docs, V, window)
    _diagnose(X, docs, V, window, call, rtol=1e-2)
    if _max_relative_error(X, want) < 1e-6:
        raise CheckFailed(
            f"`{call}` matches the float64 sums rounded once to float32: your sums were computed in higher "
            "precision (np.bincount, np.sum and scipy.sparse with float64 weights all sum in float64) and "
            "converted at the end. To see the post's drift, add each weight to the float32 matrix in turn."
        )
    passed("check_cooc_float32", fn, len(cases) + 1, hidden)
