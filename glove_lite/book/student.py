"""The student edition and the course under their old entry point.

``python -m glove_lite.book.student [--output DIR]`` writes the student edition
(:mod:`glove_lite.book.edition`); ``python -m glove_lite.book.student --course DIR`` writes
the nbgrader course (:mod:`glove_lite.book.course`). The conversion they share is in
:mod:`glove_lite.book.convert`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from glove_lite.book import course, edition

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m glove_lite.book.student", description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--output", type=Path, default=None, help="the student edition's folder (default: ROOT/student)")
    parser.add_argument("--course", type=Path, default=None, metavar="DIR", help="write the nbgrader course into DIR instead")
    args = parser.parse_args(argv)
    if args.course is not None:
        return course.main(["--root", str(args.root), "--output", str(args.course)])
    return edition.main(["--root", str(args.root)] + (["--output", str(args.output)] if args.output else []))


if __name__ == "__main__":
    sys.exit(main())
