"""The data of the book's word explorer (``book/explorer.md``): which vectors, and the file that carries them.

The page asks nothing of a server or a kernel: every set of vectors travels in one JavaScript
file that assigns a global (a ``<script src>`` works from ``file://``, where ``fetch`` does not),
and ``book/_static/explorer.js`` answers the queries in the browser. To keep that file small,
each vector is **unit-normalised and quantised to int8**: scaled so that its largest coordinate
is 127 (a per-row scale) and rounded. The scale is not stored, since the browser divides each
decoded vector by its length and a cosine ignores lengths; rounding moves a cosine by about 0.001,
which leaves 9 or 10 of a word's 10 nearest neighbours in place (tests/test_explorer.py).

:func:`explorer_sets` chooses the vectors, :func:`explorer_script` writes the file, and
:func:`write_explorer_data` does both; the book's Sphinx extension calls it on every build, so the
file always comes from the vectors the chapters use (trained on the first build, then cached).
"""

from __future__ import annotations

import base64
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from glove_lite.errors import GloveLiteError
from glove_lite.fileio import atomic_write
from glove_lite.vectors import WordVectors

__all__ = ["ExplorerSet", "restrict", "quantise", "dequantise", "decoded", "explorer_payload", "explorer_script", "book_vectors", "era_vectors", "explorer_sets", "write_explorer_data"]


#: The global the data file assigns, read by book/_static/explorer.js.
GLOBAL = "GLOVE_EXPLORER_DATA"
FORMAT_VERSION = 1
#: An era keeps the words seen this often in it, besides every word chapter 7 scores.
ERA_MIN_COUNT = 50
#: The int8 codes, words and row indices of all sets together stay under this (the file is a
#: third larger: base64).
MAX_DATA_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class ExplorerSet:
    """One choice of the explorer's menu: an id, what the menu says, a sentence about it, the vectors."""

    id: str
    label: str
    note: str
    vectors: WordVectors


def restrict(vectors: WordVectors, keep: Iterable[str]) -> WordVectors:
    """The vectors of the words in ``keep``, in ``vectors``' own order."""
    keep = set(keep)
    rows = [i for i, w in enumerate(vectors.words) if w in keep]
    return WordVectors(tuple(vectors.words[i] for i in rows), vectors.vectors[rows])


def quantise(vectors: np.ndarray) -> np.ndarray:
    """int8 codes (n, d): each row scaled so that its largest absolute coordinate is 127, then rounded.

    Scaling first by the row's length (unit-normalising) would change nothing: the scale is
    per row. All-zero rows stay zero.
    """
    v = np.asarray(vectors, dtype=np.float64)
    if v.ndim != 2:
        raise GloveLiteError(f"vectors of shape {v.shape}; expected (n, d)")
    peak = np.abs(v).max(axis=1, keepdims=True) if v.size else np.zeros((len(v), 1))
    return np.round(v * (127.0 / np.where(peak > 0, peak, 1.0))).astype(np.int8)


def dequantise(codes: np.ndarray) -> np.ndarray:
    """The unit vectors (n, d) float64 that the browser decodes from int8 ``codes`` (zero rows stay zero)."""
    v = np.asarray(codes, dtype=np.float64)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms > 0, norms, 1.0)


def decoded(vectors: WordVectors) -> WordVectors:
    """``vectors`` as the explorer holds them (quantised and decoded), for comparing answers."""
    return WordVectors(vectors.words, dequantise(quantise(vectors.vectors)).astype(np.float32))


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def explorer_payload(sets: Sequence[ExplorerSet]) -> tuple[dict, int]:
    """The data as a JSON-ready dict, and its size in bytes before base64 (codes, words, row indices).

    ``words`` lists every word of every set once (newline-separated); a set's ``rows`` are
    little-endian uint16 indices into it, in the set's own order (the order ties are broken
    by), and its ``codes`` are the int8 rows of :func:`quantise`, row-major.
    """
    if not sets:
        raise GloveLiteError("no sets of vectors; expected at least one")
    ids = [s.id for s in sets]
    if len(set(ids)) != len(ids):
        raise GloveLiteError(f"set ids {ids}; expected each id once")
    position: dict[str, int] = {}
    for s in sets:
        for w in s.vectors.words:
            if "\n" in w:
                raise GloveLiteError(f"word {w!r} contains a line break; it cannot be listed")
            position.setdefault(w, len(position))
    if len(position) > 65_535:
        raise GloveLiteError(f"{len(position):,} distinct words; the explorer's row indices hold at most 65,535")
    words = "\n".join(position)
    size = len(words.encode("utf-8"))
    out_sets = []
    for s in sets:
        codes = quantise(s.vectors.vectors)
        rows = np.array([position[w] for w in s.vectors.words], dtype="<u2")
        size += codes.nbytes + rows.nbytes
        out_sets.append({"id": s.id, "label": s.label, "note": s.note, "n": len(s.vectors), "dim": s.vectors.dim,
                         "rows": _b64(rows), "codes": _b64(codes)})
    return {"version": FORMAT_VERSION, "words": words, "sets": out_sets}, size


def explorer_script(sets: Sequence[ExplorerSet], max_bytes: int = MAX_DATA_BYTES) -> str:
    """The JavaScript file: ``window.GLOVE_EXPLORER_DATA = {...};`` (ASCII only, one line of JSON).

    Refuses data larger than ``max_bytes`` (before base64), naming each set's share.
    """
    payload, size = explorer_payload(sets)
    if size > max_bytes:
        shares = ", ".join(f"{s.id}: {len(s.vectors):,} x {s.vectors.dim}" for s in sets)
        raise GloveLiteError(f"explorer data of {size:,} bytes; expected at most {max_bytes:,} ({shares})")
    body = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return (f"/* The word explorer's vectors (int8, base64), generated by glove_lite.book.explorer; do not edit. */\n"
            f"window.{GLOBAL} = {body};\n")


# ----------------------------------------------------------------------------- the book's sets


def book_vectors(progress: bool = False) -> WordVectors:
    """The vectors of chapters 4-6: the full corpus, min count 10, window 10, the default TrainConfig."""
    from glove_lite.pipeline import train_vectors
    from glove_lite.training import TrainConfig

    return train_vectors("sotu", min_count=10, window=10, config=TrainConfig(), progress=progress)[0]


def _epochs() -> int:
    from glove_lite.training import TrainConfig

    return TrainConfig().epochs


def era_vectors(min_count: int = ERA_MIN_COUNT) -> list[tuple[str, WordVectors]]:
    """Chapter 7's eras (its first seed, each rotated into the last era's space as in its figures),
    each restricted to the words seen ``min_count`` times in that era and the words chapter 7
    scores (seen 20 times in every era). Returns (label, vectors) per era."""
    from glove_lite.align import align
    from glove_lite.corpus import load_sotu
    from glove_lite.studies.semantic_change import FULL, analysis_words, era_counts, split_by_era, train_era

    plan = FULL
    by_era = split_by_era(load_sotu(), plan.eras)
    runs = [train_era(docs, plan.min_count, plan.window, plan.dim, plan.epochs, plan.seeds[0]) for docs in by_era]
    aligned = [align(runs[-1], wv) for wv in runs[:-1]] + [runs[-1]]
    counts = [era_counts(docs) for docs in by_era]
    scored = set(analysis_words(counts, plan.analysis_min_count))
    return [(era.label, restrict(wv, scored | {w for w, c in cnt.items() if c >= min_count}))
            for era, wv, cnt in zip(plan.eras, aligned, counts)]


def explorer_sets(progress: bool = False) -> list[ExplorerSet]:
    """The explorer's menu: the book's vectors, chapter 7's eras, Stanford's vectors on our vocabulary.

    Trains what the disk cache lacks (a few minutes the first time, on two cores).
    """
    from glove_lite.pretrained import load_pretrained

    def say(message: str) -> None:
        if progress:
            print(f"[explorer] {message}", file=sys.stderr, flush=True)

    say("the book's vectors (trained once, then cached)")
    book = book_vectors(progress=progress)
    sets = [ExplorerSet("sotu", "This book (1790-2026)",
                        "The vectors of chapters 4-6: every State of the Union address, min count 10, window 10, "
                        f"{_epochs()} epochs.", book)]
    say("chapter 7's eras (trained once, then cached)")
    for label, wv in era_vectors():
        sets.append(ExplorerSet(label, f"Era {label} (aligned)",
                                f"Chapter 7's vectors of the addresses of {label}, rotated into the last era's space: "
                                f"the words seen {ERA_MIN_COUNT}+ times in the era, and every word chapter 7 scores.", wv))
    say("Stanford's pretrained vectors")
    sets.append(ExplorerSet("glove6b", "Stanford GloVe 6B, 50 d",
                            "Pennington et al.'s vectors from 6 billion tokens of Wikipedia and Gigaword, "
                            "restricted to this book's vocabulary.", load_pretrained(book.words)))
    return sets


def write_explorer_data(path: str | Path, sets: Sequence[ExplorerSet] | None = None, progress: bool = False) -> bool:
    """Write the explorer's data file to ``path`` (atomically; a generated file, replaced when it
    differs). ``sets`` defaults to :func:`explorer_sets`. Returns True if the file changed."""
    path = Path(path)
    text = explorer_script(explorer_sets(progress) if sets is None else sets)
    if path.is_file() and path.read_text(encoding="ascii") == text:
        return False
    with atomic_write(path, overwrite=True, encoding="ascii") as fh:
        fh.write(text)
    return True
