"""The nbgrader course: one assignment per chapter, graded by parts, answers graded by hand.

``python -m glove_lite.book.course [--output course]`` (``make course``) writes::

    course/nbgrader_config.py            course id, time-out, JAX on the CPU, grading only what is needed
    course/README.md                     the instructor's steps
    course/source/<chapter>/<chapter>.ipynb
                                         one assignment per chapter (see glove_lite.book.convert)

``course/`` sits at the top of the repository, ignored by git and by ``make clean``: it
also holds what nbgrader and the instructor make (``gradebook.db``, ``release/``,
``submitted/``, ``autograded/``, ``feedback/``), which no build ever reads, changes or
deletes. Building again after a chapter changed replaces only the files nobody changed
and that belong to assignments not yet handed out; the new version of any other file
goes to ``course/updates/`` (:class:`glove_lite.book.edition_folder.EditionFolder`), and
the report names it.

nbgrader (not otter-grader) because the book already marks solutions with nbgrader's
``### BEGIN SOLUTION`` markers, its cell metadata carries stable ids, points, hidden tests
and manually graded answers, and it grades locally without containers.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from glove_lite.book.convert import POINTS, Book, StudentEditionError, notebook_text
from glove_lite.book.edition import report
from glove_lite.book.edition_folder import UPDATES, EditionFolder, Outcome

__all__ = ["DEFAULT_FOLDER", "COURSE_ID", "NBGRADER_CONFIG", "course_readme", "build_course", "main"]

DEFAULT_FOLDER = "course"
COURSE_ID = "glove-lite"

NBGRADER_CONFIG = f'''\
"""nbgrader configuration of the glove-lite course (written by `python -m glove_lite.book.course`)."""
import os
import sys

os.environ.setdefault("JAX_PLATFORMS", "cpu")  # graded kernels inherit it: JAX on the CPU, quietly
# nbgrader runs `alembic` (installed beside it) when it creates the gradebook: find it even
# when this environment is not activated.
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])

c = get_config()  # noqa: F821 (nbgrader provides it)
c.CourseDirectory.course_id = "{COURSE_ID}"
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]
# A check cell runs the student's code on small inputs: seconds. The limit is for a cell
# that loops for ever.
c.Execute.timeout = 300
c.ClearSolutions.code_stub = {{"python": '# YOUR CODE HERE\\nraise NotImplementedError("write your solution here")'}}
try:  # grade only what the graded cells need (glove_lite.book.grading): no corpus, no training
    from glove_lite.book.grading import autograde_preprocessors

    c.Autograde.autograde_preprocessors = autograde_preprocessors()
except ImportError:  # glove_lite is not installed where nbgrader runs: grading runs whole chapters
    pass
'''


def _activate_hint(course: Path) -> str:
    """How to activate the environment this command runs in, from the course folder."""
    if sys.prefix == sys.base_prefix:
        return "activate the Python environment where glove-lite and nbgrader are installed"
    env = Path(sys.prefix).resolve()
    try:
        rel = os.path.relpath(env, Path(course).resolve())
    except ValueError:  # another drive on Windows
        rel = str(env)
    if rel.count("..") > 2:  # far away: the absolute path reads better
        rel = str(env)
    return f"`source {Path(rel, 'bin', 'activate').as_posix()}`"


def course_readme(course: Path) -> str:
    """The instructor's README, with the command that activates this environment from ``course``."""
    p = POINTS
    return f"""\
# glove-lite: the nbgrader course

Written by `make course` (`python -m glove_lite.book.course`) from the book's chapters: one
assignment per chapter in `source/<chapter>/<chapter>.ipynb`.

## Grading, step by step

Run these in this folder, with the book's environment active ({_activate_hint(course)};
`make venv` in the repository installs glove-lite with nbgrader):

```bash
nbgrader generate_assignment 03_loss    # release/03_loss/: solutions and hidden tests removed
# hand out release/03_loss/03_loss.ipynb (nbgrader's exchange, an LMS, e-mail); collect each
# student's notebook into submitted/<student_id>/03_loss/03_loss.ipynb
# (`nbgrader collect 03_loss` does this with the exchange)
nbgrader autograde 03_loss              # runs every submission: the checks and the hidden tests
jupyter lab                             # the Formgrader tab (Nbgrader menu): grade the written answers
nbgrader generate_feedback 03_loss      # feedback/<student_id>/03_loss/03_loss.html
nbgrader export                         # grades.csv
```

Every nbgrader command exits with a non-zero status when a step fails (chain them with
`&&`). `nbgrader_config.py` sets the course id, JAX on the CPU, where nbgrader finds its
`alembic` command, and the grading plan below.

## What is graded

| cell | grade id | points | graded by |
|---|---|---|---|
| the code of an exercise | `<label>-solution` | - | (the student's answer) |
| the self-check under it | `<label>-check` | {p['check']} | nbgrader, by parts |
| hidden tests | `<label>-hidden` | {p['hidden']} | nbgrader, by parts: the check on other inputs |
| an open question's answer | `<label>-answer` | {p['answer']} | you, in the formgrader |
| the question inside a coded exercise | `<label>-answer` | {p['written']} | you, in the formgrader |

A check has parts (the right words and their order; the matrix and its speed; each of the
four gradients...): the check cell prints one line per part and its score, which nbgrader
records as partial credit, so a mostly right answer scores more than an empty one. The
labels are the exercises' labels in the book (e.g. `ex-weighting-fn`), so grade ids do not
change when a chapter is edited elsewhere. The source notebooks keep the book's solutions:
the marked code, and the model answer in each answer cell (nbgrader replaces it by
"YOUR ANSWER HERE" when it releases the assignment).

## Grading time

An assignment holds the whole chapter, but autograding runs only what the graded cells
need (`glove_lite.book.grading`): the imports and the exercises, not the chapter's corpus
or its training; the cells left out show a note in the feedback. A submission takes
seconds to grade, plus the start of a Python kernel.

## Updating the course

`make course` again, after the book changed: assignments you have not released and files
you have not edited are brought up to date; for everything else (your edits, the source
of an assignment you have released) the new version goes to `{UPDATES}/` beside this file,
under the same path, for you to compare and take. The gradebook, `release/`, `submitted/`,
`autograded/` and `feedback/` are never touched, by `make course` or by `make clean`.
"""


def _in_use(course: Path, assignment: str) -> str | None:
    """Why an assignment's source must not change under the instructor's feet, if it must not."""
    if (course / "release" / assignment).exists():
        return "released"
    if any((course / "submitted").glob(f"*/{assignment}")):
        return "has submissions"
    return None


def build_course(root: Path, course: Path) -> list[Outcome]:
    """Write the nbgrader course into ``course``; returns what happened to each file."""
    root, course = Path(root), Path(course)
    book = Book.read(root)
    folder = EditionFolder(course)
    folder.write("nbgrader_config.py", NBGRADER_CONFIG)
    folder.write("README.md", course_readme(course))
    for chapter in book.chapters:
        name = Path(chapter.name).name
        folder.write(f"source/{name}/{name}.ipynb", notebook_text(book.convert(chapter, course=True)),
                     hold=_in_use(course, name))
    folder.save()
    return folder.outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glove_lite.book.course", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="the book's root folder, with _toc.yml (default: .)")
    parser.add_argument("--output", type=Path, default=None,
                        help=f"the course folder (default: ROOT/{DEFAULT_FOLDER}); your edits and nbgrader's files there are kept")
    args = parser.parse_args(argv)
    from glove_lite.errors import GloveLiteError

    course = args.output if args.output is not None else args.root / DEFAULT_FOLDER
    try:
        outcomes = build_course(args.root, course)
    except (StudentEditionError, GloveLiteError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report(outcomes, course))
    first = next((o.path.split("/")[1] for o in outcomes if o.path.startswith("source/")), "03_loss")
    print(f"Course in {course}; next: cd {course} && nbgrader generate_assignment {first}  (see {course / 'README.md'})")
    return 1 if any(o.status == "blocked" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
