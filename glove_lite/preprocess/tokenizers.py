"""Text to tokens, offline: the book's Treebank tokenizer and the fast compiled ones for corpora of any size.

Tokenising needs no downloaded NLTK data: sentences are split by an untrained
``PunktSentenceTokenizer`` (its defaults need no model), words by NLTK's Treebank word tokenizer
with ``preserve_line=True``. Lowercasing comes after splitting, because Punkt uses case to find
sentence starts. ``words`` and ``whitespace`` (:class:`FastTokenizer`) are compiled with numba.
"""

from __future__ import annotations

from typing import Iterable, Literal

import numpy as np

__all__ = ["TOKENIZERS", "Tokenizer", "tokenize", "tokenize_and_filter", "tokenize_text", "words_tokenize", "char_classes",
           "FastTokenizer"]


def _sentence_splitter():
    from nltk.tokenize import PunktSentenceTokenizer

    return PunktSentenceTokenizer()


def tokenize(
    text: str, lowercase: bool = True, keep_punctuation: bool = True
) -> list[str]:
    """Split ``text`` into word tokens, offline.

    >>> tokenize("The Union is strong. We are here!")
    ['the', 'union', 'is', 'strong', '.', 'we', 'are', 'here', '!']
    """
    from nltk.tokenize import word_tokenize

    tokens: list[str] = []
    for sentence in _sentence_splitter().tokenize(text):
        tokens.extend(word_tokenize(sentence, preserve_line=True))
    if lowercase:
        tokens = [t.lower() for t in tokens]
    if not keep_punctuation:
        tokens = [t for t in tokens if any(ch.isalnum() for ch in t)]
    return tokens


def tokenize_and_filter(text: str, lowercase: bool = True) -> list[str]:
    """Tokenise and drop tokens with no letter or digit (punctuation), as the blog post did."""
    return tokenize(text, lowercase=lowercase, keep_punctuation=False)


TOKENIZERS = ("treebank", "words", "whitespace")
"""``treebank``: :func:`tokenize` (NLTK Punkt + Treebank, the book's tokens, about 0.1 M tokens/s);
``words``: runs of word characters and single punctuation characters, as the regular
expression ``\\w+|[^\\w\\s]`` (compiled; tens of M tokens/s); ``whitespace``: runs of
non-space characters (for corpora already tokenised, such as text8)."""
Tokenizer = Literal["treebank", "words", "whitespace"]

WHOLE_TEXT_CHARS = 1_000_000  # texts up to this length go to tokenize() whole, as in the book
PIECE_CHARS = 100_000  # longer texts are cut at line ends, then at spaces, into pieces this long


def _text_pieces(text: str, limit: int = PIECE_CHARS) -> Iterable[str]:
    """Cut ``text`` at line ends into pieces of at most ``limit`` characters; a longer line is cut at a space."""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", limit // 2, limit)
            if cut < 0:
                cut = limit  # a "word" longer than half the limit: cut it
            yield line[:cut]
            line = line[cut:]
        yield line


def tokenize_text(text: str, lowercase: bool = True, keep_punctuation: bool = True) -> list[str]:
    """:func:`tokenize` that never raises, for text of any length.

    Up to ``WHOLE_TEXT_CHARS`` characters the text goes to :func:`tokenize` whole (the
    book's tokens, unchanged). Longer text, or text on which NLTK gives up (its regular
    expressions stop after 5 s on one "sentence", e.g. a 100 MB line without full stops),
    is tokenised piece by piece (lines, then at spaces every ``PIECE_CHARS`` characters);
    a piece NLTK still rejects is split by the ``words`` tokenizer.
    """
    if len(text) <= WHOLE_TEXT_CHARS:
        try:
            return tokenize(text, lowercase=lowercase, keep_punctuation=keep_punctuation)
        except Exception:  # noqa: BLE001 - NLTK's regex time limit (TimeoutError) or another internal failure
            pass
    tokens: list[str] = []
    for piece in _text_pieces(text):
        try:
            tokens += tokenize(piece, lowercase=lowercase, keep_punctuation=keep_punctuation)
        except Exception:  # noqa: BLE001
            tokens += words_tokenize(piece, lowercase=lowercase, keep_punctuation=keep_punctuation)
    return tokens


_WORDS_RE = None


def words_tokenize(text: str, lowercase: bool = True, keep_punctuation: bool = True) -> list[str]:
    """The ``words`` tokenizer in plain Python: ``re.findall(r"\\w+|[^\\w\\s]", text)``.

    The readable reference for :class:`FastTokenizer` (which gives the same tokens, compiled).
    """
    import re

    global _WORDS_RE
    if _WORDS_RE is None:
        _WORDS_RE = re.compile(r"\w+|[^\w\s]")
    tokens = _WORDS_RE.findall(text.lower() if lowercase else text)
    if not keep_punctuation:
        tokens = [t for t in tokens if any(ch.isalnum() for ch in t)]
    return tokens


_CHAR_CLASSES: np.ndarray | None = None


def char_classes() -> np.ndarray:
    """Per Unicode code point (shape (0x110000,), uint8): 0 space (``str.isspace``), 1 word character
    (``str.isalnum`` or ``_``, as ``\\w`` in Python's ``re``), 2 anything else. Built once, about 0.5 s."""
    global _CHAR_CLASSES
    if _CHAR_CLASSES is None:
        classes = np.full(0x110000, 2, dtype=np.uint8)
        cps = np.r_[0:0xD800, 0xE000:0x110000]  # surrogates never come out of UTF-8 decoding
        chars = "".join(map(chr, cps))
        classes[cps[np.fromiter((c.isalnum() or c == "_" for c in chars), bool, cps.size)]] = 1
        classes[cps[np.fromiter((c.isspace() for c in chars), bool, cps.size)]] = 0
        _CHAR_CLASSES = classes
    return _CHAR_CLASSES


class FastTokenizer:
    """The ``words`` and ``whitespace`` tokenizers, compiled (numba), with a growing table of token types.

    Each call to :meth:`tokenize` returns type ids (int32) into :attr:`types`, so a corpus
    is tokenised and counted in one pass without making a Python string per token; about
    30x faster than ``str.split`` plus a ``Counter`` per token. Not thread-safe: one
    instance per thread.

    >>> tok = FastTokenizer()
    >>> text = "The Union is strong.\\nWe are here!"
    >>> ids, line_ends = tok.tokenize(text, lines=True)
    >>> [tok.types[i] for i in ids], line_ends.tolist()
    (['the', 'union', 'is', 'strong', '.', 'we', 'are', 'here', '!'], [5])
    """

    def __init__(self, split_punct: bool = True, lowercase: bool = True, initial_types: int = 1 << 16):
        self.split_punct = split_punct
        self.lowercase = lowercase
        self._state = np.zeros(2, dtype=np.int64)  # number of types, bytes used
        self._type_start = np.zeros(initial_types, dtype=np.int64)
        self._type_len = np.zeros(initial_types, dtype=np.int64)
        self._type_hash = np.zeros(initial_types, dtype=np.uint64)
        self._type_bytes = np.zeros(initial_types * 8, dtype=np.uint8)
        self._table = np.full(4 * initial_types, -1, dtype=np.int32)
        self._table_hash = np.zeros(4 * initial_types, dtype=np.uint64)
        self._types: list[str] = []

    def __len__(self) -> int:
        return int(self._state[0])

    def _grow(self) -> None:
        n_types, n_bytes = int(self._state[0]), int(self._state[1])
        if n_types + 1 >= self._type_start.size:
            size = 2 * self._type_start.size
            for name in ("_type_start", "_type_len", "_type_hash"):
                old = getattr(self, name)
                new = np.zeros(size, dtype=old.dtype)
                new[:n_types] = old[:n_types]
                setattr(self, name, new)
        if n_bytes + (1 << 20) >= self._type_bytes.size:
            new = np.zeros(2 * self._type_bytes.size + (1 << 20), dtype=np.uint8)
            new[:n_bytes] = self._type_bytes[:n_bytes]
            self._type_bytes = new
        if 4 * (n_types + 1) > self._table.size:
            from glove_lite._tokscan import rehash

            self._table, self._table_hash = rehash(2 * self._table.size, self._type_hash, n_types)

    def tokenize(self, text: str | bytes, lines: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Token type ids of ``text``, shape (n,) int32, and (``lines=True``) the number
        of tokens before each newline, shape (newlines,) int64. ``bytes`` must be
        valid UTF-8 (it is not checked)."""
        from glove_lite._tokscan import scan

        if isinstance(text, str):
            data = (text.lower() if self.lowercase else text).encode("utf-8")
        elif self.lowercase:
            data = text.decode("utf-8").lower().encode("utf-8") if not text.isascii() else text.lower()
        else:
            data = text
        buf = np.frombuffer(data, dtype=np.uint8)
        out = np.empty(buf.size, dtype=np.int32)
        line_ends = np.empty(int(np.count_nonzero(buf == 10)) if lines else 0, dtype=np.int64)
        pos = n_out = n_lines = 0
        classes = char_classes()
        while True:
            pos, n_out, n_lines = scan(buf, pos, classes, self.split_punct, lines, self._table, self._table_hash,
                                       self._type_start,
                                       self._type_len, self._type_hash, self._type_bytes, self._state, out, n_out,
                                       line_ends, n_lines)
            if pos >= buf.size:
                break
            self._grow()
        return out[:n_out].copy(), line_ends[:n_lines]

    @property
    def types(self) -> list[str]:
        """The token types seen so far; type id ``i`` is ``types[i]``."""
        n = len(self)
        if len(self._types) < n:
            starts, lens, data = self._type_start, self._type_len, self._type_bytes
            blob = data[: int(self._state[1])].tobytes()
            self._types += [blob[s:s + k].decode("utf-8") for s, k in zip(starts[len(self._types):n].tolist(),
                                                                           lens[len(self._types):n].tolist())]
        return self._types
