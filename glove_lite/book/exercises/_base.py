"""What every self-check shares: the exception, calling the student's code, comparing.

A check runs the student's function on small inputs (fixed seeds, so messages are
reproducible), compares with the library's reference, and either prints one line that
says it passed or raises :class:`CheckFailed` with a hint. Hints say *what* is wrong
(a shape, a symmetry, an off-by-one) and never show the reference code.
"""

from __future__ import annotations

import importlib
import linecache
import os
import sys
import traceback
from types import CodeType
from typing import Any, Callable, Iterable, Sequence

import numpy as np

PASS_MARK = "\u2714"  # heavy check mark


class CheckFailed(AssertionError):
    """A self-check found a problem; the message says what to look at.

    In Jupyter only the message is shown, not a traceback through the check's code
    (IPython calls ``_render_traceback_``). It is an ``AssertionError``, so nbgrader
    and pytest treat it as a failed test.
    """

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


def _where(exc: BaseException) -> str:
    """`` (line N: `code`)`` for the innermost frame of the student's own code, if found."""
    frames = traceback.extract_tb(exc.__traceback__)[1:]  # drop call_student's own frame
    own = [f for f in frames if not _library_frame(f.filename)]
    if not own:
        return ""
    frame = own[-1]
    line = (frame.line or linecache.getline(frame.filename, frame.lineno)).strip()
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
                 **kwargs: Any) -> Any:
    """Call the student's ``fn``; turn stubs, crashes and ``None`` into :class:`CheckFailed`.

    ``call`` describes the call in messages, e.g. ``cooc_window(docs, 5, 2)``. ``forbid``
    names functions (``"module:qualname"``) that ``fn`` must neither be nor call: the
    library's own answer to the exercise.
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
            f"`{name}` is not implemented yet: replace the `raise NotImplementedError(...)` line "
            "with your code, run that cell, then run this check again."
        ) from None
    except CheckFailed:
        raise
    except Exception as exc:  # the student's bug: report it briefly, not as a traceback soup
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        hint = next((h for key, h in KNOWN_ERRORS if key in message or key == type(exc).__name__), None)
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
    """A numpy array from an ndarray, a JAX array, a scipy sparse matrix or a nested list."""
    try:
        import scipy.sparse as sp

        if sp.issparse(value):
            value = value.toarray()
        arr = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
    except Exception:
        raise CheckFailed(f"{what} is a {type(value).__name__}; expected an array of numbers.") from None
    if arr.dtype == object:
        raise CheckFailed(f"{what} is a {type(value).__name__} that numpy cannot read as numbers.")
    return arr


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
