"""Comparing two vector spaces: orthogonal Procrustes alignment, change scores, neighbour overlap.

Each training run's space is arbitrary up to a rotation, so the raw vectors of two runs (two
eras, two seeds, ours and Stanford's) cannot be compared directly. :func:`align` rotates one
into the other by orthogonal Procrustes (Schönemann 1966; HistWords, Hamilton et al. 2016);
:func:`neighbour_overlap` needs no alignment at all (Gonen et al. 2020).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from glove_lite.errors import GloveLiteError
from glove_lite.vectors import WordVectors

__all__ = ["unit_rows", "procrustes_rotation", "shared_words", "align", "cosine_distances", "change_scores",
           "top_neighbours", "neighbour_overlap"]


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row of ``matrix`` (n, d) scaled to length 1 (float64); all-zero rows stay zero."""
    m = np.asarray(matrix, dtype=np.float64)
    norms = np.linalg.norm(m, axis=-1, keepdims=True)
    return m / np.where(norms > 0, norms, 1.0)


def procrustes_rotation(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The orthogonal (d, d) matrix R that minimises ||source @ R - target||_F.

    ``source`` and ``target`` are (n, d): row i of each is the same word in two spaces.
    The answer is one SVD (Schönemann 1966): with U S V^T = source^T target, R = U V^T.
    With fewer than d rows the rotation is not unique (any R that maps the rows' span
    correctly will do); this returns one of them.
    """
    a = np.asarray(source, dtype=np.float64)
    b = np.asarray(target, dtype=np.float64)
    if a.ndim != 2 or a.shape != b.shape:
        raise GloveLiteError(f"source of shape {a.shape} and target of shape {b.shape}; "
                             "expected two (n, d) arrays of one shape")
    if a.shape[0] == 0:
        raise GloveLiteError("source and target have no rows; expected at least one word in both")
    u, _, vt = np.linalg.svd(a.T @ b)
    return u @ vt


def shared_words(base: WordVectors, other: WordVectors, anchors: Sequence[str] | None = None) -> tuple[str, ...]:
    """The words in both ``base`` and ``other`` (restricted to ``anchors`` if given), in ``base``'s order."""
    keep = None if anchors is None else set(anchors)
    return tuple(w for w in base.words if w in other.index and (keep is None or w in keep))


def align(
    base: WordVectors, other: WordVectors, anchors: Sequence[str] | None = None
) -> WordVectors:
    """``other`` rotated into ``base``'s space by orthogonal Procrustes.

    The rotation is fitted on the words both share (only those in ``anchors``, if
    given, e.g. frequent words). As in HistWords, the vectors are **length-normalised
    first**: each word counts once in the fit, whatever its vector's length. The
    rotation is then applied to all of ``other``'s vectors, which keep their lengths
    (a rotation changes no length and no cosine). Returns a :class:`WordVectors` with
    ``other``'s words, in its order.

    If ``other`` is ``base`` times an orthogonal matrix, the aligned vectors of the
    shared words equal ``base``'s (to float precision), whatever words either has
    besides.
    """
    anchor_words = shared_words(base, other, anchors)
    if len(anchor_words) < 2:
        what = "the anchors given" if anchors is not None else "the two vocabularies"
        raise GloveLiteError(
            f"{len(anchor_words)} word(s) shared by {what}; expected at least 2 to "
            "fit a rotation"
        )
    if base.dim != other.dim:
        raise GloveLiteError(
            f"base has {base.dim} dimensions and other {other.dim}; expected the same "
            "dimension"
        )
    rows_base = [base.index[w] for w in anchor_words]
    rows_other = [other.index[w] for w in anchor_words]
    rotation = procrustes_rotation(
        unit_rows(other.vectors[rows_other]), unit_rows(base.vectors[rows_base])
    )
    return WordVectors(
        other.words,
        (np.asarray(other.vectors, dtype=np.float64) @ rotation).astype(np.float32),
    )


def _rows(wv: WordVectors, words: Sequence[str]) -> np.ndarray:
    missing = [w for w in words if w not in wv.index]
    if missing:
        raise GloveLiteError(f"{len(missing)} word(s) without a vector, e.g. {missing[0]!r}; "
                             "expected words of both spaces")
    return np.asarray(wv.vectors, dtype=np.float64)[[wv.index[w] for w in words]]


def cosine_distances(a: WordVectors, b: WordVectors, words: Sequence[str]) -> np.ndarray:
    """1 - cos(a[w], b[w]) for each word (n,), in [0, 2]. Meaningful only if b is aligned to a."""
    return 1.0 - np.sum(unit_rows(_rows(a, words)) * unit_rows(_rows(b, words)), axis=1)


def change_scores(base: WordVectors, other: WordVectors, words: Sequence[str],
                  anchors: Sequence[str] | None = None) -> np.ndarray:
    """Each word's change (n,): cosine distance between its vector in ``base`` and in
    ``other`` aligned to ``base`` (on the shared words, or ``anchors``). 0: same direction."""
    return cosine_distances(base, align(base, other, anchors), words)


def top_neighbours(unit: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """For each row index in ``rows``, the indices (len(rows), k) of its k most cosine-similar
    rows of ``unit`` (unit vectors), itself excluded; ties go to the lower index."""
    if not 1 <= k < unit.shape[0]:
        raise GloveLiteError(f"k={k}; expected 1 <= k < {unit.shape[0]} (the number of candidate words)")
    sims = unit[rows] @ unit.T
    sims[np.arange(len(rows)), rows] = -np.inf
    return np.argsort(-sims, axis=1, kind="stable")[:, :k]


def neighbour_overlap(
    a: WordVectors,
    b: WordVectors,
    words: Sequence[str],
    k: int = 10,
    among: Sequence[str] | None = None,
) -> np.ndarray:
    """The share (n,) of each word's k nearest neighbours that are the same in ``a`` and
    ``b``.

    Gonen et al. (2020): no alignment needed, since neighbours are computed inside
    each space. Neighbours are searched among ``among`` (default: every word both
    spaces have), sorted alphabetically so that tied similarities are broken the same
    way in both. 1 means the same k neighbours; 1 - overlap is a change score.
    """
    candidates = sorted(
        set(among) if among is not None else set(a.index) & set(b.index)
    )
    pos = {w: i for i, w in enumerate(candidates)}
    missing = [w for w in words if w not in pos]
    if missing:
        raise GloveLiteError(
            f"{missing[0]!r} is not among the candidate words; expected words both "
            "spaces have"
        )
    rows = np.array([pos[w] for w in words], dtype=np.int64)
    na = top_neighbours(unit_rows(_rows(a, candidates)), rows, k)
    nb = top_neighbours(unit_rows(_rows(b, candidates)), rows, k)
    return np.array(
        [len(set(x.tolist()) & set(y.tolist())) / k for x, y in zip(na, nb)]
    )
