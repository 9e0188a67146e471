"""Stored chapter outputs a reader can read: one box of printed text per cell, no stray glue values."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def notebook(chapter: str) -> dict:
    return json.loads((REPO_ROOT / f"{chapter}.ipynb").read_text(encoding="utf-8"))


GLUE_RECORD = "application/papermill.record/"


def visible(outputs: list[dict]) -> list[dict]:
    """The outputs a reader sees: glue records are not shown."""
    return [o for o in outputs if not (o.get("data") and all(k.startswith(GLUE_RECORD) for k in o["data"]))]


def test_printed_text_is_one_box_per_run_of_prints(chapter: str) -> None:
    """Prints that follow one another are one stream (one box), however far apart in time or
    split by glue records; `make execute` coalesces them and glue records at the end of a cell."""
    split = []
    for index, cell in enumerate(notebook(chapter)["cells"]):
        shown = visible(cell.get("outputs", []))
        for before, after in zip(shown, shown[1:]):
            if before["output_type"] == after["output_type"] == "stream" and before["name"] == after["name"]:
                split.append(f"cell {index}")
                break
    assert not split, f"{chapter}: printed text split into several boxes in {split}; re-execute with `make execute`"


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
