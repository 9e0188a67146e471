"""The student edition (python -m glove_lite.student, `make student`).

On a small fixture book: stubs replace the marked solution code at the right
indentation, solution blocks are removed, exercises become plain Markdown, checks stay,
and malformed markers are errors. On the real chapters: every notebook is valid, no
solution line leaks, and each runs top to bottom until its first stub, whose error is the
stub's NotImplementedError or a CheckFailed saying "not implemented yet".
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from glove_lite.student import (
    BEGIN_SOLUTION,
    StudentEditionError,
    build,
    chapters,
    has_solution_markers,
    main,
    solution_regions,
    stub_solutions,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
HEADER = """\
---
jupytext:
  formats: ipynb,md:myst
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
    jupytext_version: 1.19.6
kernelspec:
  display_name: Python 3 (ipykernel)
  language: python
  name: python3
---
"""

FIXTURE = HEADER + '''
# A demo chapter

Some teaching text.

```{code-cell} ipython3
import numpy as np
```

## Summary

Done.

## Exercises

```{exercise}
:label: ex-double
Write `double(x)`, which returns twice `x`.
```

```{solution-start} ex-double
:class: dropdown
```

The secret explanation of doubling.

```{code-cell} ipython3
print("secret helper cell without markers")
```

```{code-cell} ipython3
def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    secret_result = 2 * x
    return secret_result
    ### END SOLUTION
```

```{solution-end}
```

```{code-cell} ipython3
from glove_lite.exercises._base import CheckFailed, call_student


def check_double(fn):
    if call_student(fn, "double", 3) != 6:
        raise CheckFailed("double(3) should be 6")
    print("\\u2714 check_double passed")


check_double(double)
```

```{exercise} A harder one
:label: ex-class
Complete the method.
```

````{solution-start} ex-class
:class: dropdown
````

```{code-cell} ipython3
class Counter:
    def __init__(self):
        self.n = 0

    def bump(self):
        if True:
            ### BEGIN SOLUTION
            self.n += 41  # secret nested line
            ### END SOLUTION
        return self.n
```

````{solution-end}
````

```{exercise}
:label: ex-open
An open question: why?
```

````{solution} ex-open
:class: dropdown
Because of the secret prose reason.

```python
secret_code_in_prose = 1
```
````

:::{solution} ex-open
:class: dropdown
A secret colon-fenced answer.
:::

```{note}
A note that stays.
```
'''


def _book(tmp_path: Path, chapter_text: str = FIXTURE) -> Path:
    root = tmp_path / "book-root"
    (root / "book").mkdir(parents=True)
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/01_demo\n")
    (root / "book" / "intro.md").write_text("# Intro\n")
    (root / "book" / "01_demo.md").write_text(chapter_text)
    return root


@pytest.fixture
def student_nb(tmp_path):
    root = _book(tmp_path)
    out = tmp_path / "student"
    written = build(root, out)
    assert written == [out / "01_demo.ipynb"]
    return nbformat.read(out / "01_demo.ipynb", as_version=4)


def _text(nb) -> str:
    return "\n".join(cell.source for cell in nb.cells)


def test_fixture_edition_is_valid_and_clean(student_nb):
    nbformat.validate(student_nb)
    assert "jupytext" not in student_nb.metadata
    assert student_nb.metadata["kernelspec"]["name"] == "python3"
    for cell in student_nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
            compile(cell.source, "<cell>", "exec")


def test_fixture_solutions_are_gone(student_nb):
    text = _text(student_nb)
    assert "secret" not in text
    assert BEGIN_SOLUTION not in text and "solution-start" not in text and "solution-end" not in text
    assert "{solution}" not in text


def test_removed_solution_code_leaves_an_empty_cell(student_nb):
    sources = [c.source for c in student_nb.cells if c.cell_type == "code"]
    k = next(i for i, src in enumerate(sources) if src.startswith("def double"))
    assert sources[k - 1] == "# Your code here\n"  # in place of the unmarked solution cell
    assert sources.count("# Your code here\n") == 1


def test_fixture_stubs_keep_signature_and_indentation(student_nb):
    text = _text(student_nb)
    assert 'def double(x):\n    """Twice x."""\n    # YOUR CODE HERE\n    raise NotImplementedError("exercise ex-double: write your solution here")' in text
    assert '        if True:\n            # YOUR CODE HERE\n            raise NotImplementedError("exercise ex-class: write your solution here")\n        return self.n' in text


def test_fixture_checks_notes_and_exercises_stay(student_nb):
    text = _text(student_nb)
    assert "check_double(double)" in text
    assert "```{note}\nA note that stays.\n```" in text
    assert '<a id="ex-double"></a>\n\n**Exercise 1**\n\nWrite `double(x)`, which returns twice `x`.' in text
    assert "**Exercise 2** (A harder one)\n\nComplete the method." in text
    assert "**Exercise 3**\n\nAn open question: why?" in text
    assert "{exercise}" not in text and ":label:" not in text
    assert "Student edition" in student_nb.cells[1].source
    assert student_nb.metadata["glove_lite"] == {"edition": "student", "exercises": 3}


def test_exercises_numbered_across_chapters(tmp_path):
    """The book numbers exercises with one count over all chapters; so does the edition."""
    root = _book(tmp_path)
    (root / "book" / "02_more.md").write_text(FIXTURE.replace("ex-", "ex2-"))
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/01_demo\n  - file: book/02_more\n"
    )
    build(root, tmp_path / "out")
    text = _text(nbformat.read(tmp_path / "out" / "02_more.ipynb", as_version=4))
    assert "**Exercise 4**" in text and "**Exercise 6**" in text and "**Exercise 1**" not in text


def test_readme_written(tmp_path):
    root = _book(tmp_path)
    build(root, tmp_path / "out")
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "NotImplementedError" in readme and "check" in readme and "nbgrader" in readme


def test_data_folder_copied(tmp_path):
    root = _book(tmp_path)
    (root / "book" / "data").mkdir()
    (root / "book" / "data" / "results.json").write_text("{}")
    build(root, tmp_path / "out")
    assert (tmp_path / "out" / "data" / "results.json").read_text() == "{}"


def test_stale_notebooks_removed(tmp_path):
    root = _book(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "09_old.ipynb").write_text("{}")
    (out / "notes.txt").write_text("mine")
    build(root, out)
    assert not (out / "09_old.ipynb").exists() and (out / "notes.txt").exists()


def test_nbgrader_sources_keep_marked_solutions(tmp_path):
    root = _book(tmp_path)
    build(root, tmp_path / "out", nbgrader=tmp_path / "source")
    nb = nbformat.read(tmp_path / "source" / "01_demo.ipynb", as_version=4)
    nbformat.validate(nb)
    solutions = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [has_solution_markers(c.source) for c in solutions] == [True, True]
    assert "secret_result = 2 * x" in solutions[0].source
    assert len(graded) == 1 and "check_double(double)" in graded[0].source
    assert all(c.metadata["nbgrader"]["schema_version"] == 3 for c in solutions + graded)
    text = _text(nb)
    assert "secret explanation" not in text and "secret helper" not in text and "secret prose" not in text


def test_stub_solutions_unit():
    src = "x = 1\n### BEGIN SOLUTION\ny = secret()\n### END SOLUTION\nprint(x)"
    assert stub_solutions(src, "msg") == 'x = 1\n# YOUR CODE HERE\nraise NotImplementedError("msg")\nprint(x)'
    assert solution_regions(src) == [["y = secret()"]]
    assert stub_solutions("a = 1") == "a = 1"


@pytest.mark.parametrize(
    "source, error",
    [
        ("### BEGIN SOLUTION\nx = 1", "without ### END SOLUTION"),
        ("x = 1\n### END SOLUTION", "without ### BEGIN SOLUTION"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside another"),
    ],
)
def test_malformed_markers_are_errors(source, error):
    with pytest.raises(StudentEditionError, match=error):
        stub_solutions(source, where="cell 3")


def test_unclosed_gated_solution_is_an_error(tmp_path):
    text = FIXTURE.replace("```{solution-end}\n```\n", "", 1)
    with pytest.raises(StudentEditionError, match="never closed|inside the open solution"):
        build(_book(tmp_path, text), tmp_path / "out")


def test_command_line(tmp_path, capsys):
    root = _book(tmp_path)
    assert main(["--root", str(root), "--output", str(tmp_path / "o")]) == 0
    assert "Student edition: 1 notebooks" in capsys.readouterr().out
    assert main(["--root", str(tmp_path / "missing")]) == 1


# --------------------------------------------------------------------------- the real chapters

SOLUTION_START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}")
SOLUTION_END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}")
SOLUTION_BLOCK = re.compile(r"^(`{3,}|:{3,})\{solution\}")


def solution_only_lines(nb) -> set[str]:
    """Lines that appear in a chapter's solutions (code regions, gated blocks, prose solutions)
    and nowhere else in the chapter: none of them may reach the student edition."""
    inside, other = [], []
    gated = False
    for cell in nb.cells:
        if cell.cell_type == "code":
            regions = [line for region in solution_regions(cell.source) for line in region]
            if gated and not regions:
                inside.extend(cell.source.splitlines())  # unmarked solution code: removed whole
            else:
                inside.extend(regions)
                other.extend(line for line in cell.source.splitlines() if line not in regions)
            continue
        lines = cell.source.splitlines()
        k = 0
        while k < len(lines):
            line = lines[k]
            if SOLUTION_START.match(line):
                gated = True
            elif SOLUTION_END.match(line):
                gated = False
            elif SOLUTION_BLOCK.match(line):
                fence = SOLUTION_BLOCK.match(line)[1]
                k += 1
                while k < len(lines) and lines[k].strip() != fence:
                    inside.append(lines[k])
                    k += 1
            else:
                (inside if gated else other).append(line)
            k += 1
    common = {line.strip() for line in other}
    return {line.strip() for line in inside if len(line.strip()) > 3 and line.strip() not in common
            and not line.strip().startswith(":")}


@pytest.fixture(scope="session")
def student_edition(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student")
    build(REPO_ROOT, out)
    return out


def test_every_chapter_has_a_student_notebook(student_edition):
    names = sorted(p.name for p in student_edition.glob("*.ipynb"))
    assert names == sorted(f"{Path(c).name}.ipynb" for c in chapters(REPO_ROOT))
    assert (student_edition / "README.md").is_file()


def test_student_notebook_valid(student_edition, chapter):
    nb = nbformat.read(student_edition / f"{Path(chapter).name}.ipynb", as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None
            compile(cell.source, f"<{chapter}>", "exec")


def test_no_solution_leaks(student_edition, chapter):
    teacher = jupytext.read(REPO_ROOT / f"{chapter}.md", fmt="md:myst")
    student = nbformat.read(student_edition / f"{Path(chapter).name}.ipynb", as_version=4)
    student_lines = {line.strip() for cell in student.cells for line in cell.source.splitlines()}
    leaked = sorted(solution_only_lines(teacher) & student_lines)
    assert not leaked, f"{chapter}: solution lines in the student edition: {leaked[:5]}"
    assert BEGIN_SOLUTION not in _text(student)


def test_chapter_has_three_exercises(chapter):
    text = (REPO_ROOT / f"{chapter}.md").read_text(encoding="utf-8")
    exercises = re.findall(r"^(?:`{3,}|:{3,})\{exercise\}", text, flags=re.MULTILINE)
    assert len(exercises) >= 3, f"{chapter} has {len(exercises)} exercises; expected at least 3"
    assert "## Exercises" in text


def test_make_student_from_fresh_checkout(tmp_path):
    """`python -m glove_lite.student` works from the repository root of a clean copy (no _build)."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO_ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if name.startswith(("_toc.yml", "book/")) and (REPO_ROOT / name).is_file():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((REPO_ROOT / name).read_bytes())
    result = subprocess.run([sys.executable, "-m", "glove_lite.student"], cwd=tmp_path,
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "_build" / "student").glob("*.ipynb")) == sorted(
        f"{Path(c).name}.ipynb" for c in chapters(REPO_ROOT)
    )


# --------------------------------------------------------------------------- running the student notebooks

STUB_RE = re.compile(r"^\s*raise NotImplementedError\(", re.MULTILINE)


def execute(path: Path, cache: Path) -> list[dict]:
    """Run a notebook in a fresh kernel, continuing after errors; return each code cell's
    index, source and error (ename, evalue) or None (also for cells tagged
    ``raises-exception``, whose error the chapter shows on purpose)."""
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env = {"JAX_PLATFORMS": "cpu", "GLOVE_LITE_CACHE": str(cache), "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    cells = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        error = next(((o["ename"], o["evalue"]) for o in cell.outputs if o["output_type"] == "error"), None)
        if "raises-exception" in cell.metadata.get("tags", []):
            error = None  # the chapter shows this error on purpose
        cells.append({"index": index, "source": cell.source, "error": error})
    return cells


def test_fixture_edition_runs_until_stub(tmp_path):
    build(_book(tmp_path), tmp_path / "out")
    cells = execute(tmp_path / "out" / "01_demo.ipynb", tmp_path / "cache")
    errors = [c["error"] for c in cells if c["error"]]
    assert errors[0][0] == "CheckFailed" and "`double` is not implemented yet" in errors[0][1]
    assert cells[0]["error"] is None  # the chapter's own code ran
    assert len(errors) == 1  # defining the stubbed method raises nothing


@pytest.fixture(scope="session")
def executed_student_notebooks(student_edition, tmp_path_factory):
    """Every student notebook, run once per test session.

    Slow: each chapter runs in full (several minutes in all, with a cold cache). The tests
    that use it are named ``test_student_run_*``; ``-k "not student_run"`` skips them.
    """
    cache = tmp_path_factory.getbasetemp() / "cache"
    cache.mkdir(exist_ok=True)
    return {p.stem: execute(p, cache) for p in sorted(student_edition.glob("[0-9][0-9]_*.ipynb"))}


def test_student_run_until_first_stub(executed_student_notebooks, chapter):
    cells = executed_student_notebooks[Path(chapter).name]
    stubs = [k for k, c in enumerate(cells) if STUB_RE.search(c["source"])]
    assert stubs, f"{chapter}: the student edition has no stub (no coding exercise?)"
    errors = [(k, c) for k, c in enumerate(cells) if c["error"]]
    assert errors, f"{chapter}: no cell failed, but the exercises are unsolved"
    first, cell = errors[0]
    assert first >= stubs[0], (
        f"{chapter}: code cell {cell['index']} failed before the first exercise stub: {cell['error']}"
    )
    ename, evalue = cell["error"]
    assert ename in ("NotImplementedError", "CheckFailed"), f"{chapter}: first error {ename}: {evalue}"
    if ename == "CheckFailed":
        assert "not implemented yet" in evalue, evalue
    for k, c in errors:
        assert c["error"][0] in ("NotImplementedError", "CheckFailed"), (
            f"{chapter}: code cell {c['index']} raised {c['error'][0]}: {c['error'][1]} "
            "(only stubs and checks may fail in the student edition)"
        )


def test_student_run_checks_say_not_implemented(executed_student_notebooks, chapter):
    """Every check cell of the student edition fails with the 'not implemented yet' hint."""
    cells = executed_student_notebooks[Path(chapter).name]
    checks = [c for c in cells if re.search(r"^check_\w+\(", c["source"], re.MULTILINE)]
    assert checks, f"{chapter}: no check cell"
    for c in checks:
        assert c["error"] and c["error"][0] == "CheckFailed" and "not implemented yet" in c["error"][1], (
            f"{chapter}: check cell {c['index']} gave {c['error']}"
        )
