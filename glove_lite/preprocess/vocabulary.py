"""Tokens to a vocabulary, tokens to integer ids; unknown words get an error with suggestions, never a silent <unk>."""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Literal, Sequence

import numpy as np

from glove_lite.errors import UnknownWordError, VocabularyError

__all__ = ["UNK", "OovPolicy", "Vocabulary", "suggest_words", "build_word_index", "tokens_to_ids"]

UNK = "<unk>"
OovPolicy = Literal["drop", "unk", "error"]


@dataclass(frozen=True)
class Vocabulary:
    """Words with their corpus counts, in a fixed order: descending count, ties alphabetical.

    Word ``i`` has id ``i``. If built with ``unk=True``, ``<unk>`` is the last id and
    counts every dropped token.
    """

    words: tuple[str, ...]
    counts: tuple[int, ...]
    min_count: int = 1
    index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.words) != len(self.counts):
            raise VocabularyError(f"{len(self.words)} words but {len(self.counts)} counts; expected equal lengths")
        index = {w: i for i, w in enumerate(self.words)}
        if len(index) != len(self.words):
            raise VocabularyError("duplicate words in vocabulary")
        object.__setattr__(self, "index", index)

    @classmethod
    def from_counts(
        cls,
        counts: Counter | dict[str, int],
        min_count: int = 1,
        max_size: int | None = None,
        unk: bool = False,
    ) -> "Vocabulary":
        """Keep words seen at least ``min_count`` times, at most ``max_size`` of them
        (most frequent first)."""
        if min_count < 1:
            raise VocabularyError(f"min_count={min_count}; expected an integer >= 1")
        if max_size is not None and max_size < 1:
            raise VocabularyError(
                f"max_size={max_size}; expected an integer >= 1 or None"
            )
        kept = sorted(
            ((w, c) for w, c in counts.items() if c >= min_count),
            key=lambda wc: (-wc[1], wc[0]),
        )
        if max_size is not None:
            kept = kept[:max_size]
        if not kept:
            top = max(counts.values(), default=0)
            raise VocabularyError(
                f"min_count={min_count} leaves no words (the most frequent word "
                f"occurs {top} times); "
                f"expected min_count <= {max(top, 1)}"
            )
        words = [w for w, _ in kept]
        freqs = [c for _, c in kept]
        if unk:
            if UNK in counts:
                raise VocabularyError(
                    f"the corpus itself contains the token {UNK!r}; cannot reserve it"
                )
            words.append(UNK)
            freqs.append(sum(counts.values()) - sum(freqs))
        return cls(tuple(words), tuple(freqs), min_count)

    @classmethod
    def from_documents(
        cls, documents: Iterable[Sequence[str]], min_count: int = 1, max_size: int | None = None, unk: bool = False
    ) -> "Vocabulary":
        """Count tokens over tokenised documents and build the vocabulary."""
        counts: Counter = Counter()
        for doc in documents:
            counts.update(doc)
        return cls.from_counts(counts, min_count=min_count, max_size=max_size, unk=unk)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self.index

    @property
    def has_unk(self) -> bool:
        return bool(self.words) and self.words[-1] == UNK

    def suggest(self, word: str, n: int = 3) -> list[str]:
        """Up to ``n`` words of the vocabulary spelled like ``word``."""
        return suggest_words(word, self.words, n)

    def id_of(self, word: str) -> int:
        """The id of ``word``; :class:`UnknownWordError` (with suggestions) if it is not in the vocabulary."""
        try:
            return self.index[word]
        except KeyError:
            raise UnknownWordError(word, self.suggest(word)) from None

    def word_of(self, i: int) -> str:
        """The word with id ``i``."""
        if not 0 <= i < len(self.words):
            raise VocabularyError(f"id {i} is out of range; expected 0 <= id < {len(self.words)}")
        return self.words[i]


def suggest_words(word: str, candidates: Sequence[str], n: int = 3) -> list[str]:
    """Close spellings of ``word`` among ``candidates`` (the lowercase form first if it exists)."""
    out = []
    if word.lower() != word and word.lower() in candidates:
        out.append(word.lower())
    out += [w for w in difflib.get_close_matches(word.lower(), candidates, n=n, cutoff=0.75) if w not in out]
    return out[:n]


def build_word_index(
    documents: Iterable[Sequence[str]], min_count: int = 1, max_size: int | None = None, unk: bool = False
) -> Vocabulary:
    """The blog post's name for building the vocabulary: see :meth:`Vocabulary.from_documents`."""
    return Vocabulary.from_documents(documents, min_count=min_count, max_size=max_size, unk=unk)


def tokens_to_ids(
    tokens: Sequence[str], vocab: Vocabulary, oov: OovPolicy = "drop"
) -> np.ndarray:
    """Map tokens to int32 ids, shape (n,).

    Out-of-vocabulary tokens are dropped (``oov="drop"``, as the reference C tool does,
    so windows span the kept words), mapped to ``<unk>`` (``"unk"``; the vocabulary must
    have been built with ``unk=True``) or rejected (``"error"``).
    """
    index = vocab.index
    if oov == "drop":
        ids = [index[t] for t in tokens if t in index]
    elif oov == "unk":
        if not vocab.has_unk:
            raise VocabularyError(
                "oov='unk' needs a vocabulary built with unk=True (one ending in "
                f"{UNK!r})"
            )
        unk_id = len(vocab) - 1
        ids = [index.get(t, unk_id) for t in tokens]
    elif oov == "error":
        ids = [vocab.id_of(t) for t in tokens]
    else:
        raise ValueError(f"oov={oov!r}; expected 'drop', 'unk' or 'error'")
    return np.asarray(ids, dtype=np.int32)


# ---------------------------------------------------------------------------------------------
# Tokenising at scale: a Treebank wrapper that never raises, and a fast tokenizer for big corpora.
# ---------------------------------------------------------------------------------------------
