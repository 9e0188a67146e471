"""Numbers the prose quotes come from the outputs: glove_lite.book.glue and the chapters' {glue:text} roles.

A chapter records a value in the cell that computes it (``glue("key", value, ".3f")``) and its
markdown quotes it as ``{glue:text}`key```; the book's build pastes the recorded text. These
tests check the wrapper (rounded text, nothing recorded where the book's tools are missing)
in a real kernel, and that every role in book/*.md names a key its chapter glues, so a
renamed key fails here rather than in the book build.
"""

from __future__ import annotations

import ast
import json
import re
from ast import literal_eval
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from glove_lite.book import format_for_prose, glue
from glove_lite.errors import GloveLiteError

GLUE_MIME = "application/papermill.record/text/plain"
# A MyST role {glue}`key`, {glue:text}`key`, {glue:text}`key:fmt`, {glue:any}`key` ...
GLUE_ROLE = re.compile(r"\{glue(?::(?P<kind>[a-z]*))?\}`(?P<body>[^`]*)`")
CELL_OPTION = re.compile(r"^(:[\w-]+:.*|\s*)$")
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(?P<code>.*?)^```\s*$", re.M | re.S)


# --- the wrapper ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (0.36512, ".3f", "0.365"),
        (np.float32(0.36549), ".2f", "0.37"),
        (np.float64(0.176), ".1%", "17.6%"),
        (5164845, None, "5,164,845"),
        (np.int64(36), None, "36"),
        (74.6, ".0f", "75"),
        ("17.6 %", None, "17.6 %"),
        (-0.0004, ".3f", "0.000"),  # not "-0.000": the sign of a rounded zero depends on the CPU
        (-0.0004, ".1%", "0.0%"),
        (-0.25, ".2f", "-0.25"),
    ],
)
def test_values_are_recorded_as_text_rounded_for_people(value, fmt, text):
    assert format_for_prose(value, fmt) == text
    assert glue("key", value, fmt) == text  # outside a kernel: nothing recorded, text returned


@pytest.mark.parametrize(
    ("name", "value", "fmt", "message"),
    [
        ("score", 0.36512, None, "needs fmt"),
        ("score", np.float64(0.3), None, "needs fmt"),
        ("score", True, None, "expected a string"),
        ("score", [1, 2], None, "expected a string"),
        ("score", "0.365", ".3f", "formats numbers"),
        ("score", 3, ".3q", "cannot format"),
        ("ws:window", "0.365", None, "letters, digits"),
        ("ch6::ws", "0.365", None, "letters, digits"),
        ("", "0.365", None, "letters, digits"),
    ],
)
def test_bad_values_and_keys_get_a_clear_error(name, value, fmt, message):
    with pytest.raises(GloveLiteError, match=message):
        glue(name, value, fmt)


def run_cells(*sources: str) -> list:
    """Execute the cells in a fresh kernel (this environment); return the executed cells."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    return nb.cells


def test_in_a_kernel_glue_records_hidden_text_that_the_build_pastes_without_quotes():
    from myst_nb.core.variables import format_plain_text
    from myst_nb.ext.glue import extract_glue_data_cell

    (cell,) = run_cells(
        "from glove_lite.book import glue\n"
        "print('score', glue('ws_window_15', 0.36512, '.3f'), 'nonzeros', glue('nnz', 5164845))"
    )
    records = [o for o in cell.outputs if o.output_type == "display_data"]
    assert [o.metadata["scrapbook"]["name"] for o in records] == ["ws_window_15", "nnz"]
    # Only the papermill mime type: Jupyter shows nothing for it; the printed line is what the reader sees.
    assert [dict(o.data) for o in records] == [{GLUE_MIME: "'0.365'"}, {GLUE_MIME: "'5,164,845'"}]
    assert [o.text for o in cell.outputs if o.output_type == "stream"] == ["score 0.365 nonzeros 5,164,845\n"]
    # What myst-nb's {glue:text} role does with it: the string, without quotes.
    pasted = {key: format_plain_text(out["data"]["text/plain"], "s") for key, out in extract_glue_data_cell(cell)}
    assert pasted == {"ws_window_15": "0.365", "nnz": "5,164,845"}


def test_glue_records_wait_for_the_end_of_the_cell_so_prints_stay_one_stream():
    """A glue record recorded at once would split the printed text into one box per print."""
    first, second = run_cells(
        "from glove_lite.book import glue\n"
        "print('a', glue('first', 1))\n"
        "glue('second', 2)\n"
        "print('b')",
        "print('next cell')",
    )
    kinds = [o.output_type for o in first.outputs]
    assert kinds == ["stream", "display_data", "display_data"], kinds
    assert first.outputs[0].text == "a 1\nb\n"
    assert [o.metadata["scrapbook"]["name"] for o in first.outputs[1:]] == ["first", "second"]
    assert [o.output_type for o in second.outputs] == ["stream"], "records are not carried to the next cell"


def test_without_myst_nb_glue_records_nothing_and_still_returns_the_text():
    """As in Colab, where the chapters run from the launch buttons: myst-nb is not installed."""
    _, cell = run_cells(
        "import sys; sys.modules['myst_nb'] = None  # import myst_nb now raises ImportError",
        "from glove_lite.book import glue\nprint(glue('share', 0.176, '.1%'))",
    )
    assert [(o.output_type, o.get("text")) for o in cell.outputs] == [("stream", "17.6%\n")]


# --- the chapters' roles ----------------------------------------------------


def chapter_roles(md_text: str) -> list[tuple[str, str]]:
    """(role kind, key) for every {glue...} role in the markdown outside code cells."""
    prose = CODE_CELL.sub("", md_text)
    roles = []
    for m in GLUE_ROLE.finditer(prose):
        key = m["body"].split("::")[-1]
        if m["kind"] == "text" and ":" in key:
            key = key.rsplit(":", 1)[0]  # {glue:text}`key:.2f`
        roles.append((m["kind"] or "", key))
    return roles


def strings_in_code(md_text: str) -> set[str]:
    """Every string literal in the chapter's code cells (glue keys are written as literals)."""
    found = set()
    for m in CODE_CELL.finditer(md_text):
        lines = m["code"].splitlines()
        while lines and CELL_OPTION.match(lines[0]):  # :tags: [hide-input] and the like
            lines.pop(0)
        code = "\n".join(line for line in lines if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return found


def stored_glue_records(nb: dict) -> dict[str, list[str]]:
    """key -> the text/plain values glued under it in the stored outputs."""
    records: dict[str, list[str]] = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            scrapbook = out.get("metadata", {}).get("scrapbook")
            if scrapbook:
                value = out["data"].get(scrapbook.get("mime_prefix", "") + "text/plain", "")
                records.setdefault(scrapbook["name"], []).append("".join(value))
    return records


def chapter_pages(repo_root: Path) -> list[Path]:
    return sorted((repo_root / "book").glob("[0-9][0-9]_*.md"))


def test_every_glue_role_names_a_key_its_chapter_glues(repo_root):
    problems = []
    for md in chapter_pages(repo_root):
        text = md.read_text(encoding="utf-8")
        roles = chapter_roles(text)
        if not roles and "glue(" not in text:
            continue
        literal = strings_in_code(text)
        ipynb = md.with_suffix(".ipynb")
        stored = stored_glue_records(json.loads(ipynb.read_text(encoding="utf-8"))) if ipynb.exists() else {}
        for kind, key in roles:
            if kind != "text":
                problems.append(f"{md.name}: use {{glue:text}}`{key}` (a glued string shows in quotes under {{glue{':' + kind if kind else ''}}})")
            if key not in literal:
                problems.append(f"{md.name}: {{glue:text}}`{key}` but no code cell glues {key!r}")
            elif key not in stored:
                problems.append(f"{md.name}: {key!r} is glued in the code but not in the stored outputs: run make execute NB=book/{md.name}")
        for key, values in stored.items():
            if len(values) > 1:
                problems.append(f"{md.name}: {key!r} glued {len(values)} times (the book build warns, and -W fails)")
            if key not in literal:
                problems.append(f"{md.name}: the stored outputs glue {key!r}, which the code does not name "
                                "(re-execute; write keys as string literals, not f-strings)")
            for value in values:
                if not isinstance(literal_eval(value), str):
                    problems.append(f"{md.name}: {key!r} stored as {value}: glue it with glove_lite.book.glue (rounded text)")
    assert not problems, "\n".join(problems)


def test_the_role_check_reads_roles_and_keys_as_the_build_does():
    md = (
        "Window 15 gives {glue:text}`ws_w15` and {glue:text}`share:.1f` %, {glue}`bare`.\n\n"
        "```{code-cell} ipython3\n"
        ":tags: [hide-input]\n"
        "\n"
        "%matplotlib inline\n"
        "x = glue('ws_w15', 0.3, '.3f')  # {glue:text}`not_prose`\n"
        "book.glue(\"share\", 17.61, '.1f')\n"
        "glue(f'k{1}', 2)\n"
        "```\n"
    )
    assert chapter_roles(md) == [("text", "ws_w15"), ("text", "share"), ("", "bare")]
    assert {"ws_w15", "share", ".3f"} <= strings_in_code(md)
    assert "k1" not in strings_in_code(md)  # an f-string key cannot be checked: it fails the test above


def replay_with_nbval(folder: Path, tamper: dict[int, str]) -> str:
    """Execute a two-cell notebook, overwrite the stored glued text of some cells, replay it with nbval (-v)."""
    import subprocess
    import sys

    cells = run_cells(
        "from glove_lite.book import glue\nprint(glue('score', 0.36512, '.3f'))",
        "import time\nprint(glue('seconds', time.perf_counter(), '.6f'))",
    )
    cells[1].metadata["tags"] = ["nbval-ignore-output"]
    for index, text in tamper.items():
        record = next(o for o in cells[index].outputs if o.output_type == "display_data")
        record.data[GLUE_MIME] = text
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "glued.ipynb")
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env", "-p", "no:cacheprovider", "-v", "glued.ipynb"],
        cwd=folder, capture_output=True, text=True, timeout=300,
    )
    return run.stdout


def test_nbval_compares_glued_text_except_in_ignored_cells(tmp_path):
    """The glued text is an output like any other: a replay that glues another value fails.

    Cell 0's stored text is tampered with, and so is cell 1's, a timing glued in a cell tagged
    nbval-ignore-output: only cell 0 fails.
    """
    report = replay_with_nbval(tmp_path, {0: "'0.999'", 1: "'1.000000'"})
    assert re.search(r"glued\S*ipynb::Cell 0 FAILED", report), report
    assert re.search(r"glued\S*ipynb::Cell 1 PASSED", report), report
