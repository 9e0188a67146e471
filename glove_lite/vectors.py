"""Trained word vectors: neighbours, analogies, saving and loading.

The vector of a word is W + W~ (Pennington et al. 2014, sec. 4.2): the two sets are
equivalent up to their random start, and their sum is slightly better than either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Literal, Sequence

import numpy as np

from glove_lite.errors import GloveLiteError, UnknownWordError, VectorsFileError
from glove_lite.fileio import atomic_write
from glove_lite.preprocess import suggest_words

__all__ = ["WordVectors"]


FileFormat = Literal["glove", "word2vec"]


@dataclass(frozen=True)
class WordVectors:
    """Words (n,) and their vectors (n, d) float32, with cosine-similarity queries."""

    words: tuple[str, ...]
    vectors: np.ndarray
    index: dict[str, int] = field(init=False, repr=False, compare=False)
    _unit: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        vectors = np.asarray(self.vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(self.words):
            raise GloveLiteError(f"vectors of shape {vectors.shape} for {len(self.words)} words; expected ({len(self.words)}, d)")
        object.__setattr__(self, "words", tuple(self.words))
        object.__setattr__(self, "vectors", vectors)
        object.__setattr__(self, "index", {w: i for i, w in enumerate(self.words)})
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        object.__setattr__(self, "_unit", vectors / np.maximum(norms, 1e-12))

    @classmethod
    def from_params(cls, words: Sequence[str], params) -> "WordVectors":
        """W + W~ from trained :class:`~glove_lite.training.GloveParams` (any object with W, W_tilde)."""
        return cls(tuple(words), np.asarray(params.W) + np.asarray(params.W_tilde))

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def _id(self, word: str) -> int:
        try:
            return self.index[word]
        except KeyError:
            raise UnknownWordError(word, suggest_words(word, self.words)) from None

    def __getitem__(self, word: str) -> np.ndarray:
        return self.vectors[self._id(word)]

    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words."""
        return float(self._unit[self._id(a)] @ self._unit[self._id(b)])

    def most_similar(
        self, query: np.ndarray, k: int = 10, exclude: Iterable[int] = ()
    ) -> list[tuple[str, float]]:
        """The ``k`` words most cosine-similar to the vector ``query`` (d,), skipping the
        row ids in ``exclude``: ``[(word, similarity), ...]``, ties in vocabulary order."""
        if not isinstance(k, (int, np.integer)) or k < 1:
            raise GloveLiteError(f"k={k!r}; expected an integer >= 1")
        exclude = sorted(set(exclude))
        sims = self._unit @ (query / max(float(np.linalg.norm(query)), 1e-12))
        sims[exclude] = -np.inf
        k = min(k, len(self.words) - len(exclude))
        # Every word at least as similar as the k-th best, then the best k by similarity,
        # ties by vocabulary order: the same answer whatever order a (SIMD) partition
        # leaves them in.
        kth = -np.partition(-sims, k - 1)[k - 1] if k < len(sims) else -np.inf
        candidates = np.flatnonzero(sims >= kth).tolist()
        top = sorted(candidates, key=lambda i: (-sims[i], i))[:k]
        return [(self.words[i], float(sims[i])) for i in top]

    def nearest_neighbors(self, word: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` words most cosine-similar to ``word``, the word itself excluded."""
        i = self._id(word)
        return self.most_similar(self.vectors[i], k, {i})

    def analogy(self, a: str, b: str, c: str, k: int = 1) -> list[tuple[str, float]]:
        """3CosAdd: words d with a : b :: c : d, i.e. closest to b - a + c, excluding a, b
        and c.

        Without the exclusion the answer is usually one of the query words (b or c).
        """
        ia, ib, ic = self._id(a), self._id(b), self._id(c)
        query = self._unit[ib] - self._unit[ia] + self._unit[ic]
        return self.most_similar(query, k, {ia, ib, ic})

    # ------------------------------------------------------------------ files


    def save(
        self, path: str | Path, format: FileFormat = "glove", overwrite: bool = False
    ) -> None:
        """Write the vectors atomically: GloVe text (``word v1 ... vd`` per line, no header) or
        word2vec text (a ``count dim`` header first). Floats are written with 9 significant
        digits, enough to read back the same float32 values."""
        if format not in ("glove", "word2vec"):
            raise GloveLiteError(f"format={format!r}; expected 'glove' or 'word2vec'")
        for w in self.words:
            if not w or any(ch.isspace() for ch in w):
                raise GloveLiteError(f"word {w!r} is empty or contains whitespace; it cannot be written to a text vectors file")
        with atomic_write(path, overwrite=overwrite) as fh:
            if format == "word2vec":
                fh.write(f"{len(self.words)} {self.dim}\n")
            for w, row in zip(self.words, self.vectors):
                fh.write(w + " " + " ".join(f"{x:.9g}" for x in row.tolist()) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "WordVectors":
        """Read a GloVe or word2vec text file (the header is detected). Errors name the bad line."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise VectorsFileError(f"vectors file {str(path)!r} does not exist") from None
        except IsADirectoryError:
            raise VectorsFileError(f"vectors path {str(path)!r} is a directory; expected a text file") from None
        except UnicodeDecodeError as exc:
            raise VectorsFileError(f"vectors file {str(path)!r} is not UTF-8 text (bad byte at offset {exc.start})") from None
        lines = text.splitlines()
        start, expected = 0, None
        if lines:
            head = lines[0].split()
            if len(head) == 2 and all(h.isdigit() for h in head):
                start, expected = 1, (int(head[0]), int(head[1]))
        words, rows, dim = [], [], expected[1] if expected else None
        for lineno, line in enumerate(lines[start:], start=start + 1):
            parts = line.rstrip().split(" ")
            if not line.strip():
                raise VectorsFileError(f"{path}:{lineno}: empty line; expected 'word v1 v2 ...'")
            if dim is None:
                dim = len(parts) - 1
            if len(parts) - 1 != dim or dim < 1:
                raise VectorsFileError(f"{path}:{lineno}: {len(parts) - 1} numbers after {parts[0]!r}; expected {dim}")
            try:
                rows.append(np.array(parts[1:], dtype=np.float32))
            except ValueError:
                raise VectorsFileError(f"{path}:{lineno}: a value after {parts[0]!r} is not a number") from None
            words.append(parts[0])
        if not words:
            raise VectorsFileError(f"vectors file {str(path)!r} has no vectors")
        if expected and len(words) != expected[0]:
            raise VectorsFileError(f"{path}: header says {expected[0]} words but the file has {len(words)}")
        if len(set(words)) != len(words):
            seen: set[str] = set()
            dup = next(w for w in words if w in seen or seen.add(w))
            raise VectorsFileError(f"{path}: the word {dup!r} appears twice")
        return cls(tuple(words), np.stack(rows))

    def to_gensim(self):
        """A ``gensim.models.KeyedVectors`` with the same words and vectors."""
        from gensim.models import KeyedVectors

        kv = KeyedVectors(vector_size=self.dim, dtype=np.float32)
        kv.add_vectors(list(self.words), self.vectors)
        return kv
