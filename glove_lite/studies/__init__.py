"""Studies: the measurements and experiments behind the book, run by hand (``make bench``, ``make sweeps``,
``make semantic``, ``make bias``), never imported by the library.

* :mod:`~glove_lite.studies.bench`, :mod:`~glove_lite.studies.bench_scale`,
  :mod:`~glove_lite.studies.bench_train`: speed, memory and time to quality against baselines;
* :mod:`~glove_lite.studies.sweeps`: the evaluation chapter's comparison table and knob sweeps;
* :mod:`~glove_lite.studies.semantic_change`: vectors per era for the semantic-change chapter;
* :mod:`~glove_lite.studies.bias`: WEAT bias tests of the book's vectors over five seeds;
* :mod:`~glove_lite.studies.generate`: a synthetic Zipfian corpus of any size.

Results for the book are written into the book's data folder (:func:`book_data_path`), wherever the
command is run from.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def book_data_path(name: str) -> Path:
    """Where the book's data file ``name`` lives (``book/data/`` in a clone, installed as ``glove_lite.bookdata``)."""
    return Path(str(resources.files("glove_lite.bookdata"))) / name
