"""The student edition: every chapter as a notebook with its solutions removed.

``python -m glove_lite.student [--output _build/student]`` (or ``make student``) reads the
chapters listed in ``_toc.yml`` (their MyST-markdown text, via Jupytext) and writes one
``.ipynb`` per chapter, outputs cleared, in which

* code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (nbgrader's markers) is
  replaced by ``raise NotImplementedError(...)`` at the same indentation, so a function's
  signature and docstring stay and its body becomes a stub;
* everything inside a gated ``{solution-start}`` ... ``{solution-end}`` block is removed
  (explanations, and code cells without markers), except the stubbed marker cells; an
  empty code cell ("# Your code here") takes the place of removed code;
* ``{solution}`` blocks (prose solutions) are removed;
* the chapters' data folder (``book/data``) is copied beside the notebooks;
* ``{exercise}`` blocks become plain Markdown ("**Exercise 4** ...", numbered as in the
  book), readable in any Jupyter; the self-check cells stay.

``--nbgrader DIR`` also writes instructor notebooks for nbgrader: the same cells with the
solution regions kept and nbgrader metadata on them (solution cells, and the check
cells as locked autograded tests), ready for ``nbgrader generate_assignment``.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
CHAPTER_RE = re.compile(r"^book/(\d\d)_[a-z0-9_]+$")
FENCE_RE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|:{3,})(?P<info>.*)$")
DIRECTIVE_RE = re.compile(r"^\s*\{(?P<name>[a-zA-Z0-9_:-]+)\}\s*(?P<args>.*)$")
CHECK_CALL_RE = re.compile(r"^\s*check_\w+\(", re.MULTILINE)
PLACEHOLDER = "# Your code here\n"
DATA_DIRS = ("data",)  # folders beside the chapters that they read, copied along

README = """\
# glove-lite: the exercises (student edition)

One notebook per chapter of the book *glove-lite: GloVe from scratch in JAX*. Each
chapter is complete except for the solutions of its exercises, at the end.

## Getting started

1. Install the library the notebooks import, from the book's repository:
   `pip install -e .` (or `make venv`, then use `.venv/bin/jupyter lab`).
2. Open a notebook in JupyterLab or Jupyter Notebook and run it from the top
   ("Run All" stops at the first exercise you have not solved yet).

## Solving an exercise

- Find the `raise NotImplementedError(...)` line in the exercise's code cell and replace
  it with your code (keep the function's name and arguments).
- Run that cell, then the check cell below it (`check_...(your_function)`). It runs your
  function on small inputs and prints a line starting with a check mark when it is
  right. Otherwise it stops with `CheckFailed` and a hint that says what looks wrong
  (a shape, a missing symmetry, an off-by-one window, ...): fix and run both cells again.
- Exercises without a check cell are questions to think about, discuss or experiment with.

The checks never show a solution. The book (with its solutions hidden in collapsed
dropdowns) is the place to look once you have tried.

## For instructors

The solution code is marked with nbgrader's `### BEGIN SOLUTION` / `### END SOLUTION`
markers in the book's chapters, and the check cells raise an `AssertionError` subclass
on failure. `python -m glove_lite.student --nbgrader DIR` writes source notebooks with
nbgrader metadata for `nbgrader generate_assignment` and autograding.
"""


class StudentEditionError(ValueError):
    """A chapter's solution markers or solution blocks are malformed."""


@dataclass
class _State:
    """What the markdown parser carries from cell to cell."""

    chapter: str
    in_solution: str | None = None  # the label of the open {solution-start} block
    exercise_count: int = 0
    labels: list[str] = field(default_factory=list)


def _indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def has_solution_markers(source: str) -> bool:
    """Whether a code cell contains a ``### BEGIN SOLUTION`` marker."""
    return any(line.strip().startswith(BEGIN_SOLUTION) for line in source.splitlines())


def solution_regions(source: str) -> list[list[str]]:
    """The lines inside each BEGIN/END SOLUTION region of a code cell (markers excluded)."""
    regions: list[list[str]] = []
    current: list[str] | None = None
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN_SOLUTION):
            current = []
        elif stripped.startswith(END_SOLUTION):
            if current is not None:
                regions.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return regions


def stub_solutions(source: str, message: str = "write your solution here", where: str = "cell") -> str:
    """Replace each BEGIN/END SOLUTION region by a stub at the marker's indentation.

    >>> print(stub_solutions("def f(x):\\n    ### BEGIN SOLUTION\\n    return x\\n    ### END SOLUTION"))
    def f(x):
        # YOUR CODE HERE
        raise NotImplementedError("write your solution here")
    """
    out: list[str] = []
    inside = False
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN_SOLUTION):
            if inside:
                raise StudentEditionError(f"{where}, line {number}: {BEGIN_SOLUTION} inside another solution region")
            inside = True
            indent = _indent_of(line)
            out.append(f"{indent}# YOUR CODE HERE")
            out.append(f"{indent}raise NotImplementedError({json.dumps(message)})")
        elif stripped.startswith(END_SOLUTION):
            if not inside:
                raise StudentEditionError(f"{where}, line {number}: {END_SOLUTION} without {BEGIN_SOLUTION}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise StudentEditionError(f"{where}: {BEGIN_SOLUTION} without {END_SOLUTION}")
    return "\n".join(out)


def _fence_end(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing the fence opened at ``start`` (the last line if unclosed)."""
    char, length = fence[0], len(fence)
    for k in range(start + 1, len(lines)):
        m = FENCE_RE.match(lines[k])
        if m and m["fence"][0] == char and len(m["fence"]) >= length and not m["info"].strip():
            return k
    return len(lines) - 1


def _exercise_markdown(block: list[str], state: _State) -> list[str]:
    """An ``{exercise}`` directive block as plain Markdown."""
    opening = FENCE_RE.match(block[0])
    args = DIRECTIVE_RE.match(opening["info"])["args"].strip() if opening else ""
    body = block[1:-1] if len(block) > 1 and FENCE_RE.match(block[-1]) else block[1:]
    label = None
    options_done = False
    text: list[str] = []
    in_yaml = False
    for line in body:
        if not options_done:
            if line.strip() == "---":  # YAML option block
                in_yaml = not in_yaml
                continue
            if in_yaml:
                if line.strip().startswith("label:"):
                    label = line.split(":", 1)[1].strip()
                continue
            m = re.match(r"^:(\w[\w-]*):\s*(.*)$", line.strip())
            if m:
                if m[1] == "label":
                    label = m[2].strip()
                continue
            options_done = True
        text.append(line)
    state.exercise_count += 1
    title = f"**Exercise {state.exercise_count}**" + (f" ({args})" if args else "")
    anchor = [f'<a id="{label}"></a>', ""] if label else []
    while text and not text[0].strip():
        text.pop(0)
    return [*anchor, title, "", *text]


def _markdown(source: str, state: _State) -> str:
    """Drop solution blocks from a markdown cell and turn exercises into plain Markdown."""
    lines = source.splitlines()
    out: list[str] = []
    k = 0
    while k < len(lines):
        m = FENCE_RE.match(lines[k])
        directive = DIRECTIVE_RE.match(m["info"]) if m else None
        if m is None:
            if state.in_solution is None:
                out.append(lines[k])
            k += 1
            continue
        end = _fence_end(lines, k, m["fence"])
        name = directive["name"] if directive else None
        if name == "solution-start":
            if state.in_solution is not None:
                raise StudentEditionError(f"chapter {state.chapter}: {{solution-start}} inside the open solution of {state.in_solution}")
            state.in_solution = directive["args"].strip() or "?"
        elif name == "solution-end":
            if state.in_solution is None:
                raise StudentEditionError(f"chapter {state.chapter}: {{solution-end}} without {{solution-start}}")
            state.in_solution = None
        elif name == "solution" or state.in_solution is not None:
            pass  # a prose solution, or anything inside a gated solution: removed
        elif name == "exercise":
            out.extend(_exercise_markdown(lines[k : end + 1], state))
        else:
            out.extend(lines[k : end + 1])
        k = end + 1
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _nbgrader(grade_id: str, solution: bool, grade: bool) -> dict[str, Any]:
    """nbgrader's cell metadata (schema 3) for a solution cell or an autograded test cell."""
    meta: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = 1
    return meta


def convert_notebook(nb: Any, chapter: str = "", keep_solutions: bool = False, first_exercise: int = 1) -> Any:
    """The student edition of a parsed notebook (an ``nbformat`` v4 notebook; not modified).

    With ``keep_solutions`` the marked solution regions stay and cells get nbgrader
    metadata (the instructor's source notebook for nbgrader); prose solutions and
    unmarked solution code are removed either way. Exercises are numbered from
    ``first_exercise`` on, as the book numbers them (one count over all chapters).
    The number of exercises is stored in ``metadata["glove_lite"]["exercises"]``.
    """
    import nbformat

    state = _State(chapter, exercise_count=first_exercise - 1)
    cells = []
    last_label = None
    for index, cell in enumerate(nb.cells):
        source = cell.source
        where = f"chapter {chapter}, cell {index}"
        if cell.cell_type == "markdown":
            text = _markdown(source, state)
            if text:
                cells.append(nbformat.v4.new_markdown_cell(text, metadata=copy.deepcopy(cell.metadata)))
            continue
        if cell.cell_type != "code":
            if state.in_solution is None:
                cells.append(copy.deepcopy(cell))
            continue
        marked = has_solution_markers(source)
        label = state.in_solution
        if label is not None and not marked:
            # Solution code without markers is removed entirely; one empty cell takes the
            # place of each run of removed cells, for the student's own code.
            if not (cells and cells[-1].cell_type == "code" and cells[-1].source == PLACEHOLDER):
                cells.append(nbformat.v4.new_code_cell(PLACEHOLDER))
            continue
        metadata = copy.deepcopy(cell.metadata)
        for key in ("execution", "collapsed", "scrolled"):
            metadata.pop(key, None)
        if marked:
            last_label = label or last_label or f"cell-{index}"
            message = f"exercise {label}: write your solution here" if label else "write your solution here"
            if keep_solutions:
                stub_solutions(source, message, where)  # validates the markers
                metadata["nbgrader"] = _nbgrader(f"{last_label}-solution-{index}", solution=True, grade=False)
            else:
                source = stub_solutions(source, message, where)
        elif keep_solutions and CHECK_CALL_RE.search(source) and last_label:
            metadata["nbgrader"] = _nbgrader(f"{last_label}-check-{index}", solution=False, grade=True)
        cells.append(nbformat.v4.new_code_cell(source, metadata=metadata))
    if state.in_solution is not None:
        raise StudentEditionError(f"chapter {chapter}: {{solution-start}} {state.in_solution} is never closed by {{solution-end}}")
    out = nbformat.v4.new_notebook(cells=cells)
    metadata = copy.deepcopy(dict(nb.metadata))
    metadata.pop("jupytext", None)  # the edition is a plain notebook, paired with nothing
    metadata["glove_lite"] = {"edition": "nbgrader-source" if keep_solutions else "student",
                              "exercises": state.exercise_count - (first_exercise - 1)}
    out.metadata.update(metadata)
    note = (
        "> **Student edition.** The exercises at the end of this notebook have their solutions removed. "
        "Replace each `raise NotImplementedError(...)` with your code, run the cell, then run the check "
        "cell below it."
        if not keep_solutions
        else "> **nbgrader source.** Solution regions are marked for `nbgrader generate_assignment`."
    )
    position = 1 if cells and cells[0].cell_type == "markdown" else 0
    out.cells.insert(position, nbformat.v4.new_markdown_cell(note))
    nbformat.validator.normalize(out)
    return out


def chapters(root: Path) -> list[str]:
    """The chapters (``book/NN_name``) listed in ``_toc.yml``, in order."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files: list[str] = []

    def walk(entries: Iterable[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(str(entry["file"]))
            walk(entry.get("sections", []))

    walk(toc.get("chapters", []))
    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return [f for f in files if CHAPTER_RE.match(f)]


def read_chapter(root: Path, chapter: str) -> Any:
    """A chapter as a notebook: its MyST-markdown text if present, else its ``.ipynb``."""
    import jupytext
    import nbformat

    md = root / f"{chapter}.md"
    if md.exists():
        return jupytext.read(md, fmt="md:myst")
    return nbformat.read(root / f"{chapter}.ipynb", as_version=4)


def _write(nb: Any, path: Path) -> None:
    import nbformat

    from glove_lite.fileio import atomic_write

    nbformat.validate(nb)
    with atomic_write(path, overwrite=True) as fh:
        nbformat.write(nb, fh)


def build(root: Path, output: Path, nbgrader: Path | None = None) -> list[Path]:
    """Write the student edition (and optionally the nbgrader sources); returns the notebooks written."""
    root, output = Path(root), Path(output)
    output.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    names = chapters(root)
    first = 1
    if not names:
        raise StudentEditionError(f"{root / '_toc.yml'} lists no chapters (book/NN_name)")
    for chapter in names:
        number = CHAPTER_RE.match(chapter)[1]
        nb = read_chapter(root, chapter)
        target = output / f"{Path(chapter).name}.ipynb"
        student = convert_notebook(nb, number, first_exercise=first)
        _write(student, target)
        written.append(target)
        if nbgrader is not None:
            Path(nbgrader).mkdir(parents=True, exist_ok=True)
            _write(convert_notebook(nb, number, keep_solutions=True, first_exercise=first), Path(nbgrader) / target.name)
        first += student.metadata["glove_lite"]["exercises"]
    # Data files that chapters read relative to their folder (book/data/...) go along.
    for folder in sorted({(root / chapter).parent for chapter in names}):
        for name in DATA_DIRS:
            if (folder / name).is_dir():
                shutil.copytree(folder / name, output / name, dirs_exist_ok=True)
    for stale in output.glob("[0-9][0-9]_*.ipynb"):
        if stale not in written:
            stale.unlink()
    from glove_lite.fileio import atomic_write

    with atomic_write(output / "README.md", overwrite=True) as fh:
        fh.write(README)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glove_lite.student", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="the book's root folder, with _toc.yml (default: .)")
    parser.add_argument("--output", type=Path, default=None, help="output folder (default: ROOT/_build/student)")
    parser.add_argument("--nbgrader", type=Path, default=None, metavar="DIR",
                        help="also write nbgrader source notebooks (solutions kept, with nbgrader metadata) into DIR")
    args = parser.parse_args(argv)
    output = args.output if args.output is not None else args.root / "_build" / "student"
    try:
        written = build(args.root, output, args.nbgrader)
    except (StudentEditionError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    print(f"Student edition: {len(written)} notebooks and README.md in {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
