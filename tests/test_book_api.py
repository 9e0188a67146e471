"""The chapters use the library's public API only: every name they import from glove_lite is in its module's
``__all__``, and what they show with show_source is public too (the internals belong to the library guide)."""

import ast
import importlib
import re

from conftest import REPO_ROOT

CODE_CELL = re.compile(r"```\{code-cell\}[^\n]*\n(.*?)```", re.S)


def code_of(chapter: str) -> str:
    text = (REPO_ROOT / f"{chapter}.md").read_text(encoding="utf-8")
    cells = []
    for cell in CODE_CELL.findall(text):
        lines = [line for line in cell.splitlines() if not line.startswith(":")]  # cell options
        cells.append("\n".join(line for line in lines if not line.lstrip().startswith("%")))
    return "\n".join(cells)


def imported_names(source: str) -> list[tuple[str, str]]:
    """(module, name) for every ``from glove_lite... import name`` in the source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("glove_lite"):
            found += [(node.module, alias.name) for alias in node.names]
    return found


def test_chapters_import_public_names_only(chapter):  # conftest parametrizes ``chapter`` over the chapters
    source = code_of(chapter)
    private = []
    for module, name in imported_names(source):
        mod = importlib.import_module(module)
        if hasattr(mod, "__path__") and importlib.util.find_spec(f"{module}.{name}") is not None:
            continue  # a submodule of a package
        if name.startswith("_") or name not in getattr(mod, "__all__", ()):
            private.append(f"{module}.{name}")
    assert not private, f"{chapter} imports names outside their module's __all__: {private}"
    shown = re.findall(r"show_source\(([A-Za-z_][\w.]*)\)", source)
    hidden = [s for s in shown if any(part.startswith("_") for part in s.split("."))]
    assert not hidden, f"{chapter} shows private functions: {hidden}"
