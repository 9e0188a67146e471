"""Showing the library's own source in the book, so chapters never drift from tested code."""

from __future__ import annotations

import inspect
import textwrap
from typing import Any

__all__ = ["source", "show_source"]



def source(obj: Any) -> str:
    """The source code of a function, class or module (``inspect.getsource``), dedented.

    Methods come out starting at column 0, as they would be read on their own.
    """
    target = getattr(obj, "__wrapped__", obj)  # functions under jax.jit / functools.wraps
    return textwrap.dedent(inspect.getsource(target))


def show_source(obj: Any) -> None:
    """Display the source of ``obj`` as a highlighted Python code block (a Markdown output)."""
    from IPython.display import Markdown, display

    display(Markdown(f"```python\n{source(obj).rstrip()}\n```"))
