"""Self-checks for chapter 2 (the co-occurrence matrix): its total weight, the matrix, the float32 pitfall."""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

import numpy as np

from glove_lite.book.exercises._answers import forbidden
from glove_lite.book.exercises._base import (
    CheckFailed,
    Part,
    TooSlow,
    as_array,
    as_number,
    call_student,
    close,
    first_matching_hint,
    fmt,
    fn_name,
    run_parts,
    seconds_of,
    show_docs,
    time_limit,
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


_BUFFERED = (
    "Entries are too small exactly where the same pair of words occurs more than once at the same "
    "distance: `X[rows, cols] += w` with index arrays adds w only once per distinct (row, col), "
    "however often it repeats (numpy buffers the update). Use np.add.at(X, (rows, cols), w), which "
    "adds every repeat."
)


def _mistakes(window: int) -> list[tuple[str, str]]:
    """The typical mistakes, (name, hint), in the order they are tried."""
    return [
        ("one_way", "each pair is added only once (to X[a, b] for a before b): add it to X[b, a] too, so X is symmetric."),
        ("one_way_T", "each pair is added only once (to X[b, a]): add it to X[a, b] too, so X is symmetric."),
        ("plus_one", f"off by one in the window: you count pairs up to distance {window + 1}; a pair counts when q - p <= window_size={window}."),
        ("minus_one", f"off by one in the window: you stop one short; pairs at distance exactly window_size={window} count too."),
        ("unweighted", "every pair adds 1: you forgot the 1/d weighting (a pair d positions apart adds 1/d)."),
        ("weight_d", "a pair d positions apart must add 1/d, not d."),
        ("weight_d1", "a pair d positions apart must add 1/d, not 1/(d + 1): the nearest neighbours (d = 1) add 1."),
        ("crosses", "your windows cross document boundaries: count pairs inside each document separately."),
        ("twice", "every entry is twice too large: each pair (p, q) is counted twice (once from p and once from q?). Count each pair p < q once and add it to both X[a, b] and X[b, a]."),
        ("half", "every entry is half of what it should be: add each pair to both X[a, b] and X[b, a]."),
        ("diag_once", "only the diagonal is wrong: a word next to itself (a at p, a at q) must add 1/d twice to X[a, a], once for each direction."),
        ("buffered", _BUFFERED),
    ]


def _explains(mistake: str, X: np.ndarray, docs: Docs, V: int, window: int, want: np.ndarray, rtol: float) -> bool:
    """Whether ``mistake`` gives exactly ``X`` on this case (for "buffered": whether X has its pattern)."""
    if mistake == "buffered":
        return _buffered_update_entry(X, want, docs, V, window, rtol) is not None
    make = {
        "one_way": lambda: _cooc(docs, V, window, both=False),
        "one_way_T": lambda: _cooc(docs, V, window, both=False).T,
        "plus_one": lambda: _cooc(docs, V, window + 1),
        "minus_one": lambda: _cooc(docs, V, window - 1),
        "unweighted": lambda: _cooc(docs, V, window, weight=lambda d: 1.0),
        "weight_d": lambda: _cooc(docs, V, window, weight=lambda d: float(d)),
        "weight_d1": lambda: _cooc(docs, V, window, weight=lambda d: 1.0 / (d + 1)),
        "crosses": lambda: _cooc(docs, V, window, split_docs=False),
        "twice": lambda: 2 * want,
        "half": lambda: want / 2,
        "diag_once": lambda: want - np.diag(np.diag(want)) / 2,
    }[mistake]
    return first_matching_hint(X, [(make, mistake)], rtol=rtol) is not None


def _diagnose(results: list[tuple[np.ndarray, Docs, int, int, str]], rtol: float) -> None:
    """Raise CheckFailed with the most specific hint for the wrong matrices among ``results``.

    ``results`` holds (X, documents, V, window, call) for each case. A typical mistake is
    named only when it explains every case that came out wrong: one small case alone often
    fits two mistakes (one direction only and a buffered update give the same matrix on
    [[0, 1, 0]]), all of them together rarely do.
    """
    wrong = []
    for X, docs, V, window, call in results:
        want = _cooc(docs, V, window)
        example = f"`{call}` with documents={show_docs(docs)}"
        if X.shape != (V, V):
            raise CheckFailed(f"{example}: the matrix has shape {X.shape}; expected (vocab_size, vocab_size) = ({V}, {V}).")
        if not np.all(np.isfinite(X)):
            raise CheckFailed(f"{example}: the matrix has NaN or infinite entries.")
        if not close(X, want, rtol=rtol):
            wrong.append((X, docs, V, window, f"{example} and window_size={window}", want))
    if not wrong:
        return
    X, docs, V, window, where, want = wrong[0]
    for mistake, hint in _mistakes(window):
        if all(_explains(mistake, *case[:4], case[5], rtol) for case in wrong):
            if mistake == "buffered":  # name the entry that shows it
                a, b = _buffered_update_entry(X, want, docs, V, window, rtol)
                hint = f"X[{a}, {b}] is {fmt(X[a, b])}, expected {fmt(want[a, b])}. {hint}"
            raise CheckFailed(f"{where}: {hint}")
    if not close(X, X.T, rtol=rtol):
        a, b = np.unravel_index(np.argmax(np.abs(X - X.T)), X.shape)
        raise CheckFailed(
            f"{where}: X is not symmetric (X[{a}, {b}] = {fmt(X[a, b])} but "
            f"X[{b}, {a}] = {fmt(X[b, a])}); add each pair to both entries."
        )
    a, b = np.unravel_index(np.argmax(np.abs(X - want)), X.shape)
    raise CheckFailed(
        f"{where}: X[{a}, {b}] is {fmt(X[a, b])}, expected {fmt(want[a, b])}. "
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


#: errors typical of the window exercises: the student's line and the exception -> hint
_ZERO_DISTANCE = (
    "the distances start at 1: with d = 0, `ids[:-d]` is `ids[:0]`, an empty array (not the whole one), "
    "and 1/d divides by zero. Loop over d in range(1, window_size + 1)."
)
COOC_ERROR_HINTS = (
    (lambda exc, line: ":-" in line and any(t in str(exc) for t in ("broadcast", "shape mismatch", "same shape")),
     _ZERO_DISTANCE),
    (lambda exc, line: isinstance(exc, ZeroDivisionError), _ZERO_DISTANCE),
)


def _small_cases_part(check: str, fn: Callable, name: str, cases: list, check_drift: bool = True) -> int:
    """Run ``fn`` on the small cases and diagnose (a float32 answer also on one long document); returns the number of cases."""
    forbid = forbidden(check)
    results = []
    for docs, V, window in cases:
        call = f"{name}(documents, {V}, {window})"
        out = call_student(fn, name, [d.copy() for d in docs], V, window, call=call, forbid=forbid,
                           error_hints=COOC_ERROR_HINTS)
        X = as_array(out, f"the result of `{call}`")
        if X.ndim != 2:
            raise CheckFailed(f"`{call}` returned an array of shape {X.shape}; expected a (vocab_size, vocab_size) matrix.")
        results.append((X, docs, V, window, call))
    low_precision = any(X.dtype in (np.float32, np.float16) for X, *_ in results)
    _diagnose(results, rtol=1e-5 if low_precision else 1e-9)
    if low_precision and check_drift:
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
        return len(cases) + 1
    return len(cases)


def _cooc_by_distance(docs: Docs, V: int, window: int) -> np.ndarray:
    """The exercise's own method (one np.add.at per distance and direction): the yardstick of the speed test."""
    X = np.zeros((V, V))
    for ids in docs:
        for d in range(1, window + 1):
            np.add.at(X, (ids[:-d], ids[d:]), 1.0 / d)
            np.add.at(X, (ids[d:], ids[:-d]), 1.0 / d)
    return X


def _speed_case(hidden: bool) -> tuple[Docs, int, int]:
    """About 100,000 tokens: a loop over the tokens takes 10 to 20 times as long as one over the distances."""
    rng = np.random.default_rng(1090 if hidden else 90)
    lengths, V, window = ((40_000, 30_000, 25_000, 15_000), 400, 8) if hidden else ((50_000, 30_000, 20_000), 300, 10)
    return [rng.integers(0, V, size=n).astype(np.int32) for n in lengths], V, window


#: a window function may take this many times as long as one np.add.at per distance and direction
SPEED_FACTOR = 4.0


def _speed_part(fn: Callable, name: str, hidden: bool) -> int:
    """Time ``fn`` on about 100,000 tokens against the method the exercise asks for."""
    docs, V, window = _speed_case(hidden)
    tokens = sum(d.size for d in docs)
    reference = seconds_of(lambda: _cooc_by_distance(docs, V, window), repeat=2)
    budget = SPEED_FACTOR * reference + 0.1
    call = f"{name}(documents of {tokens:,} tokens, {V}, {window})"
    elapsed = np.inf
    for _ in range(2):  # a second chance, in case something else held the CPU
        start = time.perf_counter()
        try:
            with time_limit(budget):
                out = call_student(fn, name, [d.copy() for d in docs], V, window, call=call)
        except TooSlow:
            continue
        elapsed = time.perf_counter() - start
        if elapsed <= budget:
            break
    if elapsed > budget:
        took = f"more than {budget:.2f} s" if not np.isfinite(elapsed) else f"{elapsed:.2f} s"
        raise CheckFailed(
            f"`{call}` took {took}; adding with np.add.at once per distance takes {reference:.2f} s here. "
            f"Loop over the {window} distances d (whole arrays `ids[:-d]` against `ids[d:]`), not over the "
            "tokens: a Python loop runs once per token, millions of times on the whole corpus."
        )
    X = as_array(out, f"the result of `{call}`")
    want = _cooc_by_distance(docs, V, window)
    if X.shape != want.shape or not close(X, want, rtol=1e-5):
        raise CheckFailed(f"`{call}` is fast but its matrix is wrong on this larger input (it was right on the small ones).")
    return 1


def check_cooc_window(fn: Callable[[Docs, int, int], Any], *, hidden: bool = False,
                      points: float | None = None) -> float | None:
    """Check ``fn(documents, vocab_size, window_size) -> X``, the co-occurrence matrix.

    ``documents`` is a list of 1-D int arrays. X (dense or scipy sparse, (V, V)) must hold,
    for every pair of positions p < q in one document with q - p <= window_size, 1/(q - p)
    added to X[a, b] and X[b, a] (a, b the words at p and q). Two parts: the matrix (on
    small documents, and exact at large counts), and the speed the exercise asks for (about
    100,000 tokens in at most :data:`SPEED_FACTOR` times the time of a loop over the
    distances). ``hidden=True`` runs the graders' other cases; ``points`` grades (see
    :func:`run_parts`).
    """
    name = fn_name(fn, "cooc_window")
    cases = _cases(hidden)
    matrix = "the matrix (symmetric, 1/d, windows inside documents)"
    return run_parts("check_cooc_window", fn, [
        Part(matrix, lambda: _small_cases_part("check_cooc_window", fn, name, cases), weight=3),
        Part("fast enough (a loop over the distances, not the tokens)", lambda: _speed_part(fn, name, hidden), after=matrix),
    ], hidden, points)


def check_cooc_float32(fn: Callable[[Docs, int, int], Any], *, hidden: bool = False,
                       points: float | None = None) -> float | None:
    """Check ``fn(documents, vocab_size, window_size) -> X``: the blog post's dense float32 matrix.

    Two parts: X is a dense numpy ``float32`` array equal to the co-occurrence matrix on
    small inputs; and it was built by adding each weight to the float32 matrix in turn (so
    that, as in the post, large sums drift from the float64 ones). ``hidden=True`` runs the
    graders' other cases; ``points`` grades (see :func:`run_parts`).
    """
    name = fn_name(fn, "cooc_float32")
    cases = _cases(hidden)
    forbid = forbidden("check_cooc_float32")

    def dense_float32() -> int:
        results = []
        for docs, V, window in cases:
            call = f"{name}(documents, {V}, {window})"
            out = call_student(fn, name, [d.copy() for d in docs], V, window, call=call, forbid=forbid,
                               error_hints=COOC_ERROR_HINTS)
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
            results.append((out, docs, V, window, call))
        _diagnose(results, rtol=1e-5)
        return len(cases)

    def drift() -> int:
        docs, V, window = _drift_case()
        call = f"{name}(one document of {docs[0].size} tokens, {V}, {window})"
        X = as_array(call_student(fn, name, docs, V, window, call=call, forbid=forbid), f"the result of `{call}`")
        want = _cooc(docs, V, window)
        _diagnose([(X, docs, V, window, call)], rtol=1e-2)
        if _max_relative_error(X, want) < 1e-6:
            raise CheckFailed(
                f"`{call}` matches the float64 sums rounded once to float32: your sums were computed in higher "
                "precision (np.bincount, np.sum and scipy.sparse with float64 weights all sum in float64) and "
                "converted at the end. To see the post's drift, add each weight to the float32 matrix in turn."
            )
        return 1

    values = "a dense float32 matrix with the right values"
    return run_parts("check_cooc_float32", fn, [
        Part(values, dense_float32),
        Part("the post's drift (each weight added to the float32 matrix in turn)", drift, after=values),
    ], hidden, points)


# --------------------------------------------------------------------------- the total weight (exercise 5)


def _total(lengths: Sequence[int], window: int, both: bool = True, pairs: str = "n - d", weight: bool = True,
           cap: bool = True) -> float:
    """X.sum() from document lengths, and its typical variants."""
    total = 0.0
    for n in lengths:
        n = int(n)
        top = min(window, n - 1) if cap else window
        for d in range(1, top + 1):
            count = n - d if pairs == "n - d" else n
            total += (2 if both else 1) * count * (1.0 / d if weight else 1.0)
    return total


def _length_cases(hidden: bool, short: bool) -> list[tuple[list[int], int]]:
    """(lengths, window): documents longer than the window, or ones shorter than it (and empty ones)."""
    rng = np.random.default_rng(1095 if hidden else 95)
    if short:
        cases = [([3, 1, 0, 12], 5), ([2], 10), ([7, 4, 9], 8)] if hidden else [([4, 2], 5), ([1, 0, 6], 3), ([5, 30], 10)]
        cases.append(([int(n) for n in rng.integers(0, 12, size=20)], 10))
    else:
        cases = [([40, 25], 10), ([100], 3), ([15, 15, 15], 1)] if hidden else [([20], 2), ([50, 30], 10), ([12, 11], 5)]
        cases.append(([int(n) for n in rng.integers(30, 5000, size=25)], 10))
    return cases


def check_total_weight(fn: Callable[[Sequence[int], int], Any], *, hidden: bool = False,
                       points: float | None = None) -> float | None:
    """Check ``fn(lengths, window_size) -> total``: X.sum() from the documents' lengths alone.

    A document of n tokens has n - d pairs at distance d (none when d >= n); each adds 1/d
    to X[a, b] and to X[b, a]. Two parts: documents longer than the window, and documents
    shorter than it. ``hidden=True`` runs the graders' other cases (the lengths come as a
    numpy array there); ``points`` grades (see :func:`run_parts`).
    """
    name = fn_name(fn, "total_weight")
    forbid = forbidden("check_total_weight")

    def run(short: bool) -> int:
        cases = _length_cases(hidden, short)
        for lengths, window in cases:
            shown = fmt(np.array(lengths)) if len(lengths) <= 6 else f"<{len(lengths)} lengths>"
            call = f"{name}({shown}, {window})"
            arg = np.array(lengths, dtype=np.int64) if hidden else list(lengths)
            got = as_number(call_student(fn, name, arg, window, call=call, forbid=forbid), f"the result of `{call}`")
            want = _total(lengths, window)
            if abs(got - want) <= 1e-9 * max(1.0, abs(want)):
                continue
            hint = first_matching_hint(np.float64(got), [
                (lambda: _total(lengths, window, both=False), "each pair adds 1/d to X[a, b] and again to X[b, a]: count it twice."),
                (lambda: _total(lengths, window, pairs="n"), "a document of n tokens has n - d pairs at distance d, not n."),
                (lambda: _total(lengths, window, weight=False), "each pair at distance d weighs 1/d, not 1."),
                (lambda: _total(lengths, window + 1), f"off by one: distances go from 1 to window_size={window}, not {window + 1}."),
                (lambda: _total(lengths, window - 1), f"off by one: pairs at distance exactly window_size={window} count too."),
                (lambda: _total(lengths, window, cap=False),
                 "a document shorter than the window has no pairs at distance n or more, but n - d went negative: "
                 "stop at d = min(window_size, n - 1)."),
            ], rtol=1e-9)
            raise CheckFailed(f"`{call}` = {got:,.4f}, expected {want:,.4f}" + (f": {hint}" if hint else "."))
        return len(cases)

    return run_parts("check_total_weight", fn, [
        Part("documents longer than the window", lambda: run(False)),
        Part("documents shorter than the window", lambda: run(True)),
    ], hidden, points)
