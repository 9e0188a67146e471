"""Self-checks for chapter 8 (beyond one laptop): a sparse AdaGrad step, a DSGD schedule."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from glove_lite.book.exercises._answers import forbidden
from glove_lite.book.exercises._base import (
    CheckFailed,
    Part,
    as_array,
    call_student,
    close,
    first_matching_hint,
    fn_name,
    remembered,
    run_parts,
)


def _summed(rows: np.ndarray, grads: np.ndarray, V: int) -> np.ndarray:
    """The dense gradient (V, d): each row's pieces added up (repeated rows included)."""
    g = np.zeros((V, grads.shape[1]))
    np.add.at(g, rows, grads)
    return g


def _sparse_adagrad(W, accum, rows, grads, lr, mode: str = "exact"):
    """AdaGrad on the rows a batch touches, and the typical mistakes (``mode``).

    "exact": sum each row's pieces, then one dense AdaGrad step (untouched rows get a zero
    gradient and stay put); "last": a fancy-index update, where a repeated row keeps one
    piece; "sequential": one step per piece; "squares": the sum of the squared pieces
    added to accum instead of the square of their sum; "before": divided by the old sum.
    """
    W, accum = W.copy(), accum.copy()
    if mode == "sequential":
        for r, g in zip(rows, grads):
            accum[r] += g * g
            W[r] -= lr * g / np.sqrt(accum[r])
        return W, accum
    if mode == "last":
        accum[rows] += grads * grads
        W[rows] -= lr * grads / np.sqrt(accum[rows])
        return W, accum
    g = _summed(rows, grads, W.shape[0])
    if mode == "squares":
        sq = _summed(rows, grads * grads, W.shape[0])
        return W - lr * g / np.sqrt(accum + sq), accum + sq
    new_accum = accum + g * g
    return W - lr * g / np.sqrt(accum if mode == "before" else new_accum), new_accum


def _sparse_cases(hidden: bool) -> list[tuple]:
    rng = np.random.default_rng(1080 if hidden else 80)
    cases = []
    for V, d, rows in (((9, 3, [4, 1, 4, 7]), (12, 2, [0, 11, 5, 5, 5, 2]), (6, 4, [3, 0])) if hidden else
                       ((8, 3, [2, 5, 2, 6]), (10, 4, [1, 7, 3, 7, 7, 0]), (5, 2, [4, 0]))):
        W = rng.normal(0, 0.5, (V, d))
        accum = rng.uniform(1.0, 4.0, (V, d))
        rows = np.array(rows, np.int64)
        grads = rng.normal(0, 1.5, (rows.size, d))
        cases.append((W, accum, rows, grads, float(rng.choice([0.05, 0.2, 0.5]))))
    return cases


def check_sparse_adagrad_step(fn: Callable[..., Any], *, hidden: bool = False,
                              points: float | None = None) -> float | None:
    """Check ``fn(W, accum, rows, grads, lr) -> (new_W, new_accum)``: AdaGrad on the touched rows.

    W and accum are (V, d) (accum: the running sums of squared gradients); ``rows`` (n,)
    are the rows a batch touches, possibly repeated, and ``grads`` (n, d) the gradient
    pieces for them. The answer equals one dense AdaGrad step whose gradient is the sum of
    the pieces of each row (zero for rows not in ``rows``). Three parts: untouched rows stay,
    new_W, new_accum. ``hidden=True`` runs other cases; ``points`` grades (see
    :func:`run_parts`).
    """
    name = fn_name(fn, "my_sparse_adagrad_step")
    cases = _sparse_cases(hidden)

    def call(k: int) -> str:
        return f"{name}(W, accum, rows={cases[k][2].tolist()}, grads, lr={cases[k][4]})"

    def answer(k: int) -> tuple[np.ndarray, np.ndarray]:
        W, accum, rows, grads, lr = cases[k]
        out = call_student(fn, name, W.copy(), accum.copy(), rows.copy(), grads.copy(), lr, call=call(k),
                           forbid=forbidden("check_sparse_adagrad_step"))
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise CheckFailed(f"`{call(k)}` must return two arrays (new_W, new_accum), got a {type(out).__name__}.")
        new_W, new_accum = (as_array(a, f"the result of `{call(k)}`", dtype=np.float64) for a in out)
        if new_W.shape != W.shape or new_accum.shape != accum.shape:
            raise CheckFailed(f"`{call(k)}` returned shapes {new_W.shape} and {new_accum.shape}; expected {W.shape} for "
                              "both: return the whole tables, with the touched rows updated.")
        return new_W, new_accum

    answers = remembered(answer)

    def same(a, b):  # to float32 rounding: an answer in JAX works in float32
        return bool(np.allclose(a, b, rtol=1e-6, atol=0.0))

    def untouched_part() -> int:
        for k, (W, accum, rows, grads, lr) in enumerate(cases):
            new_W, new_accum = answers(k)
            untouched = np.setdiff1d(np.arange(W.shape[0]), rows)
            if not (same(new_W[untouched], W[untouched]) and same(new_accum[untouched], accum[untouched])):
                moved = [int(r) for r in untouched if not (same(new_W[r], W[r]) and same(new_accum[r], accum[r]))]
                raise CheckFailed(f"`{call(k)}`: row {moved[0]} is not in rows, yet it changed. A row the batch does not "
                                  "touch has a zero gradient, and AdaGrad leaves it exactly as it was: update the "
                                  "touched rows only.")
        return len(cases)

    def table_part(which: int) -> int:
        what = ("new_W", "new_accum")[which]
        for k, (W, accum, rows, grads, lr) in enumerate(cases):
            table = answers(k)[which]
            want_W, want_accum = _sparse_adagrad(W, accum, rows, grads, lr)
            if close(table, (want_W, want_accum)[which], rtol=1e-5, atol=1e-7):
                continue
            repeated = sorted({int(r) for r in rows if (rows == r).sum() > 1})
            variants = [
                (lambda: _sparse_adagrad(W, accum, rows, grads, lr, "last")[which],
                 f"row {repeated[0] if repeated else '?'} appears more than once in rows, but only one of its pieces "
                 "counted: `W[rows] -= ...` (fancy indexing) writes a repeated row once. Add up each row's pieces "
                 "first (np.add.at), then update."),
                (lambda: _sparse_adagrad(W, accum, rows, grads, lr, "sequential")[which],
                 "you took one AdaGrad step per piece. The batch gives a row one gradient, the sum of its pieces, "
                 "and one step with it: that is what the dense optimizer does, and what makes the sparse step exact."),
                (lambda: _sparse_adagrad(W, accum, rows, grads, lr, "squares")[which],
                 "you added the squares of the pieces to accum; AdaGrad adds the square of the row's gradient, "
                 "which is the square of the *sum* of its pieces."),
            ]
            if which == 0:
                variants += [
                    (lambda: _sparse_adagrad(W, accum, rows, grads, lr, "before")[0],
                     "divide by the square root of the sum that already includes this step's gradient squared."),
                    (lambda: W + lr * _summed(rows, grads, W.shape[0]) / np.sqrt(want_accum),
                     "step against the gradient (W - ...), not along it."),
                ]
            hint = first_matching_hint(table, variants, rtol=1e-5)
            raise CheckFailed(f"`{call(k)}`: {what} is wrong" + (f": {hint}" if hint else "."))
        return len(cases)

    return run_parts("check_sparse_adagrad_step", fn, [
        Part("rows not in `rows` stay as they were", untouched_part),
        Part("new_W (one step per touched row, with the sum of its pieces)", lambda: table_part(0)),
        Part("new_accum", lambda: table_part(1)),
    ], hidden, points)


def _schedule_table(out: Any, G: int, call: str) -> list[list[tuple[int, int]]]:
    """The student's schedule as a list of strata of (row block, column block) pairs, or CheckFailed."""
    if isinstance(out, np.ndarray):
        out = out.tolist()
    if not isinstance(out, (list, tuple)):
        raise CheckFailed(f"`{call}` returned a {type(out).__name__}; expected a list of strata, each a list of "
                          "(row block, column block) tiles, one per device.")
    if len(out) != G:
        raise CheckFailed(f"`{call}` returned {len(out)} strata; expected {G}: each stratum gives every one of the "
                          f"{G} devices one tile, and there are {G} x {G} tiles.")
    strata = []
    for s, stratum in enumerate(out):
        if isinstance(stratum, np.ndarray):
            stratum = stratum.tolist()
        if not isinstance(stratum, (list, tuple)) or len(stratum) != G:
            raise CheckFailed(f"`{call}`: stratum {s} is not a list of {G} tiles (one per device).")
        tiles = []
        for tile in stratum:
            try:
                r, c = (int(v) for v in tile)
            except Exception:
                raise CheckFailed(f"`{call}`: stratum {s} holds {tile!r}; expected a pair (row block, column block).") from None
            if not (0 <= r < G and 0 <= c < G):
                raise CheckFailed(f"`{call}`: stratum {s} holds the tile {(r, c)}; blocks are numbered 0 to {G - 1}.")
            tiles.append((r, c))
        strata.append(tiles)
    return strata


def _at(position: tuple, message: str) -> CheckFailed:
    failure = CheckFailed(message)
    failure.position = position
    return failure


def check_dsgd_schedule(fn: Callable[[int], Any], *, hidden: bool = False, points: float | None = None) -> float | None:
    """Check ``fn(G) -> strata``: a DSGD schedule of the G x G tiles of X on G devices.

    ``strata[s][p] = (r, c)``: in stratum s, device p works on the tile of rows block r
    and columns block c (it updates rows r of W and rows c of W_tilde). Every tile must
    come once; within a stratum no two devices may share a row block or a column block
    (they would update the same rows at once); device p keeps its own row block p of W
    all the time (W is split by rows across the devices; only W_tilde's blocks travel).
    Three parts, one per rule. ``hidden=True`` runs other sizes; ``points`` grades (see
    :func:`run_parts`).
    """
    name = fn_name(fn, "my_dsgd_schedule")
    sizes = (5, 1, 6) if hidden else (2, 3, 4)
    def schedule(G: int) -> list[list[tuple[int, int]]]:
        try:
            return _schedule_table(call_student(fn, name, G, call=f"{name}({G})", forbid=forbidden("check_dsgd_schedule")),
                                   G, f"{name}({G})")
        except CheckFailed as failure:
            if failure.position is None:  # a schedule that cannot be read: before any tile of its size
                failure.position = (sizes.index(G), -1, 0)
            raise

    schedules = remembered(schedule)

    def own_rows() -> int:
        for n, G in enumerate(sizes):
            for s, tiles in enumerate(schedules(G)):
                for p, (r, c) in enumerate(tiles):
                    if r != p:
                        raise _at((n, s, p), f"`{name}({G})`: in stratum {s} device {p} works on row block {r}. Device {p} "
                                          f"holds rows block {p} of W for the whole epoch (W is split by rows across "
                                          "the devices); only the blocks of W_tilde move between strata.")
        return len(sizes)

    def no_clash() -> int:
        for n, G in enumerate(sizes):
            for s, tiles in enumerate(schedules(G)):
                cols = [c for _, c in tiles]
                clash = next((c for c in cols if cols.count(c) > 1), None)
                if clash is not None:
                    devices = [p for p, (_, c) in enumerate(tiles) if c == clash]
                    raise _at((n, s, G), f"`{name}({G})`: in stratum {s} devices {devices[0]} and {devices[1]} both take "
                                      f"column block {clash}, so both would update the rows of W_tilde in block {clash} "
                                      "at the same time. Within a stratum the column blocks must all differ.")
        return len(sizes)

    def every_tile_once() -> int:
        for n, G in enumerate(sizes):
            seen: dict[tuple[int, int], int] = {}
            for s, tiles in enumerate(schedules(G)):
                for p, tile in enumerate(tiles):
                    if tile in seen:
                        raise _at((n, s, p), f"`{name}({G})`: the tile {tile} comes in stratum {seen[tile]} and again in "
                                          f"stratum {s}; an epoch must visit every tile once.")
                    seen[tile] = s
            missing = sorted({(r, c) for r in range(G) for c in range(G)} - set(seen))
            if missing:
                raise _at((n, G, 0), f"`{name}({G})`: the tile {missing[0]} never comes; an epoch must visit every tile once.")
        return len(sizes)

    return run_parts("check_dsgd_schedule", fn, [
        Part("device p keeps row block p", own_rows),
        Part("every tile exactly once", every_tile_once),
        Part("no two devices share a column block in a stratum", no_clash),
    ], hidden, points)
