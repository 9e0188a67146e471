"""What the student edition shows instead of an exercise's answer: a function's outline."""

from __future__ import annotations

import ast
from typing import Any

from glove_lite.book.display import source


def outline(obj: Any, exercise: int | str | None = None) -> str:
    """The source of a function with its body left out: decorators, signature, docstring.

    The body becomes ``...`` with a comment naming the exercise that asks for it.
    """
    text = source(obj)
    lines = text.splitlines()
    tree = ast.parse(text)
    node = tree.body[0] if tree.body else None
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.body:
        raise TypeError(f"{obj!r} is not a function; expected a function or method")
    first = node.body[0]
    has_docstring = isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant) \
        and isinstance(first.value.value, str)
    start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    end = first.end_lineno if has_docstring else first.lineno - 1
    kept = lines[start:end]
    indent = " " * first.col_offset
    which = f"Exercise {exercise}" if exercise is not None else "an exercise"
    kept.append(f"{indent}...  # the body is left out of the student edition: {which} asks you to write it")
    return "\n".join(kept)


def show_signature(obj: Any, exercise: int | str | None = None) -> None:
    """Display :func:`outline` as a highlighted Python code block (a Markdown output)."""
    from IPython.display import Markdown, display

    display(Markdown(f"```python\n{outline(obj, exercise)}\n```"))
