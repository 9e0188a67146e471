"""What lets a chapter run anywhere: its setup cell, and the book's data files.

A chapter opened from the book's launch buttons (Colab, Binder) or downloaded on its own
has no clone of the repository around it. Its first code cell, :data:`SETUP_CELL`, makes
``glove_lite`` importable there; the data the chapters read (``book/data/*.json``) is
installed with the package as ``glove_lite.bookdata``, so :func:`data_path` finds it in a
clone, in a ``pip install`` from the repository, and in Colab alike.

A number that the prose quotes from an output is recorded by :func:`glue` in the cell that
computes it and cited in the markdown as ``{glue:text}`name```, so the text cannot drift
from the outputs.
"""

from __future__ import annotations

import json
import numbers
import re
from importlib import resources
from pathlib import Path
from typing import Any

from glove_lite.errors import GloveLiteError

__all__ = ["SETUP_CELL", "REPOSITORY", "BRANCH", "data_path", "read_json", "format_for_prose", "glue"]


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


# A glue key: letters, digits and underscores. A ':' would be read as the format
# specification of {glue:text}`key:fmt`, and '::' as a path to another document.
GLUE_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
NEGATIVE_ZERO = re.compile(r"^-[0.,]+(e[+-]?\d+)?%?$")


def format_for_prose(value: Any, fmt: str | None = None) -> str:
    """``value`` as the text a sentence quotes: ``format(value, fmt)``, rounded for people.

    Without ``fmt``: a string is kept as it is and an integer gets thousands separators
    (``5164845`` -> ``"5,164,845"``). A float needs ``fmt`` (e.g. ``".3f"``, ``".1%"``):
    its last digits depend on the CPU that computed it, and the stored text must replay on
    any machine. Raises :class:`GloveLiteError` naming the value otherwise.
    """
    if fmt is not None:
        if isinstance(value, str):
            raise GloveLiteError(f"glue: fmt={fmt!r} formats numbers; got the string {value!r}")
        try:
            text = format(value, fmt)
        except (TypeError, ValueError) as error:
            raise GloveLiteError(f"glue: cannot format {value!r} with fmt={fmt!r}: {error}") from None
        # A tiny negative value rounds to "-0.000" on one CPU and "0.000" on another.
        return text[1:] if NEGATIVE_ZERO.match(text) else text
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        raise GloveLiteError(
            f"glue: the float {value!r} needs fmt (e.g. '.3f'), so the prose quotes a rounded "
            "value that replays on any CPU"
        )
    raise GloveLiteError(f"glue: expected a string, an integer or a number with fmt; got {type(value).__name__} {value!r}")


def _myst_nb_glue():
    """A function that records a glue value at the end of the running cell, or None.

    None where the book's tools (myst-nb) or an IPython kernel are missing. myst-nb's
    ``glue`` stores each value as a display output; recorded at once, it would split the
    cell's printed text into one output box per print. So the values wait until the cell
    has run (IPython's ``post_run_cell`` event), and the cell stores its text as one stream.
    """
    try:
        from IPython import get_ipython
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab and other places without the book's tools
        return None
    shell = get_ipython()
    if shell is None:
        return None

    def record(name: str, text: str) -> None:
        if not _pending:
            shell.events.register("post_run_cell", flush)
        _pending.append((name, text))

    def flush(*_: Any) -> None:
        shell.events.unregister("post_run_cell", flush)
        waiting = list(_pending)
        _pending.clear()
        for name, text in waiting:
            myst_glue(name, text, display=False)

    return record


_pending: list[tuple[str, str]] = []


def glue(name: str, value: Any, fmt: str | None = None) -> str:
    """Record ``value`` for the chapter's prose under ``name``; return the recorded text.

    The markdown quotes it as ``{glue:text}`name```: the book's build pastes the text the
    cell recorded, so the sentence and the output cannot disagree. The value is stored as
    the string :func:`format_for_prose` makes (``fmt`` for numbers, e.g. ``".3f"``), never
    as a raw float, so nbval's replay compares a rounded text that any CPU reproduces;
    ``{glue:text}`` shows a string without quotes.

    Recording needs myst-nb (the book's build tools) and an IPython kernel; elsewhere
    (Colab, a plain Python process) nothing is recorded and the text is still returned,
    so a cell can print it for the reader of the notebook, whose markdown shows the role::

        print(f"WordSim-353 at window 15: {glue('ws_window_15', score, '.3f')}")
    """
    if not isinstance(name, str) or not GLUE_KEY.match(name):
        raise GloveLiteError(f"glue: the key {name!r} should be letters, digits and underscores, starting with a letter")
    text = format_for_prose(value, fmt)
    record = _myst_nb_glue()
    if record is not None:
        record(name, text)
    return text
