"""What the book's chapters use at run time, apart from the library itself.

* :mod:`glove_lite.book.chapter`: the setup cell that makes a chapter run anywhere, the
  book's data files, and :func:`glue` (numbers the prose quotes, recorded from outputs);
* :mod:`glove_lite.book.display`: :func:`show_source`, the library's code shown in a chapter;
* :mod:`glove_lite.book.plotting`: plotly figures that follow the book's light and dark themes;
* :mod:`glove_lite.book.exercises`: the exercises' self-checks;
* :mod:`glove_lite.book.edition` and :mod:`glove_lite.book.course`: the student edition and
  the nbgrader course, both made by :mod:`glove_lite.book.convert` (MyST rendered by
  :mod:`glove_lite.book.myst`, written by :mod:`glove_lite.book.edition_folder` without
  overwriting anyone's work); :mod:`glove_lite.book.grading`: what a graded run needs.

The core library (``glove_lite`` without ``.book``) never imports this package.
"""

from glove_lite.book.chapter import SETUP_CELL, data_path, format_for_prose, glue, read_json
from glove_lite.book.display import show_source, source

__all__ = ["SETUP_CELL", "data_path", "format_for_prose", "glue", "read_json", "show_source", "source"]
