"""What lets a chapter run anywhere: its setup cell, and the book's data files.

A chapter opened from the book's launch buttons (Colab, Binder) or downloaded on its own
has no clone of the repository around it. Its first code cell, :data:`SETUP_CELL`, makes
``glove_lite`` importable there; the data the chapters read (``book/data/*.json``) is
installed with the package as ``glove_lite.bookdata``, so :func:`data_path` finds it in a
clone, in a ``pip install`` from the repository, and in Colab alike.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from glove_lite.errors import GloveLiteError

REPOSITORY = "https://github.com/glove-lite/glove-lite"
BRANCH = "main"

# The first code cell of every chapter (tests/test_launch.py checks that each chapter has it
# verbatim and tests its decisions). It cannot import glove_lite: its job is to make that work.
SETUP_CELL = f'''\
# Setup: makes this notebook runnable where glove_lite is not installed (Colab, a downloaded
# notebook). Where `import glove_lite` works, as in a clone after `make lab`, it does nothing.
import importlib.util, pathlib, subprocess, sys

def _glove_lite_clone(folder):
    """The clone of the repository that holds `folder`, or None."""
    for parent in [folder, *folder.parents]:
        if (parent / "glove_lite" / "__init__.py").is_file() and (parent / "pyproject.toml").is_file():
            return parent
    return None

if importlib.util.find_spec("glove_lite") is None:
    _clone = _glove_lite_clone(pathlib.Path.cwd().resolve())
    _source = str(_clone) if _clone else "glove-lite @ git+{REPOSITORY}@{BRANCH}"
    print(f"installing glove-lite from {{_source}} ...")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", _source], check=True)
    importlib.invalidate_caches()'''


def data_path(name: str) -> Path:
    """The path of one of the book's data files, e.g. ``data_path("evaluation.json")``.

    The files live in ``book/data/`` and install as the package ``glove_lite.bookdata``,
    so this works wherever ``glove_lite`` is installed. Raises :class:`GloveLiteError`
    naming the file and the files there are when ``name`` is not one of them.
    """
    folder = resources.files("glove_lite.bookdata")
    path = folder / name
    if not path.is_file():
        known = sorted(p.name for p in folder.iterdir() if p.name.endswith(".json"))
        raise GloveLiteError(f"no book data file {name!r}; expected one of {known}")
    return Path(str(path))


def read_json(name: str) -> Any:
    """The book data file ``name`` (see :func:`data_path`), parsed as JSON."""
    return json.loads(data_path(name).read_text(encoding="utf-8"))
