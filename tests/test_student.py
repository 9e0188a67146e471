"""The student edition (`make student`) and the nbgrader course (`make course`).

On a small fixture book: stubs replace the marked solution code at the right
indentation, solution blocks are removed, exercises become plain Markdown, checks stay,
MyST markup becomes plain Markdown, and malformed markers are errors. Nothing a student or
an instructor made is overwritten or deleted by a build or a clean. On the real chapters:
every notebook is valid, no solution line leaks, no MyST markup is left, and each runs top
to bottom until its first stub. The instructor's path runs end to end with nbgrader.
"""

from __future__ import annotations

import ast
import html
import os
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest

from glove_lite.book.convert import (
    BEGIN_SOLUTION,
    POINTS,
    StudentEditionError,
    chapters,
    graded_check_source,
    has_solution_markers,
    hidden_test_source,
    solution_regions,
    stub_solutions,
)
from glove_lite.book.course import build_course
from glove_lite.book.edition import build
from glove_lite.book.edition_folder import MANIFEST
from glove_lite.book.student import main

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
from glove_lite.book.exercises._base import CheckFailed, call_student


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
    outcomes = build(root, out)
    assert [(o.path, o.status) for o in outcomes] == [("01_demo.ipynb", "written"), ("README.md", "written")]
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
    assert "> **Note**\n>\n> A note that stays." in text  # an admonition, as plain Markdown
    assert '<a id="ex-double"></a>\n\n**Exercise 1**\n\nWrite `double(x)`, which returns twice `x`.' in text
    assert "**Exercise 2** (A harder one)\n\nComplete the method." in text
    assert "**Exercise 3**\n\nAn open question: why?" in text
    assert "{exercise}" not in text and ":label:" not in text
    assert "Student edition" in student_nb.cells[1].source
    assert student_nb.metadata["glove_lite"] == {
        "edition": "student", "exercises": 3,
        "checks": [["ex-double", ["check_double"]], ["ex-class", []], ["ex-open", []]],
    }


def test_open_questions_get_an_answer_cell(student_nb):
    """An exercise without a self-check is an open question: a cell for the answer follows it."""
    answers = [c for c in student_nb.cells if c.cell_type == "markdown" and c.source.startswith("**Your answer**")]
    assert [a.source for a in answers] == [
        "**Your answer** (Exercise 2): double-click to write here.",
        "**Your answer** (Exercise 3): double-click to write here.",
    ]
    sources = [c.source for c in student_nb.cells]
    k = sources.index(answers[1].source)
    assert "An open question: why?" in sources[k - 1] and "A note that stays." in sources[k + 1]


def test_question_inside_a_coded_exercise_gets_an_answer_cell_after_its_check(tmp_path, monkeypatch):
    """glove_lite.book.exercises.WRITTEN: a coded exercise that also asks a question gets an answer cell
    after its check (graded by hand in the course, where it holds the model answer)."""
    from glove_lite.book.exercises import WRITTEN

    monkeypatch.setitem(WRITTEN, "ex-double", "why doubling is linear")
    root = _book(tmp_path)
    build(root, tmp_path / "student")
    nb = nbformat.read(tmp_path / "student" / "01_demo.ipynb", as_version=4)
    sources = [c.source for c in nb.cells]
    k = sources.index("**Your answer** (Exercise 1: why doubling is linear): double-click to write here.")
    assert "check_double(double)" in sources[k - 1] and "**Exercise 2**" in sources[k + 1]
    course_nb = _course_notebook(tmp_path / "c")
    cell = next(c for c in course_nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "ex-double-answer")
    assert cell.metadata["nbgrader"]["points"] == POINTS["written"]
    assert "why doubling is linear" in cell.source and "The secret explanation of doubling." in cell.source


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
    assert "NotImplementedError" in readme and "check" in readme and "make course" in readme
    assert "updates/" in readme and "make clean" in readme  # what happens to the student's work


def test_only_notebooks_readme_and_manifest_are_written(tmp_path):
    """The chapters read their data from the installed package: nothing else is copied."""
    root = _book(tmp_path)
    (root / "book" / "data").mkdir()
    (root / "book" / "data" / "results.json").write_text("{}")
    build(root, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(["01_demo.ipynb", "README.md", MANIFEST])


# --------------------------------------------------------------------------- MyST as plain Markdown (item 3)

MYST_CHAPTER = FIXTURE.replace("Some teaching text.", """Some teaching text, after {cite}`pennington2014glove`; see {cite:t}`levy2015improving,smith2020two`.

X has {glue:text}`nnz` non-zeros, {glue:text}`share` of them large, and `{glue:text}` in code stays.

```{admonition} A rule
:class: tip
Quote {glue:text}`nnz`, never type it.
```

```python
print("{cite}`not-a-role-in-code`")
```

(a-target)=
% a MyST comment""")

BIB = """@inproceedings{pennington2014glove,
  author = {Pennington, Jeffrey and Socher, Richard and Manning, Christopher D.},
  title = {GloVe}, year = {2014}
}
@article{levy2015improving,
  author = {Levy, Omer and Goldberg, Yoav and Dagan, Ido}, title = {Improving}, year = {2015}
}
@misc{smith2020two,
  author = {Sm{\\"i}th, Ann and Jones, Bob}, title = {Two}, year = {2020}
}
"""


def _myst_book(tmp_path: Path, glued: dict[str, str]) -> Path:
    root = _book(tmp_path, MYST_CHAPTER)
    (root / "_config.yml").write_text("bibtex_bibfiles:\n  - book/references.bib\n")
    (root / "book" / "references.bib").write_text(BIB)
    nb = jupytext.reads(MYST_CHAPTER, fmt="md:myst")
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"application/papermill.record/text/plain": repr(v)},
                                           metadata={"scrapbook": {"name": k, "mime_prefix": "application/papermill.record/"}})
                    for k, v in glued.items()]
    nbformat.write(nb, root / "book" / "01_demo.ipynb")
    return root


def test_myst_roles_and_directives_become_plain_markdown(tmp_path):
    from glove_lite.book.myst import leftover_markup

    root = _myst_book(tmp_path, {"nnz": "5,164,845", "share": "0.3 %"})
    build(root, tmp_path / "out")
    nb = nbformat.read(tmp_path / "out" / "01_demo.ipynb", as_version=4)
    text = _text(nb)
    assert "after (Pennington et al., 2014); see Levy et al. (2015); Smïth and Jones (2020)." in text
    assert "X has 5,164,845 non-zeros, 0.3 % of them large, and `{glue:text}` in code stays." in text
    assert "> **A rule**\n>\n> Quote 5,164,845, never type it." in text
    assert 'print("{cite}`not-a-role-in-code`")' in text  # fenced code is left alone
    assert "(a-target)=" not in text and "MyST comment" not in text
    assert all(leftover_markup(c.source) == [] for c in nb.cells if c.cell_type == "markdown")


def test_missing_glued_value_names_the_command_that_stores_it(tmp_path):
    root = _myst_book(tmp_path, {"nnz": "5,164,845"})  # "share" was never stored
    with pytest.raises(Exception, match=r"share.*make execute NB=book/01_demo.md"):
        build(root, tmp_path / "out")


# --------------------------------------------------------------------------- answers off the page (item 4)


def test_cell_marked_answers_is_left_out(tmp_path):
    """Prose or code that gives an answer away carries the metadata `answers: <label>`."""
    chapter = FIXTURE.replace("Some teaching text.", """Some teaching text.

+++ {"answers": "ex-double"}

The secret: doubling is x + x.

+++

More text.

```{code-cell} ipython3
---
answers: [ex-double, ex-class]
---
print("secret code that doubles")
```""")
    root = _book(tmp_path, chapter)
    build(root, tmp_path / "out")
    nb = nbformat.read(tmp_path / "out" / "01_demo.ipynb", as_version=4)
    text = _text(nb)
    assert "secret" not in text and "More text." in text
    assert "it gives away the answer to Exercise 1.*" in text
    assert "it gives away the answer to Exercise 1 and Exercise 2.*" in text
    course = _course_notebook(tmp_path / "c", chapter)
    assert "doubling is x + x" not in _text(course)
    bad = chapter.replace('"answers": "ex-double"', '"answers": "ex-nothing"')
    with pytest.raises(StudentEditionError, match="ex-nothing"):
        build(_book(tmp_path / "bad", bad), tmp_path / "bad-out")


# --------------------------------------------------------------------------- nothing lost (item 1)


def _edit(path: Path, text: str = "my own answer") -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(text))
    nbformat.write(nb, path)


def test_student_edit_survives_a_rebuild(tmp_path):
    """`make student` twice, with an edit between: the edit stays; after a chapter changed, the new
    version goes to updates/ and the student's notebook stays as it is."""
    root = _book(tmp_path)
    out = tmp_path / "student"
    build(root, out)
    notebook = out / "01_demo.ipynb"
    _edit(notebook)
    mine = notebook.read_bytes()
    outcomes = build(root, out)  # the same book
    assert notebook.read_bytes() == mine
    assert [(o.path, o.status, o.update) for o in outcomes][0] == ("01_demo.ipynb", "kept", None)
    assert not (out / "updates").exists()

    (root / "book" / "01_demo.md").write_text(FIXTURE.replace("Some teaching text.", "Some better teaching text."))
    outcomes = build(root, out)
    assert notebook.read_bytes() == mine
    assert outcomes[0].status == "kept" and outcomes[0].update == "updates/01_demo.ipynb"
    assert "Some better teaching text." in (out / "updates" / "01_demo.ipynb").read_text()
    assert "kept 01_demo.ipynb" in outcomes[0].line() and "updates/01_demo.ipynb" in outcomes[0].line()

    (root / "book" / "01_demo.md").write_text(FIXTURE.replace("Some teaching text.", "Even better text."))
    build(root, out)  # an untouched update is replaced by the newer one
    assert "Even better text." in (out / "updates" / "01_demo.ipynb").read_text()
    _edit(out / "updates" / "01_demo.ipynb", "working in the update")
    (root / "book" / "01_demo.md").write_text(FIXTURE.replace("Some teaching text.", "The best text."))
    outcomes = build(root, out)
    assert outcomes[0].status == "blocked" and "move updates/01_demo.ipynb away" in outcomes[0].line()
    assert "working in the update" in (out / "updates" / "01_demo.ipynb").read_text()
    assert notebook.read_bytes() == mine
    assert main(["--root", str(root), "--output", str(out)]) == 1  # the new version could not be delivered: say so


def test_untouched_notebook_follows_the_book(tmp_path):
    root = _book(tmp_path)
    out = tmp_path / "student"
    build(root, out)
    (root / "book" / "01_demo.md").write_text(FIXTURE.replace("Some teaching text.", "Some better teaching text."))
    outcomes = build(root, out)
    assert outcomes[0].status == "written" and not (out / "updates").exists()
    assert "Some better teaching text." in (out / "01_demo.ipynb").read_text()


def test_files_the_edition_did_not_write_are_never_touched(tmp_path):
    """A notebook from elsewhere (an older edition, a classmate) is not replaced, a stale one
    the edition wrote and nobody changed is removed, an edited stale one stays."""
    root = _book(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "01_demo.ipynb").write_text("{}")
    (out / "notes.txt").write_text("mine")
    outcomes = build(root, out)
    assert (out / "01_demo.ipynb").read_text() == "{}" and (out / "notes.txt").read_text() == "mine"
    assert outcomes[0].status == "kept" and "not written by this edition" in outcomes[0].line()

    (root / "book" / "02_more.md").write_text(FIXTURE.replace("ex-", "ex2-"))
    (root / "book" / "03_last.md").write_text(FIXTURE.replace("ex-", "ex3-"))
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/01_demo\n"
                                   "  - file: book/02_more\n  - file: book/03_last\n")
    build(root, out)
    _edit(out / "03_last.ipynb")
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/01_demo\n")
    build(root, out)
    assert not (out / "02_more.ipynb").exists() and (out / "03_last.ipynb").exists()


def _course_notebook(tmp_path, text=FIXTURE):
    root = _book(tmp_path, text)
    outcomes = build_course(root, tmp_path / "course")
    assert [o.path for o in outcomes] == ["nbgrader_config.py", "README.md", "source/01_demo/01_demo.ipynb"]
    return nbformat.read(tmp_path / "course" / "source" / "01_demo" / "01_demo.ipynb", as_version=4)


def _instructor_files(course: Path) -> dict[str, bytes]:
    """A gradebook, a release, a submission, an autograded copy, feedback, a config edit: what an instructor makes."""
    made = {
        "gradebook.db": b"the instructor's gradebook",
        "release/01_demo/01_demo.ipynb": b"released",
        "submitted/alice/01_demo/01_demo.ipynb": b"alice's work",
        "submitted/alice/01_demo/timestamp.txt": b"2026-12-01 10:00:00",
        "autograded/alice/01_demo/01_demo.ipynb": b"graded",
        "feedback/alice/01_demo/01_demo.html": b"<p>well done</p>",
        "source/01_demo/.ipynb_checkpoints/01_demo-checkpoint.ipynb": b"a checkpoint",
    }
    for rel, data in made.items():
        (course / rel).parent.mkdir(parents=True, exist_ok=True)
        (course / rel).write_bytes(data)
    config = course / "nbgrader_config.py"
    config.write_text(config.read_text() + "c.Exchange.root = '/srv/exchange'\n")
    made["nbgrader_config.py"] = config.read_bytes()
    return made


def test_course_never_replaces_or_deletes_the_instructors_files(tmp_path):
    root = _book(tmp_path)
    course = tmp_path / "course"
    build_course(root, course)
    assert {o.status for o in build_course(root, course)} == {"unchanged"}  # the same edition again
    made = _instructor_files(course)
    (root / "book" / "01_demo.md").write_text(FIXTURE.replace("Some teaching text.", "Some better teaching text."))
    outcomes = {o.path: o for o in build_course(root, course)}
    assert main(["--root", str(root), "--course", str(course)]) == 0  # no dead end: make course works
    for rel, data in made.items():
        assert (course / rel).read_bytes() == data, rel
    # the edited config and the released assignment's source stay; their new versions go to updates/
    assert outcomes["nbgrader_config.py"].status == "kept" and outcomes["nbgrader_config.py"].update is None
    source = outcomes["source/01_demo/01_demo.ipynb"]
    assert source.status == "kept" and source.reason == "released" and source.update == "updates/source/01_demo/01_demo.ipynb"
    assert "Some better teaching text." in (course / source.update).read_text()
    assert "Some better teaching text." not in (course / "source/01_demo/01_demo.ipynb").read_text()


def test_unreleased_assignment_follows_the_book(tmp_path):
    root = _book(tmp_path)
    course = tmp_path / "course"
    build_course(root, course)
    (root / "book" / "01_demo.md").write_text(FIXTURE.replace("Some teaching text.", "Some better teaching text."))
    outcomes = {o.path: o for o in build_course(root, course)}
    assert outcomes["source/01_demo/01_demo.ipynb"].status == "written"
    assert "Some better teaching text." in (course / "source/01_demo/01_demo.ipynb").read_text()


def test_course_sources_keep_marked_solutions(tmp_path):
    nb = _course_notebook(tmp_path)
    nbformat.validate(nb)
    cells = {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells if "nbgrader" in c.metadata}
    assert list(cells) == ["ex-double-solution", "ex-double-check", "ex-class-solution", "ex-class-answer", "ex-open-answer"]
    assert "secret_result = 2 * x" in cells["ex-double-solution"].source
    assert has_solution_markers(cells["ex-class-solution"].source)
    assert "check_double(double)" in cells["ex-double-check"].source  # the chapter's own check: all or nothing
    assert all(c.metadata["nbgrader"]["schema_version"] == 3 for c in cells.values())
    # the unmarked solution code is not in any code cell (the release would keep it)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "secret helper" not in code and "secret explanation" not in _text(nb).replace(cells["ex-class-answer"].source, "")


def test_course_metadata_points_and_locks(tmp_path):
    nb = _course_notebook(tmp_path)
    meta = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata}
    assert meta["ex-double-solution"] == {"grade": False, "grade_id": "ex-double-solution", "locked": False,
                                         "schema_version": 3, "solution": True, "task": False}
    assert meta["ex-double-check"]["points"] == POINTS["check"] and meta["ex-double-check"]["locked"]
    assert meta["ex-open-answer"] == {"grade": True, "grade_id": "ex-open-answer", "locked": False, "points": POINTS["answer"],
                                      "schema_version": 3, "solution": True, "task": False}


def test_course_answer_cells_hold_the_model_answer(tmp_path):
    nb = _course_notebook(tmp_path)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
               if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-answer")}
    assert "Because of the secret prose reason." in answers["ex-open-answer"]
    assert "secret_code_in_prose = 1" in answers["ex-open-answer"]
    assert "A secret colon-fenced answer." in answers["ex-open-answer"]
    assert all(c.cell_type == "markdown" for c in nb.cells if c.source in answers.values())


def test_course_grade_ids_do_not_depend_on_cell_positions(tmp_path):
    """Ids come from the exercise labels: editing the chapter above the exercises keeps them."""
    first = _course_notebook(tmp_path / "a")
    edited = FIXTURE.replace("## Summary", "```{code-cell} ipython3\nx = 1\n```\n\nMore text.\n\n## Summary")
    second = _course_notebook(tmp_path / "b", edited)
    ids = [[c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata] for nb in (first, second)]
    assert ids[0] == ids[1] and len(second.cells) > len(first.cells)
    assert not any(re.search(r"\d", i) for i in ids[0])


def test_hidden_test_cell_for_library_checks():
    assert hidden_test_source("from glove_lite.book.exercises import check_spearman\n\ncheck_spearman(spearman)", 1) == (
        "# Hidden tests: the graders' other cases run here when the assignment is graded.\n"
        "### BEGIN HIDDEN TESTS\ncheck_spearman(spearman, hidden=True, points=1)\n### END HIDDEN TESTS"
    )
    assert hidden_test_source("check_double(double)") is None  # not a glove_lite check


def test_graded_check_cell_gives_partial_credit():
    """The course's check cell passes points=, and the call is its last line: its value is the score."""
    cell = "from glove_lite.book.exercises import check_spearman\n\ncheck_spearman(my_spearman)"
    assert graded_check_source(cell, 2) == "from glove_lite.book.exercises import check_spearman\n\ncheck_spearman(my_spearman, points=2)"
    assert graded_check_source("check_double(double)", 2) == "check_double(double)"
    with pytest.raises(StudentEditionError, match="last line"):
        graded_check_source("check_spearman(f)\nprint('done')", 2)


def test_course_folder_layout_and_readme(tmp_path):
    root = _book(tmp_path)
    course = tmp_path / "course"
    build_course(root, course)
    config = (course / "nbgrader_config.py").read_text()
    assert 'course_id = "glove-lite"' in config and "autograde_preprocessors" in config
    assert "os.path.dirname(sys.executable)" in config  # nbgrader finds alembic without an activated environment
    compile(config, "nbgrader_config.py", "exec")
    readme = (course / "README.md").read_text()
    assert "nbgrader autograde" in readme and "jupyter lab" in readme and "Formgrader" in readme
    assert "nbgrader formgrader" not in readme  # not a command
    activate = re.search(r"`source ([^`]+)`", readme)[1]
    target = Path(activate) if Path(activate).is_absolute() else course / activate
    assert target.resolve() == (Path(sys.prefix) / "bin" / "activate").resolve()


def test_command_line(tmp_path, capsys):
    root = _book(tmp_path)
    assert main(["--root", str(root), "--output", str(tmp_path / "o")]) == 0
    assert "2 written" in capsys.readouterr().out
    assert main(["--root", str(tmp_path / "missing")]) == 2
    assert main(["--root", str(root), "--course", str(tmp_path / "c")]) == 0
    assert "nbgrader generate_assignment 01_demo" in capsys.readouterr().out
    from glove_lite.book import course, edition

    assert edition.main(["--root", str(root)]) == 0 and (root / "student" / "01_demo.ipynb").is_file()
    assert course.main(["--root", str(root)]) == 0 and (root / "course" / "source" / "01_demo" / "01_demo.ipynb").is_file()


def test_shadowed_names_found():
    """An exercise that redefines a chapter's name breaks re-running the chapter (issue 12, item 7)."""
    from glove_lite.book.convert import bound_names, shadowed_names

    chapter = FIXTURE.replace("import numpy as np\n```", "import numpy as np\nfrom m import double\n\nfor k in range(3):\n    pass\n```")
    nb = jupytext.reads(chapter.replace("secret_result = 2 * x", "k = 2 * x\n    secret_result = k"), fmt="md:myst")
    assert shadowed_names(nb) == {"double": "ex-double"}  # k is local to the function: not shadowing
    assert shadowed_names(jupytext.reads(FIXTURE, fmt="md:myst")) == {}
    again = FIXTURE.replace('print("secret helper cell without markers")', "import numpy as np")
    assert shadowed_names(jupytext.reads(again, fmt="md:myst")) == {}  # the chapter's own import again: harmless
    other = FIXTURE.replace('print("secret helper cell without markers")', "from math import pi as np")
    assert shadowed_names(jupytext.reads(other, fmt="md:myst")) == {"np": "ex-double"}
    assert bound_names("import a.b\nfrom c import d as e\nx, (y, z) = 1, (2, 3)\nfor i in []: pass\nwith f() as g: pass") == \
        {"a", "e", "x", "y", "z", "i", "g"}


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


def test_exercises_do_not_shadow_the_chapter(chapter):
    """No exercise rebinds a name the chapter binds: re-running the chapter after a stub stays correct."""
    from glove_lite.book.convert import shadowed_names

    nb = jupytext.read(REPO_ROOT / f"{chapter}.md", fmt="md:myst")
    assert shadowed_names(nb) == {}, f"{chapter}: exercises rebind the chapter's names {shadowed_names(nb)}"


def test_chapter_has_three_exercises(chapter):
    text = (REPO_ROOT / f"{chapter}.md").read_text(encoding="utf-8")
    exercises = re.findall(r"^(?:`{3,}|:{3,})\{exercise\}", text, flags=re.MULTILINE)
    assert len(exercises) >= 3, f"{chapter} has {len(exercises)} exercises; expected at least 3"
    assert "## Exercises" in text


def test_student_edition_shows_signatures_of_answers(student_edition):
    """show_source of a function an exercise asks for becomes show_signature naming that exercise."""
    from glove_lite.book.exercises import ANSWERS
    from glove_lite.book.exercises._base import code_of, library_object
    from glove_lite.book.convert import _resolve, chapter_imports, exercises_of, read_book

    book = read_book(REPO_ROOT)
    by_number = {e.number: e for e in exercises_of(book).values()}
    answer_codes = {code_of(library_object(p)) for e in by_number.values() for c in e.checks for p in ANSWERS.get(c, ())}
    hidden = set()
    for path in sorted(student_edition.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        imports = chapter_imports(nb)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            for m in re.finditer(r"show_source\(([\w.]+)\)", cell.source):
                obj = _resolve(ast.parse(m[1], mode="eval").body, imports)
                assert code_of(obj) not in answer_codes, f"{path.name}: {m[0]} shows an exercise's answer"
            for m in re.finditer(r"show_signature\(([\w.]+), exercise=(\d+)\)", cell.source):
                obj = _resolve(ast.parse(m[1], mode="eval").body, imports)
                exercise = by_number[int(m[2])]
                assert any(code_of(obj) == code_of(library_object(p)) for c in exercise.checks for p in ANSWERS[c])
                hidden.add(getattr(obj, "__qualname__", m[1]))
    # the three issue 12 found (exercises 9, 10 and 13 of the first edition), and their siblings;
    # then the loops and forms of the loss and the gradients that issue 23 found on the page
    assert {"weighting_fn", "glove_loss", "weighted_pair_loss", "init_params"} <= hidden
    assert {"naive_cooc_matrix", "loss_by_loop", "dense_block_loss"} <= hidden


def test_fixture_show_source_of_an_answer_becomes_a_signature(tmp_path):
    chapter = FIXTURE.replace("```{code-cell} ipython3\nimport numpy as np\n```", """```{code-cell} ipython3
import numpy as np
from glove_lite import loss
from glove_lite.book.display import show_source
from glove_lite.loss import weighting_fn as f

show_source(f)
show_source(loss.glove_loss)
```""").replace("## Summary", """```{exercise}
:label: ex-f
Write `my_f`.
```

```{code-cell} ipython3
def my_f(x, xmax=100.0, alpha=0.75):
    ### BEGIN SOLUTION
    return x
    ### END SOLUTION
```

```{code-cell} ipython3
from glove_lite.book.exercises import check_weighting_fn

check_weighting_fn(my_f)
```

## Summary""")
    build(_book(tmp_path, chapter), tmp_path / "out")
    nb = nbformat.read(tmp_path / "out" / "01_demo.ipynb", as_version=4)
    cell = next(c.source for c in nb.cells if "show_" in c.source)
    assert cell.startswith("from glove_lite.book.exercises import show_signature\n")
    assert "show_signature(f, exercise=1)\nshow_source(loss.glove_loss)" in cell  # only the exercise's answer


def test_outline_leaves_the_body_out():
    from glove_lite.book.exercises._display import outline
    from glove_lite.loss import weighting_fn
    from glove_lite.vectors import WordVectors

    text = outline(weighting_fn, 9)
    assert text.startswith("def weighting_fn(x: Array, xmax: float = 100.0, alpha: float = 0.75) -> Array:\n    \"\"\"f(x)")
    assert text.endswith("    ...  # the body is left out of the student edition: Exercise 9 asks you to write it")
    assert "jnp.where" not in text
    compile(text, "<outline>", "exec")
    assert "sims" not in outline(WordVectors.most_similar)
    assert "def most_similar(" in outline(WordVectors.most_similar)


def test_make_student_from_fresh_checkout(tmp_path):
    """`python -m glove_lite.book.edition` works from the repository root of a clean copy, into student/."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO_ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    for name in files:
        if name.startswith(("_toc.yml", "_config.yml", "book/")) and (REPO_ROOT / name).is_file():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((REPO_ROOT / name).read_bytes())
    result = subprocess.run([sys.executable, "-m", "glove_lite.book.edition"], cwd=tmp_path,
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "student").glob("*.ipynb")) == sorted(
        f"{Path(c).name}.ipynb" for c in chapters(REPO_ROOT)
    )


def test_no_myst_markup_left(student_edition, chapter):
    """Jupyter would show {glue:text}, {cite} and directives raw (issue 23, item 3): the glued values,
    the citations and the admonitions come out as plain Markdown, in the edition and in the course."""
    from glove_lite.book.myst import glue_values, leftover_markup

    name = Path(chapter).name
    student = nbformat.read(student_edition / f"{name}.ipynb", as_version=4)
    for nb in (student,):
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                assert leftover_markup(cell.source) == [], f"{chapter}: {leftover_markup(cell.source)[:3]}"
    teacher = (REPO_ROOT / f"{chapter}.md").read_text(encoding="utf-8")
    quoted = re.findall(r"\{glue:text\}`(\w+)`", teacher.split("## Exercises")[0])
    values = glue_values(REPO_ROOT / f"{chapter}.ipynb")
    text = _text(student)
    assert all(values[key] in text for key in quoted)
    if "{cite}" in teacher.split("## Exercises")[0]:
        assert re.search(r"\([A-Z][^()]*, (19|20)\d\d[;)]", text), f"{chapter}: no citation rendered"


def test_every_coded_exercise_says_what_it_asks_besides_code(student_edition):
    """glove_lite.book.exercises.WRITTEN classifies every coded exercise of the book: a question inside
    it gets an answer cell (issue 23, item 5), None says its code is the whole answer."""
    from glove_lite.book.convert import exercises_of, read_book
    from glove_lite.book.exercises import WRITTEN

    exercises = exercises_of(read_book(REPO_ROOT))
    coded = {label for label, e in exercises.items() if not e.is_open}
    assert set(WRITTEN) == coded
    answers = {int(m[1]): m[2] for path in student_edition.glob("[0-9][0-9]_*.ipynb")
               for c in nbformat.read(path, as_version=4).cells
               for m in [re.match(r"^\*\*Your answer\*\* \(Exercise (\d+)(?:: (.*))?\)", c.source)] if m}
    for label, e in exercises.items():
        if e.is_open:
            assert answers.get(e.number, "x") is None, label
        elif WRITTEN[label] is None:
            assert e.number not in answers, label
        else:
            assert answers[e.number] == WRITTEN[label], label


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
        text = "".join(o.get("text", "") + "".join(str(v) for k, v in o.get("data", {}).items() if k.startswith("text/"))
                       for o in cell.outputs)
        cells.append({"index": index, "source": cell.source, "error": error, "output": text})
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


def _has_coded_exercises(chapter: str) -> bool:
    """Whether the chapter's source marks code for the student to write (chapter 0 only asks questions)."""
    return "### BEGIN SOLUTION" in Path(chapter).with_suffix(".md").read_text(encoding="utf-8")


def test_student_run_until_first_stub(executed_student_notebooks, chapter):
    cells = executed_student_notebooks[Path(chapter).name]
    if not _has_coded_exercises(chapter):  # nothing to write: the edition runs from top to bottom
        failed = [(c["index"], c["error"]) for c in cells if c["error"]]
        assert not failed, f"{chapter}: cells failed in the student edition: {failed}"
        return
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
    if not _has_coded_exercises(chapter):
        assert not checks, f"{chapter}: check cells but no code to write"
        return
    assert checks, f"{chapter}: no check cell"
    for c in checks:
        assert c["error"] and c["error"][0] == "CheckFailed" and "not implemented yet" in c["error"][1], (
            f"{chapter}: check cell {c['index']} gave {c['error']}"
        )


def _answer_body_lines() -> dict[str, set[str]]:
    """For each library function that is an exercise's answer: its body lines (not its outline)."""
    from glove_lite.book.display import source
    from glove_lite.book.exercises import ANSWERS
    from glove_lite.book.exercises._base import library_object
    from glove_lite.book.exercises._display import outline

    bodies = {}
    for paths in ANSWERS.values():
        for path in paths:
            obj = library_object(path)
            shown = {line.strip() for line in outline(obj).splitlines()}
            bodies[path] = {line.strip() for line in source(obj).splitlines()
                            if len(line.strip()) > 20 and line.strip() not in shown}
    return bodies


def test_student_run_prints_no_answer(executed_student_notebooks, chapter):
    """No output of the student edition shows the body of a function an exercise asks for (issue 12, item 6).

    A body counts as shown when one output holds at least half of its lines (a line such as
    ``W, W_tilde, b, b_tilde = params`` alone also belongs to other functions the chapter shows).
    """
    cells = executed_student_notebooks[Path(chapter).name]
    for path, body in _answer_body_lines().items():
        for cell in cells:
            shown = sorted(line for line in body if line in cell["output"])
            assert not body or 2 * len(shown) < len(body), (
                f"{chapter}: code cell {cell['index']} prints the answer {path}: {shown[:2]}")


# --------------------------------------------------------------------------- the instructor's path, end to end

GRADING_CHAPTER = HEADER + '''
# A chapter to grade

```{code-cell} ipython3
import numpy as np
```

## Exercises

```{exercise}
:label: ex-ids
Write `my_tokens_to_ids(tokens, index)`.
```

```{solution-start} ex-ids
:class: dropdown
```

```{code-cell} ipython3
def my_tokens_to_ids(tokens, index):
    ### BEGIN SOLUTION
    return np.array([index[t] for t in tokens if t in index], dtype=np.int32)
    ### END SOLUTION
```

```{solution-end}
```

```{code-cell} ipython3
from glove_lite.book.exercises import check_tokens_to_ids

check_tokens_to_ids(my_tokens_to_ids)
```

```{exercise}
:label: ex-rho
Write `my_spearman(x, y)`.
```

```{solution-start} ex-rho
:class: dropdown
```

```{code-cell} ipython3
def my_spearman(x, y):
    ### BEGIN SOLUTION
    from scipy.stats import rankdata

    return float(np.corrcoef(rankdata(x), rankdata(y))[0, 1])
    ### END SOLUTION
```

```{solution-end}
```

```{code-cell} ipython3
from glove_lite.book.exercises import check_spearman

check_spearman(my_spearman)
```

```{exercise}
:label: ex-why
Why ranks?
```

```{solution} ex-why
:class: dropdown
The model answer: only the order matters.
```
'''

# Drops punctuation too: right on the visible check (its vocabulary has only words), wrong
# on the hidden tests (theirs has a comma).
WRONG_IDS = """def my_tokens_to_ids(tokens, index):
    return np.array([index[t] for t in tokens if t in index and t.isalpha()], dtype=np.int32)"""

WRONG_RHO = """def my_spearman(x, y):
    return float(np.corrcoef(x, y)[0, 1])  # Pearson's, of the values"""

# Right without ties, wrong with them: half the parts of the check.
PARTLY_RHO = """def my_spearman(x, y):
    return float(np.corrcoef(np.argsort(np.argsort(x)), np.argsort(np.argsort(y)))[0, 1])"""


def _nbgrader(course: Path, *args: str, check: bool = True, path: str | None = None) -> subprocess.CompletedProcess:
    """Run nbgrader in ``course``; ``path`` replaces PATH (the default: this environment's bin first)."""
    if path is None:
        path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, "JAX_PLATFORMS": "cpu"}
    result = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), *args], cwd=course, env=env,
                            capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def _submit(course: Path, student: str, release: Path, answers: dict[str, str], assignment: str = "01_grading") -> None:
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    target = course / "submitted" / student / assignment / f"{assignment}.ipynb"
    target.parent.mkdir(parents=True)
    nbformat.write(nb, target)


def _scores(course: Path, assignment: str, students: list[str]) -> dict[str, dict[str, tuple[float, bool]]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "glove-lite") as gb:
        return {student: {g.name: (g.score, g.needs_manual_grade)
                          for g in gb.find_submission_notebook(assignment, assignment, student).grades}
                for student in students}


def test_course_grades_correct_partial_wrong_and_empty_submissions(tmp_path):
    """make course -> generate_assignment -> four submissions -> autograde -> the expected scores,
    partial credit included."""
    root = _book(tmp_path, GRADING_CHAPTER)
    (root / "book" / "01_demo.md").rename(root / "book" / "01_grading.md")
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n  - file: book/01_grading\n")
    course = tmp_path / "course"
    build_course(root, course)
    source_nb = nbformat.read(course / "source" / "01_grading" / "01_grading.ipynb", as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source_nb.cells if "nbgrader" in c.metadata}

    _nbgrader(course, "generate_assignment", "01_grading")
    release = course / "release" / "01_grading" / "01_grading.ipynb"
    released = release.read_text()
    assert "BEGIN SOLUTION" not in released and "hidden=True" not in released and "model answer" not in released
    assert "rankdata(x), rankdata(y)" not in released and "YOUR ANSWER HERE" in released

    _submit(course, "correct", release, {"ex-ids-solution": solutions["ex-ids-solution"],
                                         "ex-rho-solution": solutions["ex-rho-solution"],
                                         "ex-why-answer": "Only the order matters."})
    _submit(course, "partial", release, {"ex-ids-solution": solutions["ex-ids-solution"], "ex-rho-solution": PARTLY_RHO})
    _submit(course, "wrong", release, {"ex-ids-solution": WRONG_IDS, "ex-rho-solution": WRONG_RHO,
                                       "ex-why-answer": "Because."})
    _submit(course, "empty", release, {})
    _nbgrader(course, "autograde", "01_grading")
    _nbgrader(course, "generate_feedback", "01_grading")

    scores = _scores(course, "01_grading", ["correct", "partial", "wrong", "empty"])
    c, h, a = POINTS["check"], POINTS["hidden"], POINTS["answer"]
    assert scores["correct"] == {"ex-ids-check": (c, False), "ex-ids-hidden": (h, False), "ex-rho-check": (c, False),
                                 "ex-rho-hidden": (h, False), "ex-why-answer": (0, True)}
    assert scores["partial"] == {"ex-ids-check": (c, False), "ex-ids-hidden": (h, False), "ex-rho-check": (c / 2, False),
                                 "ex-rho-hidden": (h / 2, False), "ex-why-answer": (0, False)}
    assert scores["wrong"] == {"ex-ids-check": (c, False), "ex-ids-hidden": (0, False), "ex-rho-check": (0, False),
                               "ex-rho-hidden": (0, False), "ex-why-answer": (0, True)}
    assert scores["empty"] == {"ex-ids-check": (0, False), "ex-ids-hidden": (0, False), "ex-rho-check": (0, False),
                               "ex-rho-hidden": (0, False), "ex-why-answer": (0, False)}
    feedback = html.unescape((course / "feedback" / "wrong" / "01_grading" / "01_grading.html").read_text())
    assert "returned [0, 2, 3]; expected [0, 1, 2, 3]" in feedback  # the hidden test's hint
    assert "that is Pearson's correlation of the values themselves" in feedback
    feedback = html.unescape((course / "feedback" / "partial" / "01_grading" / "01_grading.html").read_text())
    assert "check_spearman: 1 of 2 points" in feedback and "average of their ranks" in feedback


def _chapter_named(label: str) -> str:
    """The chapter (book/NN_name) whose exercises include ``label``."""
    from glove_lite.book.convert import exercises_of, read_book

    return exercises_of(read_book(REPO_ROOT))[label].chapter


# A partly right answer to each coded exercise of the co-occurrence chapter: the total right, the
# window matrix right but by a loop over the tokens (too slow), the float32 matrix converted at the end.
PARTLY_RIGHT_COOC = {
    "ex-cooc-window-solution": """def my_cooc_window(documents, vocab_size, window_size):
    X = np.zeros((vocab_size, vocab_size))
    for ids in documents:
        for p in range(len(ids)):
            for q in range(p + 1, min(p + window_size + 1, len(ids))):
                X[ids[p], ids[q]] += 1.0 / (q - p)
                X[ids[q], ids[p]] += 1.0 / (q - p)
    return X""",
    "ex-cooc-float32-solution": """def my_cooc_float32(documents, vocab_size, window_size):
    X = np.zeros((vocab_size, vocab_size))
    for ids in documents:
        for d in range(1, window_size + 1):
            np.add.at(X, (ids[:-d], ids[d:]), 1.0 / d)
            np.add.at(X, (ids[d:], ids[:-d]), 1.0 / d)
    return X.astype(np.float32)""",
}


def test_grading_a_real_chapter_end_to_end(tmp_path):
    """The book's co-occurrence chapter graded with nbgrader, called without the book's environment on
    PATH (nbgrader_config.py finds alembic): a correct, a partly right and an empty submission score
    in that order, strictly; the chapter's own computations (tokenising the corpus, counting X) are
    not run, and the feedback says so."""
    chapter = _chapter_named("ex-cooc-window")
    name = Path(chapter).name
    root = tmp_path / "book-root"  # the book with this one chapter, whatever the state of the others
    for rel in ("_config.yml", "book/references.bib", f"{chapter}.md", f"{chapter}.ipynb"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes((REPO_ROOT / rel).read_bytes())
    (root / "_toc.yml").write_text(f"format: jb-book\nroot: book/intro\nchapters:\n  - file: {chapter}\n")
    course = tmp_path / "course"
    build_course(root, course)
    bare_path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                                if Path(p).resolve() != Path(sys.executable).parent.resolve())
    _nbgrader(course, "generate_assignment", name, path=bare_path)
    source_nb = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source_nb.cells
                 if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"}
    release = course / "release" / name / f"{name}.ipynb"
    _submit(course, "correct", release, solutions, name)
    _submit(course, "partial", release, {**solutions, **PARTLY_RIGHT_COOC}, name)
    _submit(course, "empty", release, {}, name)
    _nbgrader(course, "autograde", name, path=bare_path)

    scores = _scores(course, name, ["correct", "partial", "empty"])
    total = {student: sum(score for score, _ in grades.values()) for student, grades in scores.items()}
    auto_max = sum(POINTS["check"] + POINTS["hidden"] for c in source_nb.cells
                   if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-check"))
    assert total["correct"] == auto_max  # every check and hidden test passes
    assert total["empty"] < total["partial"] < total["correct"], total
    assert total["empty"] == 0
    graded = nbformat.read(course / "autograded" / "partial" / name / f"{name}.ipynb", as_version=4)
    skipped = [c for c in graded.cells if c.cell_type == "code" and any(
        "not run when this submission was graded" in o.get("text", "") for o in c.outputs)]
    assert any("build_cooc_matrix(" in c.source for c in skipped)
    assert any("tokenize_documents(" in c.source for c in skipped)


def test_failing_nbgrader_step_exits_non_zero(tmp_path):
    """The README tells instructors to chain the steps: a step that fails must say so in its status."""
    root = _book(tmp_path)
    course = tmp_path / "course"
    build_course(root, course)
    (course / "source" / "01_demo" / "01_demo.ipynb").write_text("{ not a notebook")
    result = _nbgrader(course, "generate_assignment", "01_demo", check=False)
    assert result.returncode != 0


# --------------------------------------------------------------------------- what a graded run needs (item 6)


def _cells(*sources: str, graded: tuple[int, ...] = ()) -> list[dict]:
    return [{"cell_type": "code", "source": src, "metadata": {"nbgrader": {"solution": True}} if k in graded else {}}
            for k, src in enumerate(sources)]


def test_grading_runs_only_what_graded_cells_need():
    from glove_lite.book.grading import needed_statements

    cells = _cells(
        "import sys  # the setup cell always runs",
        "import numpy as np\nimport jax.numpy as jnp\nfrom glove_lite.loss import weighting_fn",
        "tokens = slow_tokenize()\nvocab = tokens.vocabulary(10)\nprint(vocab)",
        "X = build(tokens)\nglue('nnz', X.nnz)",
        "SCALE = 2.0\nunused = 3",
        "def my_f(x):\n    y = jnp.where(x < 1, x, weighting_fn(x))\n    return SCALE * y",
        "check_f(my_f, points=2)",
        "print(vocab.index)  # the student's exploring, after the exercise",
        graded=(5, 6),
    )
    plan = needed_statements(cells)
    assert plan[0] is None and plan[5] is None and plan[6] is None  # setup and graded cells: whole
    assert plan[1] == [1, 2]  # jnp and weighting_fn, not numpy
    assert plan[2] == [] and plan[3] == [] and plan[7] == []  # the corpus and X: not needed
    assert plan[4] == [0]  # SCALE, not unused


def test_grading_keeps_what_a_needed_name_depends_on():
    from glove_lite.book.grading import needed_statements

    cells = _cells(
        "import sys",
        "data = load()\nother = 1",
        "data[0] = 5",
        "data.sort()",
        "table = {k: v for k, v in enumerate(data)}",
        "def helper(k):\n    return table[k]",
        "def my_g(k):\n    return helper(k) + 1",
        "%time x = 1",
        graded=(6,),
    )
    plan = needed_statements(cells)
    assert plan[5] is None and plan[4] is None and plan[3] is None and plan[2] is None  # the chain, mutations included
    assert plan[1] == [0]  # data, not other
    assert plan[7] is None  # not plain Python: runs as it is


def test_skipped_code_comes_back_for_the_feedback():
    from glove_lite.book.grading import PARTLY_NOTE, SKIPPED_NOTE, RestoreSkipped, SkipForGrading

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in (
        "import sys", "a = 1\nb = slow()", "print(b)")])
    nb.cells.append(nbformat.v4.new_code_cell("def my_h():\n    return a", metadata={"nbgrader": {"solution": True}}))
    original = [c.source for c in nb.cells]
    nb, resources = SkipForGrading().preprocess(nb, {})
    assert nb.cells[1].source == f"a = 1\n# {PARTLY_NOTE}" and nb.cells[2].source == f"# {SKIPPED_NOTE}"
    nb, resources = RestoreSkipped().preprocess(nb, resources)
    assert [c.source for c in nb.cells] == original
    assert SKIPPED_NOTE in nb.cells[2].outputs[0]["text"] and PARTLY_NOTE in nb.cells[1].outputs[0]["text"]


# --------------------------------------------------------------------------- every make target keeps people's work


def _fake_checkout(tmp_path: Path) -> Path:
    """A copy of the Makefile with a one-chapter book, and a stand-in .venv whose python is this one."""
    root = _book(tmp_path)
    for name in ("Makefile", "pyproject.toml"):
        (root / name).write_bytes((REPO_ROOT / name).read_bytes())
    bin_dir = root / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").write_text(f"#!/bin/sh\nexec {sys.executable} \"$@\"\n")
    (bin_dir / "python").chmod(0o755)
    (root / ".venv" / ".glove-lite-installed").touch()  # newer than pyproject.toml: make installs nothing
    return root


def _make(root: Path, *targets: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run(["make", "--no-print-directory", *targets], cwd=root, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout


def test_every_build_and_clean_target_keeps_students_and_instructors_work(tmp_path):
    """`make student` and `make course`, then a student's edit and an instructor's gradebook, release,
    submission, feedback and config edit; then every build and clean target: all of it is still there."""
    root = _fake_checkout(tmp_path)
    _make(root, "student", "course")
    _edit(root / "student" / "01_demo.ipynb")
    (root / "student" / "my-notes.txt").write_text("mine")
    (root / "student" / ".ipynb_checkpoints").mkdir()
    (root / "student" / ".ipynb_checkpoints" / "01_demo-checkpoint.ipynb").write_text("a checkpoint")
    made = _instructor_files(root / "course")
    student = {p.relative_to(root): p.read_bytes() for p in (root / "student").rglob("*")
               if p.is_file() and p.name != MANIFEST}  # the manifest records the builds, it is not work
    (root / "book" / "01_demo.md").write_text(FIXTURE.replace("Some teaching text.", "Some better teaching text."))

    out = _make(root, "student", "course")
    assert "kept 01_demo.ipynb" in out and "updates/01_demo.ipynb" in out
    _make(root, "clean")
    _make(root, "distclean")
    for rel, data in student.items():
        assert (root / rel).read_bytes() == data, rel
    for rel, data in made.items():
        assert (root / "course" / rel).read_bytes() == data, rel
    assert not (root / ".venv").exists()  # distclean did its job


def test_other_targets_never_touch_the_editions(tmp_path):
    """The targets not run above (they build the book, run tests, start JupyterLab...) name neither
    edition's folder in their recipes."""
    root = _fake_checkout(tmp_path)
    phony = re.search(r"^\.PHONY:(.*)$", (root / "Makefile").read_text(), re.MULTILINE)[1].split()
    for target in sorted(set(phony) - {"student", "course", "clean", "distclean", "help"}):
        dry = _make(root, "-n", target)
        assert not re.search(r"\b(student|course)/|STUDENT_DIR|COURSE_DIR", dry), (target, dry)


def test_clean_keeps_an_edition_an_older_version_wrote_into_build(tmp_path):
    root = _fake_checkout(tmp_path)
    (root / "_build" / "course").mkdir(parents=True)
    (root / "_build" / "course" / "gradebook.db").write_text("grades")
    (root / "_build" / "student").mkdir()
    (root / "_build" / "student" / "01_demo.ipynb").write_text("work")
    (root / "student").mkdir()  # a new edition exists already: the old one goes beside it
    _make(root, "clean")
    assert not (root / "_build").exists()
    assert (root / "course" / "gradebook.db").read_text() == "grades"
    assert (root / "student-from-_build" / "01_demo.ipynb").read_text() == "work"


@pytest.fixture(scope="session")
def real_course(tmp_path_factory):
    """The course of the real book, and nbgrader's release of every chapter."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    course = tmp_path_factory.mktemp("course")
    build_course(REPO_ROOT, course)
    config = Config()
    config.CourseDirectory.root = str(course)
    config.CourseDirectory.course_id = "glove-lite"
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), path])  # nbgrader runs `alembic`
    try:
        api = NbGraderAPI(config=config)
        for chapter in chapters(REPO_ROOT):
            result = api.generate_assignment(Path(chapter).name)
            assert result["success"], result.get("error") or result.get("log")
    finally:
        os.environ["PATH"] = path
    return course


def test_course_of_the_book(real_course, chapter):
    """Every chapter is an assignment: stable ids from its labels, a hidden test per check, an answer cell per open question."""
    from glove_lite.book.convert import exercises_of, read_book

    name = Path(chapter).name
    exercises = [e for e in exercises_of(read_book(REPO_ROOT)).values() if e.chapter == chapter]
    nb = nbformat.read(real_course / "source" / name / f"{name}.ipynb", as_version=4)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    labels = {e.label for e in exercises}
    for grade_id in ids:
        m = re.match(r"^(.+)-(solution|check|hidden|answer)(-\d+)?$", grade_id)
        assert m and m[1] in labels, f"{chapter}: grade id {grade_id!r} is not made from an exercise label"
    for e in exercises:
        if e.is_open or e.written:
            assert f"{e.label}-answer" in ids, f"{chapter}: {e.label} asks for words but has no answer cell"
        if not e.is_open:
            assert {f"{e.label}-check", f"{e.label}-hidden"} <= set(ids), f"{chapter}: {e.label} lacks graded checks"
    for cell in nb.cells:  # the graded checks give partial credit
        if cell.metadata.get("nbgrader", {}).get("grade_id", "").endswith(("-check", "-hidden")):
            assert re.search(r"points=\d", cell.source), cell.source
    from glove_lite.book.myst import leftover_markup

    release = nbformat.read(real_course / "release" / name / f"{name}.ipynb", as_version=4)
    for cell in nb.cells + release.cells:
        if cell.cell_type == "markdown":
            assert leftover_markup(cell.source) == [], f"{chapter}: {leftover_markup(cell.source)[:3]}"


def test_course_release_has_no_solutions(real_course, chapter):
    name = Path(chapter).name
    teacher = jupytext.read(REPO_ROOT / f"{chapter}.md", fmt="md:myst")
    release = nbformat.read(real_course / "release" / name / f"{name}.ipynb", as_version=4)
    lines = {line.strip() for cell in release.cells for line in cell.source.splitlines()}
    leaked = sorted(solution_only_lines(teacher) & lines)
    assert not leaked, f"{chapter}: solution lines in the released assignment: {leaked[:5]}"
    text = _text(release)
    assert BEGIN_SOLUTION not in text and "hidden=True" not in text and "Model answer" not in text
    answers = [c for c in release.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").endswith("-answer")]
    assert all(c.source == "YOUR ANSWER HERE" for c in answers)
