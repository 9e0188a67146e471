"""Showing the library's own source in the book, so chapters never drift from tested code."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

__all__ = ["source", "show_source", "without_checks"]

CHECKS_NOTE = "# ... the checks of the arguments (clear errors for bad input) are left out here"


def source(obj: Any) -> str:
    """The source code of a function, class or module (``inspect.getsource``), dedented.

    Methods come out starting at column 0, as they would be read on their own.
    """
    target = getattr(obj, "__wrapped__", obj)  # functions under jax.jit / functools.wraps
    return textwrap.dedent(inspect.getsource(target))


def _is_check(node: ast.stmt) -> bool:
    """An ``if`` with no else that ends in a ``raise`` after at most some assignments (a
    message's parts), or a loop whose body is only such checks."""
    if isinstance(node, ast.If):
        *before, last = node.body
        return (not node.orelse and isinstance(last, ast.Raise)
                and all(isinstance(s, (ast.Assign, ast.AnnAssign)) for s in before))
    if isinstance(node, (ast.For, ast.While)):
        return not node.orelse and all(_is_check(s) for s in node.body)
    return False


def _check_runs(body: list[ast.stmt]) -> list[tuple[int, int, int]]:
    """(first line, last line, indent), 0-based, of each run of checks in ``body`` and in the
    blocks nested in it."""
    runs: list[tuple[int, int, int]] = []
    for node in body:
        if _is_check(node):
            first = node.lineno - 1
            if runs and runs[-1][1] == first - 1 and runs[-1][2] == node.col_offset:
                runs[-1] = (runs[-1][0], node.end_lineno - 1, node.col_offset)
            else:
                runs.append((first, node.end_lineno - 1, node.col_offset))
            continue
        for field in ("body", "orelse", "finalbody"):
            inner = getattr(node, field, None)
            if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                runs += _check_runs(inner)
        for handler in getattr(node, "handlers", []):
            runs += _check_runs(handler.body)
    return runs


def without_checks(code: str) -> str:
    """``code`` (one function) with its checks of the arguments replaced by one comment.

    A check is a statement that only raises (``if bad: raise ...``, perhaps after building
    the message, or a loop of those); each run of them becomes :data:`CHECKS_NOTE`. The rest
    is unchanged.
    """
    func = ast.parse(code).body[0]
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return code
    lines = code.splitlines()
    for first, last, indent in sorted(_check_runs(func.body), reverse=True):
        lines[first:last + 1] = [" " * indent + CHECKS_NOTE]
    return "\n".join(lines) + "\n"


def show_source(obj: Any, checks: bool = False) -> None:
    """Display the source of ``obj`` as a highlighted Python code block (a Markdown output).

    By default it leaves out the function's checks of its arguments (:func:`without_checks`),
    so the page shows the idea (``checks=True`` shows them); the library's source has all of it.
    """
    from IPython.display import Markdown, display

    code = source(obj) if checks else without_checks(source(obj))
    display(Markdown(f"```python\n{code.rstrip()}\n```"))
