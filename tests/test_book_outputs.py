"""Stored chapter outputs a reader can read: one box of printed text per cell, no stray glue values."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def notebook(chapter: str) -> dict:
    return json.loads((REPO_ROOT / f"{chapter}.ipynb").read_text(encoding="utf-8"))


def test_printed_text_is_one_stream_per_cell(chapter: str) -> None:
    """Prints split by glue records or by time are shown as one box per piece: store one stream."""
    split = []
    for index, cell in enumerate(notebook(chapter)["cells"]):
        names = [o["name"] for o in cell.get("outputs", []) if o["output_type"] == "stream"]
        if len(names) != len(set(names)):
            split.append(f"cell {index}: {len(names)} stream outputs")
    assert not split, (
        f"{chapter}: {split}; `make execute` stores one stream per cell "
        "(nbclient's coalesce_streams): re-execute the chapter with it"
    )


def test_no_cell_ends_with_a_bare_glue(chapter: str) -> None:
    """A cell whose last line is glue(...) shows the glued text as a stray quoted string."""
    stray = []
    for index, cell in enumerate(notebook(chapter)["cells"]):
        if cell["cell_type"] != "code":
            continue
        try:
            body = ast.parse("".join(cell.get("source", ""))).body
        except SyntaxError:  # IPython syntax (magics): not a plain glue call
            continue
        last = body[-1] if body else None
        if (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
                and isinstance(last.value.func, ast.Name) and last.value.func.id == "glue"):
            stray.append(f"cell {index}: {ast.unparse(last)[:60]}")
    assert not stray, f"{chapter}: {stray}; print the value or move the glue call up"


@pytest.mark.parametrize("name", ["book/06_evaluation", "book/07_semantic_change"])
def test_the_stray_glue_outputs_of_issue_22_are_gone(name: str) -> None:
    for cell in notebook(name)["cells"]:
        for output in cell.get("outputs", []):
            text = "".join(output.get("data", {}).get("text/plain", ""))
            assert text not in ("'325'", "'-0.72'"), f"{name}: stray glue output {text}"
