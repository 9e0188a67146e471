"""The student edition: every chapter as a notebook with its exercises' solutions removed.

``python -m glove_lite.book.edition [--output student]`` (``make student``) writes one
``.ipynb`` per chapter of ``_toc.yml`` (see :mod:`glove_lite.book.convert` for what the
conversion does) and a README into the output folder, by default ``student/`` at the top
of the repository: a folder of its own, ignored by git and by ``make clean``, because
students work in it.

Building again after a chapter changed never overwrites a notebook the student has
edited (:class:`glove_lite.book.edition_folder.EditionFolder`): the new version of an
edited notebook goes to ``updates/`` beside it; untouched notebooks are simply replaced.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from glove_lite.book.convert import Book, StudentEditionError, notebook_text
from glove_lite.book.edition_folder import UPDATES, EditionFolder, Outcome

__all__ = ["DEFAULT_FOLDER", "README", "build", "report", "main"]

DEFAULT_FOLDER = "student"

README = f"""\
# glove-lite: the exercises (student edition)

One notebook per chapter of the book *glove-lite: GloVe from scratch in JAX*. Each
chapter is complete except for the solutions of its exercises, at the end.

## Getting started

1. Install the library the notebooks import. In a clone of the book's repository,
   `make venv` creates `.venv` with everything; then start JupyterLab in this folder
   with `../.venv/bin/jupyter lab` (from `student/`, the default place of this edition).
   Elsewhere, the first cell of each notebook installs the library by itself when it is
   missing (`pip install "glove-lite @ git+https://github.com/glove-lite/glove-lite@main"`).
2. Open a notebook and run it from the top ("Run All" stops at the first exercise you
   have not solved yet).

## Solving an exercise

- Find the `raise NotImplementedError(...)` line in the exercise's code cell and replace
  it with your code (keep the function's name and arguments).
- Run that cell, then the check cell below it (`check_...(your_function)`). It runs your
  function on small inputs and prints a line starting with a check mark when it is
  right. Otherwise it stops with `CheckFailed` and a hint that says what looks wrong
  (a shape, a missing symmetry, an off-by-one window, ...): fix and run both cells again.
  Calling the library's own version of the function you are asked to write does not count.
- Where an exercise also asks a question, or has no check cell at all, write your answer
  in the cell marked **Your answer** below it.

The checks never show a solution. The book (with its solutions hidden in collapsed
dropdowns) is the place to look once you have tried.

## Your work is safe

Your notebooks are yours: building the edition again (`make student`, say after the
book was updated) replaces only the notebooks you have not changed. When a chapter you
have worked on has a new version, it goes to `{UPDATES}/<chapter>.ipynb` and yours stays
as it is: copy your answers across, or keep working where you are. `make clean` does not
touch this folder; to start a chapter afresh, delete its notebook and build again.

## For instructors

`make course` writes a ready nbgrader course into `course/`: one assignment per chapter,
with hidden tests, partial credit by the parts of each check, and answer cells graded by
hand. See the README.md it writes.
"""


def build(root: Path, output: Path) -> list[Outcome]:
    """Write the student edition into ``output``; returns what happened to each file."""
    root, output = Path(root), Path(output)
    book = Book.read(root)
    folder = EditionFolder(output)
    names = []
    for chapter in book.chapters:
        name = f"{Path(chapter.name).name}.ipynb"
        folder.write(name, notebook_text(book.convert(chapter)))
        names.append(name)
    folder.write("README.md", README)
    for stale in sorted(output.glob("[0-9][0-9]_*.ipynb")):  # a chapter the book no longer has
        if stale.name not in names:
            folder.remove_if_untouched(stale.name)
    folder.save()
    return folder.outcomes


def report(outcomes: list[Outcome], folder: Path) -> str:
    """What a build did, for people: one line per file that was not simply up to date, and a summary.

    The commands exit with status 1 when a new version could not be delivered (``blocked``).
    """
    lines = [o.line() for o in outcomes if o.status != "unchanged"]
    kept = [o for o in outcomes if o.status in ("kept", "blocked")]
    written = sum(o.status == "written" for o in outcomes)
    lines.append(f"{folder}: {written} written, {len(outcomes) - written - len(kept)} up to date, "
                 f"{len(kept)} kept as you left them")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glove_lite.book.edition", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."), help="the book's root folder, with _toc.yml (default: .)")
    parser.add_argument("--output", type=Path, default=None,
                        help=f"the edition's folder (default: ROOT/{DEFAULT_FOLDER}); notebooks you edited there are kept")
    args = parser.parse_args(argv)
    from glove_lite.errors import GloveLiteError

    output = args.output if args.output is not None else args.root / DEFAULT_FOLDER
    try:
        outcomes = build(args.root, output)
    except (StudentEditionError, GloveLiteError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report(outcomes, output))
    print(f"Student edition in {output}: open it with `jupyter lab {output}`")
    return 1 if any(o.status == "blocked" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
