"""Local Sphinx extension for the library guide's API page (book/guide/api.md, Sphinx autodoc).

Leaves out the members that say nothing: the fields of a ``NamedTuple`` (their docstrings are
Python's "Alias for field number N"; the class docstring describes them).
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def skip_namedtuple_fields(app: Sphinx, what: str, name: str, obj: Any, skip: bool, options: Any) -> bool | None:
    """``autodoc-skip-member``: skip a NamedTuple field; leave every other decision to autodoc."""
    if (getattr(obj, "__doc__", None) or "").startswith("Alias for field number"):
        return True
    return None


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("autodoc-skip-member", skip_namedtuple_fields)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
