"""Exceptions with messages meant for people: they name the bad value and what was expected."""

from __future__ import annotations

__all__ = ["GloveLiteError", "CorpusError", "VocabularyError", "UnknownWordError", "VectorsFileError", "TrainingDivergedError", "CountingError"]



class GloveLiteError(ValueError):
    """Base class for bad input to glove-lite (a ``ValueError``)."""


class CorpusError(GloveLiteError):
    """A corpus file or folder is missing, empty or not UTF-8 text."""


class VocabularyError(GloveLiteError):
    """The vocabulary is empty, or an id/word is out of range."""


class UnknownWordError(GloveLiteError, KeyError):
    """A word is not in the vocabulary. ``suggestions`` holds close words that are."""

    def __init__(self, word: str, suggestions: list[str] | tuple[str, ...] = ()):
        self.word = word
        self.suggestions = list(suggestions)
        hint = f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown word {word!r}: it is not in the vocabulary{hint}")

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return self.args[0]


class VectorsFileError(GloveLiteError):
    """A vectors file is missing or malformed (the message names the line)."""


class TrainingDivergedError(GloveLiteError):
    """The loss became NaN or infinite during training."""


class CountingError(GloveLiteError):
    """Counting co-occurrences cannot go on: a memory budget too small, a full disk, a bad counts file."""
