"""What every self-check shares: the exception, calling the student's code, comparing.

A check runs the student's function on small inputs (fixed seeds, so messages are
reproducible), compares with the library's reference, and either prints one line that
says it passed or raises :class:`CheckFailed` with a hint. Hints say *what* is wrong
(a shape, a symmetry, an off-by-one) and never show the reference code.

A check is made of :class:`Part` s (the right values, the right order, fast enough...).
Called as a self-check it stops at the first part that fails; called with ``points=P``
(the graded cells of the nbgrader course) it runs every part, prints one line per part
and returns the share of ``P`` that the passed parts are worth: nbgrader reads that number
as the cell's partial credit (:func:`run_parts`).
"""

from __future__ import annotations

import contextlib
import importlib
import linecache
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass
from types import CodeType
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np

PASS_MARK = "\u2714"  # heavy check mark
FAIL_MARK = "\u2718"  # heavy ballot x
NOT_IMPLEMENTED = "is not implemented yet"


class CheckFailed(AssertionError):
    """A self-check found a problem; the message says what to look at.

    In Jupyter only the message is shown, not a traceback through the check's code
    (IPython calls ``_render_traceback_``). It is an ``AssertionError``, so nbgrader
    and pytest treat it as a failed test.
    """

    #: where in the check's cases the problem was found (sortable), when parts of a check walk
    #: the same cases: the self-check then reports the problem met first (see :func:`run_parts`)
    position: Any = None

    def _render_traceback_(self) -> list[str]:
        red, bold, reset = "\x1b[31m", "\x1b[1m", "\x1b[0m"
        lines = str(self).splitlines() or [""]
        return [f"{red}{bold}CheckFailed{reset}: {lines[0]}", *lines[1:]]


def passed(check: str, fn: Any, cases: int, hidden: bool = False) -> None:
    """Print the pass message of a check (``hidden``: the graders' extra cases)."""
    name = getattr(fn, "__name__", None)
    what = f"`{name}`" if name and name != "<lambda>" else "your answer"
    label = f"{check} (hidden tests)" if hidden else check
    print(f"{PASS_MARK} {label}: {what} passed all {cases} tests.")


#: Hints added to the message of an error raised inside the student's code.
KNOWN_ERRORS = (
    ("truth value of an array", "an `if` cannot test a whole array at once: use np.where / jnp.where (or np.minimum)."),
    ("TracerBoolConversionError", "an `if` cannot test a traced JAX array: use jnp.where."),
    ("unhashable type", "a list or array was used as a dict key or set element."),
)


def _library_frame(filename: str) -> bool:
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return "site-packages" in filename or "dist-packages" in filename or filename.startswith(here) or filename.startswith("<frozen")


def _own_frame(exc: BaseException) -> traceback.FrameSummary | None:
    """The innermost frame of the student's own code in ``exc``'s traceback, if any."""
    frames = traceback.extract_tb(exc.__traceback__)[1:]  # drop call_student's own frame
    own = [f for f in frames if not _library_frame(f.filename)]
    return own[-1] if own else None


def _student_line(exc: BaseException) -> str:
    """The line of the student's code that raised ``exc`` ("" if not found)."""
    frame = _own_frame(exc)
    return (frame.line or linecache.getline(frame.filename, frame.lineno)).strip() if frame else ""


def _where(exc: BaseException) -> str:
    """`` (line N: `code`)`` for the innermost frame of the student's own code, if found."""
    frame = _own_frame(exc)
    if frame is None:
        return ""
    line = _student_line(exc)
    return f" (in `{frame.name}`, line {frame.lineno}: `{line}`)" if line else f" (in `{frame.name}`, line {frame.lineno})"


def fn_name(fn: Any, default: str) -> str:
    name = getattr(fn, "__name__", None)
    return name if name and name != "<lambda>" else default


# --------------------------------------------------------------------------- the library's own answers


def library_object(path: str) -> Any:
    """The object named by ``"package.module:Qualified.name"`` (imported on demand)."""
    module_name, _, qualname = path.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split(".") if qualname else ():
        obj = getattr(obj, part)
    return obj


def display_name(path: str) -> str:
    """``glove_lite.loss:weighting_fn`` -> ``glove_lite.loss.weighting_fn``."""
    return path.replace(":", ".")


def code_of(obj: Any) -> CodeType | None:
    """The code object that runs when ``obj`` is called (through wrappers, bound and class methods)."""
    for _ in range(10):
        if isinstance(obj, CodeType):
            return obj
        inner = getattr(obj, "__wrapped__", None) or getattr(obj, "__func__", None)
        if inner is not None:
            obj = inner
            continue
        return getattr(obj, "__code__", None)
    return None


def forbidden_codes(paths: Sequence[str]) -> dict[CodeType, str]:
    """Code object -> path, for the library functions in ``paths`` that can be found."""
    codes: dict[CodeType, str] = {}
    for path in paths:
        try:
            code = code_of(library_object(path))
        except (ImportError, AttributeError):  # an optional package, or a renamed function
            continue
        if code is not None:
            codes[code] = path
    return codes


def _is_own(path: str) -> bool:
    return path.startswith("glove_lite.")


def reject_library_function(fn: Any, name: str, codes: dict[CodeType, str]) -> None:
    """Fail when ``fn`` *is* one of the library functions the exercise asks the student to write."""
    path = codes.get(code_of(fn)) if callable(fn) else None
    if path is None:
        return
    if _is_own(path):
        raise CheckFailed(
            f"you passed `{display_name(path)}`, the library's own function: this exercise asks you to write "
            f"your own `{name}`. (The check compares your function with the library's, so the library's own "
            "passes trivially.)"
        )
    raise CheckFailed(f"you passed `{display_name(path)}`, a ready-made function: this exercise asks you to write your own `{name}`.")


class _CallWatcher:
    """Records whether any of ``codes`` runs while active (``sys.setprofile``; off if a profiler runs)."""

    def __init__(self, codes: dict[CodeType, str]):
        self.codes = codes
        self.hit: str | None = None
        self.active = False

    def _hook(self, frame: Any, event: str, arg: Any) -> None:
        if event == "call" and self.hit is None:
            path = self.codes.get(frame.f_code)
            if path is not None:
                self.hit = path

    def __enter__(self) -> "_CallWatcher":
        if self.codes and sys.getprofile() is None:
            sys.setprofile(self._hook)
            self.active = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.active:
            sys.setprofile(None)
            self.active = False


def call_student(fn: Callable, name: str, *args: Any, call: str | None = None, forbid: Sequence[str] = (),
                 error_hints: Sequence[tuple[Callable[[BaseException, str], bool], str]] = (), **kwargs: Any) -> Any:
    """Call the student's ``fn``; turn stubs, crashes and ``None`` into :class:`CheckFailed`.

    ``call`` describes the call in messages, e.g. ``cooc_window(docs, 5, 2)``. ``forbid``
    names functions (``"module:qualname"``) that ``fn`` must neither be nor call: the
    library's own answer to the exercise. ``error_hints``: (test, hint) pairs for errors
    typical of this exercise; ``test(exc, line)`` sees the exception and the student's
    line that raised it.
    """
    if not callable(fn):
        raise CheckFailed(
            f"expected a function, got a {type(fn).__name__}: pass the function itself "
            f"(`{name}`), not the result of calling it (`{name}(...)`)."
        )
    codes = forbidden_codes(forbid)
    reject_library_function(fn, name, codes)
    call = call or f"{name}(...)"
    watcher = _CallWatcher(codes)
    try:
        with watcher:
            out = fn(*args, **kwargs)
    except NotImplementedError:
        raise CheckFailed(
            f"`{name}` {NOT_IMPLEMENTED}: replace the `raise NotImplementedError(...)` line "
            "with your code, run that cell, then run this check again."
        ) from None
    except CheckFailed:
        raise
    except Exception as exc:  # the student's bug: report it briefly, not as a traceback soup
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        line = _student_line(exc)
        hint = next((h for test, h in error_hints if test(exc, line)), None)
        hint = hint or next((h for key, h in KNOWN_ERRORS if key in message or key == type(exc).__name__), None)
        raise CheckFailed(
            f"`{call}` raised {type(exc).__name__}{': ' + message if message else ''}{_where(exc)}."
            + (f"\nHint: {hint}" if hint else "")
        ) from None
    if watcher.hit is not None:
        path = watcher.hit
        if _is_own(path):
            raise CheckFailed(
                f"`{call}` calls the library's own `{display_name(path)}`: this exercise asks you to write "
                "that code yourself. (The check compares your function with the library's, so calling the "
                "library's own passes trivially.)"
            )
        raise CheckFailed(f"`{call}` calls `{display_name(path)}`: this exercise asks you to do that work yourself, without it.")
    if out is None:
        raise CheckFailed(
            f"`{name}` returned None. If its body is still `...`, it is not implemented yet; "
            "otherwise make sure it ends with a `return` statement."
        )
    return out


def as_array(value: Any, what: str, dtype: Any = None) -> np.ndarray:
    """A numpy array of real numbers from an ndarray, a JAX array, a scipy sparse matrix or a nested list.

    Anything else (strings, None inside, ragged lists, complex numbers) is a :class:`CheckFailed`.
    """
    if isinstance(value, (str, bytes)):
        raise CheckFailed(f"{what} is a {type(value).__name__} ({_short(value)}); expected numbers, not text.")
    try:
        import scipy.sparse as sp

        if sp.issparse(value):
            value = value.toarray()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
    except Exception:
        raise CheckFailed(f"{what} is a {type(value).__name__}; expected an array of numbers.") from None
    if arr.dtype.kind not in "biuf":
        if arr.dtype.kind in "USa":
            raise CheckFailed(f"{what} holds text ({_short(arr.flat[0] if arr.size else '')}); expected numbers.")
        if arr.dtype.kind == "c":
            raise CheckFailed(f"{what} holds complex numbers; expected real ones.")
        raise CheckFailed(f"{what} is a {type(value).__name__} that numpy cannot read as numbers.")
    return arr


def as_number(value: Any, what: str) -> float:
    """One real number from a float, an int, a 0-d or one-element array (numpy or JAX)."""
    if isinstance(value, (tuple, list)) and len(value) != 1:
        raise CheckFailed(f"{what} is a {type(value).__name__} of {len(value)} values; expected one number.")
    arr = as_array(value, what)
    if arr.size != 1:
        raise CheckFailed(f"{what} has shape {arr.shape}; expected one number.")
    return float(arr.reshape(()))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Same shape and all entries close (NaNs never match)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all(np.isfinite(a))) and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def first_matching_hint(answer: np.ndarray, variants: Iterable[tuple[Callable[[], Any], str]], rtol: float = 1e-6) -> str | None:
    """The hint of the first typical mistake whose result equals ``answer``, if any.

    Each variant is computed lazily, so expensive ones run only when needed.
    """
    for make, hint in variants:
        try:
            candidate = make()
        except Exception:  # a variant that does not apply to this input
            continue
        if close(answer, candidate, rtol=rtol):
            return hint
    return None


def fmt(x: Any, digits: int = 4) -> str:
    """A number or small array printed briefly for a message."""
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.{digits}g}"
    arr = np.asarray(x)
    if arr.ndim == 0:
        return f"{arr.item():.{digits}g}" if np.issubdtype(arr.dtype, np.floating) else str(arr.item())
    if arr.ndim == 1 and arr.size <= 12:
        return "[" + ", ".join(f"{v:.{digits}g}" if isinstance(v, float) else str(v) for v in arr.tolist()) + "]"
    return np.array2string(arr, precision=digits, separator=", ", threshold=20)


def show_docs(docs: Sequence[Sequence[int]]) -> str:
    """Documents as a Python literal, for messages."""
    return "[" + ", ".join("[" + ", ".join(str(int(t)) for t in d) + "]" for d in docs) + "]"


# --------------------------------------------------------------------------- parts, points and partial credit


@dataclass
class Part:
    """One part of a check: what it tests, its share of the points, and the test itself.

    ``run()`` returns the number of test cases it ran, or raises :class:`CheckFailed` with
    the hint. ``after`` names an earlier part that must have passed for this one to mean
    anything (a timing is worth nothing for a wrong answer); otherwise the part is not run
    and scores nothing.
    """

    title: str
    run: Callable[[], int]
    weight: float = 1.0
    after: str | None = None


def run_parts(check: str, fn: Any, parts: Sequence[Part], hidden: bool = False, points: float | None = None) -> float | None:
    """Run a check's parts on the student's ``fn``.

    Without ``points`` (a self-check): the parts in order, the first failure raises its
    :class:`CheckFailed`, and a pass prints one line. With ``points`` (a graded cell of the
    course): every part runs, nothing raises, one line per part is printed, and the score
    (``points`` times the passed parts' share of the weights, rounded to 0.01) is returned,
    for nbgrader to read as partial credit. The student's code writes nothing to stderr
    meanwhile (nbgrader gives no credit to a cell with stderr output): warnings and
    messages are shown on stdout.
    """
    if points is None:
        cases = 0
        for k, part in enumerate(parts):
            try:
                cases += part.run()
            except CheckFailed as failure:
                if failure.position is None:
                    raise
                raise _first_found(failure, k, parts) from None
        passed(check, fn, cases, hidden)
        return None
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
        raise ValueError(f"points={points!r}; expected a positive number")
    label = f"{check} (hidden tests)" if hidden else check
    lines, results = [], {}
    with _stderr_to_stdout():
        for part in parts:
            if part.after is not None and not results.get(part.after, False):
                results[part.title] = False
                lines.append(f"{FAIL_MARK} {part.title}: not checked until `{part.after}` passes.")
                continue
            try:
                cases = part.run()
            except CheckFailed as failure:
                results[part.title] = False
                message = str(failure)
                if NOT_IMPLEMENTED in message:  # a stub: one line says it all
                    print(f"{label}: 0 of {points:g} points\n{FAIL_MARK} {message}")
                    return 0.0
                lines.append(f"{FAIL_MARK} {part.title}: {message}")
            else:
                results[part.title] = True
                lines.append(f"{PASS_MARK} {part.title}" + (f" ({cases} tests)" if cases > 1 else ""))
    total = sum(part.weight for part in parts)
    score = round(points * sum(part.weight for part in parts if results[part.title]) / total, 2)
    print(f"{label}: {score:g} of {points:g} points")
    for line in lines:
        print(line)
    return score


def _first_found(failure: CheckFailed, k: int, parts: Sequence[Part]) -> CheckFailed:
    """Of the failures of part k and of the later parts, the one found first in the cases (by ``position``)."""
    found = [(failure.position, k, failure)]
    for j in range(k + 1, len(parts)):
        if parts[j].after is not None:
            continue
        try:
            parts[j].run()
        except CheckFailed as other:
            if other.position is not None:
                found.append((other.position, j, other))
    return min(found, key=lambda f: (f[0], f[1]))[2]


@contextlib.contextmanager
def _stderr_to_stdout() -> Iterator[None]:
    """Python-level stderr and warnings go to stdout while the block runs."""
    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        print(warnings.formatwarning(message, category, filename, lineno, line), end="", file=sys.stdout)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        with contextlib.redirect_stderr(sys.stdout):
            yield


class TooSlow(BaseException):
    """Raised inside the student's code when its time is up (a BaseException: ``except Exception`` lets it through)."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[bool]:
    """Interrupt the block with :class:`TooSlow` after ``seconds`` of wall time.

    Uses a POSIX interval timer, so it works in the main thread of a Unix process (a
    Jupyter kernel runs cells there); elsewhere it yields False and does not interrupt
    (the caller still measures the time).
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield False
        return

    def expire(signum: int, frame: Any) -> None:
        raise TooSlow()

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def seconds_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    """The shortest of ``repeat`` wall-clock timings of ``fn()`` (the least disturbed run)."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return float(best)


def remembered(compute: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``compute(key)`` run once per key; a :class:`CheckFailed` it raised is raised again on every later call.

    The parts of a check share the student's answers this way, each calling the student's
    function once per case whatever the number of parts that look at it.
    """
    cache: dict[Any, tuple[bool, Any]] = {}

    def get(key: Any) -> Any:
        if key not in cache:
            try:
                cache[key] = (True, compute(key))
            except CheckFailed as failure:
                cache[key] = (False, (str(failure), failure.position))
        ok, value = cache[key]
        if not ok:
            failure = CheckFailed(value[0])
            failure.position = value[1]
            raise failure
        return value

    return get
