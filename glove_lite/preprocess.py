"""Text to tokens, tokens to a vocabulary, tokens to integer ids.

Tokenising needs no downloaded NLTK data: sentences are split by an untrained
``PunktSentenceTokenizer`` (its defaults need no model), words by NLTK's Treebank
word tokenizer with ``preserve_line=True``. Lowercasing comes after splitting,
because Punkt uses case to find sentence starts.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Literal, Sequence

import numpy as np

from glove_lite.errors import UnknownWordError, VocabularyError

UNK = "<unk>"
OovPolicy = Literal["drop", "unk", "error"]


def _sentence_splitter():
    from nltk.tokenize import PunktSentenceTokenizer

    return PunktSentenceTokenizer()


def tokenize(text: str, lowercase: bool = True, keep_punctuation: bool = True) -> list[str]:
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
        cls, counts: Counter | dict[str, int], min_count: int = 1, max_size: int | None = None, unk: bool = False
    ) -> "Vocabulary":
        """Keep words seen at least ``min_count`` times, at most ``max_size`` of them (most frequent first)."""
        if min_count < 1:
            raise VocabularyError(f"min_count={min_count}; expected an integer >= 1")
        if max_size is not None and max_size < 1:
            raise VocabularyError(f"max_size={max_size}; expected an integer >= 1 or None")
        kept = sorted(((w, c) for w, c in counts.items() if c >= min_count), key=lambda wc: (-wc[1], wc[0]))
        if max_size is not None:
            kept = kept[:max_size]
        if not kept:
            top = max(counts.values(), default=0)
            raise VocabularyError(
                f"min_count={min_count} leaves no words (the most frequent word occurs {top} times); "
                f"expected min_count <= {max(top, 1)}"
            )
        words = [w for w, _ in kept]
        freqs = [c for _, c in kept]
        if unk:
            if UNK in counts:
                raise VocabularyError(f"the corpus itself contains the token {UNK!r}; cannot reserve it")
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


def tokens_to_ids(tokens: Sequence[str], vocab: Vocabulary, oov: OovPolicy = "drop") -> np.ndarray:
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
            raise VocabularyError(f"oov='unk' needs a vocabulary built with unk=True (one ending in {UNK!r})")
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
    >>> ids, line_ends = tok.tokenize("The Union is strong.\\nWe are here!", lines=True)
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
        """Token type ids of ``text``, shape (n,) int32, and (``lines=True``) the number of tokens before
        each newline, shape (newlines,) int64. ``bytes`` must be valid UTF-8 (it is not checked)."""
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


DOC_BREAK = -1  # in a TokenStore's id file, ends a document


@dataclass
class TokenStore:
    """The tokens of a streamed corpus, on disk: one int32 type id per token, ``DOC_BREAK`` between documents.

    Written by :func:`tokenize_stream`; read back in blocks of vocabulary ids by
    :meth:`id_blocks`. ``types[i]`` is type ``i``, ``counts[i]`` its frequency.
    """

    path: Path
    types: list[str]
    counts: np.ndarray
    n_tokens: int
    n_docs: int
    tokenizer: str = "words"

    def vocabulary(self, min_count: int = 1, max_size: int | None = None, keep_punctuation: bool = True) -> Vocabulary:
        """The vocabulary of the corpus (see :meth:`Vocabulary.from_counts`); punctuation-only types left out
        when ``keep_punctuation`` is false."""
        counts = {w: int(c) for w, c in zip(self.types, self.counts.tolist()) if c >= min_count}
        if not keep_punctuation:
            counts = {w: c for w, c in counts.items() if any(ch.isalnum() for ch in w)}
        if not counts:
            top = int(self.counts.max()) if self.counts.size else 0
            raise VocabularyError(
                f"min_count={min_count} leaves no words (the most frequent word occurs {top} times); "
                f"expected min_count <= {max(top, 1)}"
            )
        return Vocabulary.from_counts(counts, min_count=min_count, max_size=max_size)

    def id_blocks(self, vocab: Vocabulary, block_tokens: int = 1 << 22) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(ids, docs)``: vocabulary ids (int32, out-of-vocabulary tokens dropped as in
        :func:`tokens_to_ids`) and their document numbers (int64, non-decreasing across blocks)."""
        lookup = np.array([vocab.index.get(t, -1) for t in self.types] + [-2], dtype=np.int32)  # [-1] -> -2: a break
        doc = 0
        with open(self.path, "rb") as fh:
            while True:
                raw = np.fromfile(fh, dtype=np.int32, count=block_tokens)
                if raw.size == 0:
                    return
                ids = lookup[raw]
                breaks = ids == -2
                docs = doc + np.cumsum(breaks, dtype=np.int64)
                doc = int(docs[-1])
                keep = ids >= 0
                yield ids[keep], docs[keep]


def _treebank_ids(piece_text: str, lines: bool, index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Treebank tokens of a piece as type ids (``index`` grows), and the token count at each newline (lines mode)."""
    texts = piece_text.split("\n") if lines else [piece_text]
    ids: list[int] = []
    ends: list[int] = []
    for text in texts:
        ids.extend(index.setdefault(t, len(index)) for t in tokenize_text(text))
        ends.append(len(ids))
    return np.array(ids, dtype=np.int32), np.array(ends[:-1], dtype=np.int64)


def _tokenized_pieces(pieces: Iterable, tokenizer: str, lowercase: bool, workers: int, types: list[str]):
    """Yield ``(piece, ids, line_ends)`` in order, ids into ``types`` (which grows). The fast tokenizers run in
    ``workers`` threads (numba releases the GIL), one :class:`FastTokenizer` each, their ids mapped to one table."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    if tokenizer == "treebank":
        index: dict[str, int] = {}
        for piece in pieces:
            ids, ends = _treebank_ids(piece.text, piece.lines, index)
            types.extend(list(index)[len(types):])
            yield piece, ids, ends
        return
    toks = [FastTokenizer(split_punct=tokenizer == "words", lowercase=lowercase) for _ in range(workers)]
    maps = [np.zeros(0, dtype=np.int32) for _ in range(workers)]
    index = {}

    def work(w: int, text: str, lines: bool):
        tok = toks[w]
        before = len(tok)
        ids, ends = tok.tokenize(text, lines=lines)
        return ids, ends, tok.types[before:len(tok)]  # new types, read in the thread that made them

    pending: deque = deque()
    executors = [ThreadPoolExecutor(1) for _ in range(workers)]
    try:
        def finish():
            piece, w, future = pending.popleft()
            ids, ends, new_types = future.result()
            if new_types:
                new = np.array([index.setdefault(t, len(index)) for t in new_types], dtype=np.int32)
                maps[w] = np.concatenate([maps[w], new])
                types.extend(list(index)[len(types):]) if len(index) > len(types) else None
            return piece, maps[w][ids], ends

        for k, piece in enumerate(pieces):
            w = k % workers
            pending.append((piece, w, executors[w].submit(work, w, piece.text, piece.lines)))
            if len(pending) >= 2 * workers:
                yield finish()
        while pending:
            yield finish()
    finally:
        for ex in executors:
            ex.shutdown(wait=True, cancel_futures=True)


def tokenize_stream(pieces: Iterable, path: str | Path, tokenizer: Tokenizer = "words", lowercase: bool = True,
                    progress: Callable[[int, int], None] | None = None, workers: int | None = None) -> TokenStore:
    """Pass 1 over a streamed corpus: tokenise every :class:`~glove_lite.corpus.TextPiece`, count the types and
    write the type ids to ``path`` (4 bytes a token), holding only a few pieces in memory.

    The fast tokenizers use ``workers`` threads (default: the number of CPUs, at most 4);
    the result does not depend on it. ``progress(nbytes, ntokens)`` is called after each piece.
    """
    import os

    if tokenizer not in TOKENIZERS:
        raise VocabularyError(f"tokenizer={tokenizer!r}; expected one of {', '.join(TOKENIZERS)}")
    workers = max(1, min(4, os.cpu_count() or 1)) if workers is None else max(1, int(workers))
    types: list[str] = []
    counts = np.zeros(0, dtype=np.int64)
    n_tokens = n_docs = 0
    last_doc = None
    current_has_tokens = False
    with open(path, "wb") as out:
        for piece, ids, line_ends in _tokenized_pieces(pieces, tokenizer, lowercase, workers, types):
            continues = piece.doc == last_doc
            if last_doc is not None and not continues:
                np.array([DOC_BREAK], dtype=np.int32).tofile(out)
            # token counts of the piece's segments: its lines, or the whole piece
            segments = np.diff(np.r_[0, line_ends, ids.size])
            n_docs += int(np.count_nonzero(segments[1:] > 0))
            if segments[0] > 0 and not (continues and current_has_tokens):
                n_docs += 1
            current_has_tokens = bool(segments[-1] > 0) or (segments.size == 1 and continues and current_has_tokens)
            last_doc = piece.doc + line_ends.size
            # a break at each newline (documents with no tokens leave only a break)
            (np.insert(ids, line_ends, DOC_BREAK) if line_ends.size else ids).tofile(out)
            c = np.bincount(ids, minlength=len(types))
            if c.size > counts.size:
                counts = np.concatenate([counts, np.zeros(c.size - counts.size, dtype=np.int64)])
            counts[: c.size] += c
            n_tokens += ids.size
            if progress is not None:
                progress(piece.nbytes, int(ids.size))
    counts = np.concatenate([counts, np.zeros(len(types) - counts.size, dtype=np.int64)])
    return TokenStore(Path(path), types, counts, n_tokens, n_docs, tokenizer)


# ---------------------------------------------------------------------------------------------
# In-memory corpora (the book's): tokenised once, cached on disk.
# ---------------------------------------------------------------------------------------------

TOKENIZER_VERSION = 1  # bump when tokenize() changes what it returns


@dataclass(frozen=True)
class TokenizedCorpus:
    """Tokenised documents stored compactly: distinct token strings and, per document, indices into them."""

    types: tuple[str, ...]
    docs: tuple[np.ndarray, ...]

    @property
    def n_tokens(self) -> int:
        return int(sum(d.size for d in self.docs))

    def counts(self) -> Counter:
        """Token frequencies over the whole corpus."""
        total = np.bincount(np.concatenate(self.docs), minlength=len(self.types)) if self.docs else []
        return Counter(dict(zip(self.types, map(int, total))))

    def documents(self) -> list[list[str]]:
        """The tokens of each document as strings."""
        return [[self.types[i] for i in d.tolist()] for d in self.docs]

    def vocabulary(self, min_count: int = 1, max_size: int | None = None) -> Vocabulary:
        return Vocabulary.from_counts(self.counts(), min_count=min_count, max_size=max_size)

    def to_ids(self, vocab: Vocabulary) -> list[np.ndarray]:
        """Each document as vocabulary ids (int32), out-of-vocabulary tokens dropped as in ``tokens_to_ids``."""
        lookup = np.array([vocab.index.get(t, -1) for t in self.types], dtype=np.int32)
        out = []
        for d in self.docs:
            ids = lookup[d]
            out.append(ids[ids >= 0])
        return out


def tokens_key(documents: Sequence, lowercase: bool, keep_punctuation: bool) -> str:
    """A hash of the documents' text and the tokeniser's settings: the token cache's key."""
    import hashlib
    import json

    h = hashlib.sha256(json.dumps([TOKENIZER_VERSION, lowercase, keep_punctuation]).encode())
    for doc in documents:
        h.update(hashlib.sha256(doc.text.encode("utf-8")).digest())
    return h.hexdigest()[:20]


def tokenize_documents(
    documents: Sequence,
    lowercase: bool = True,
    keep_punctuation: bool = True,
    cache: bool = True,
    progress: bool = False,
    workers: int = 1,
) -> TokenizedCorpus:
    """Tokenise every document (see :func:`tokenize`), from the disk cache when possible.

    Each document goes through :func:`tokenize_text`: :func:`tokenize` itself for any text
    of normal length, so the tokens are the book's, and never an exception for odd input.
    Uncached, ``workers > 1`` tokenises in that many fresh processes (``spawn``), about
    twice as fast on two cores. A script that passes ``workers > 1`` needs the usual
    ``if __name__ == "__main__":`` guard, as for any ``multiprocessing`` code.
    """
    import json
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from contextlib import ExitStack
    from functools import partial

    from glove_lite.cache import cache_dir
    from glove_lite.fileio import atomic_write

    path = cache_dir() / f"tokens-{tokens_key(documents, lowercase, keep_punctuation)}.npz" if cache else None
    if path is not None and path.exists():
        with np.load(path, allow_pickle=False) as z:
            ids, lengths = z["ids"], z["lengths"]
            types = tuple(json.loads(str(z["types"])))
        return TokenizedCorpus(types, tuple(np.split(ids, np.cumsum(lengths)[:-1])))
    texts = [doc.text for doc in documents]
    work = partial(tokenize_text, lowercase=lowercase, keep_punctuation=keep_punctuation)
    type_index: dict[str, int] = {}
    docs = []
    with ExitStack() as stack:
        if workers > 1 and len(texts) >= 8:
            # A fresh interpreter per worker: forking a process that has started JAX's threads is unsafe.
            pool = stack.enter_context(ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")))
            token_lists = pool.map(work, texts, chunksize=4)
        else:
            token_lists = map(work, texts)
        if progress:
            from tqdm.auto import tqdm

            token_lists = tqdm(token_lists, total=len(texts), desc="tokenising", unit="doc")
        for toks in token_lists:
            docs.append(np.array([type_index.setdefault(t, len(type_index)) for t in toks], dtype=np.int32))
    result = TokenizedCorpus(tuple(type_index), tuple(docs))
    if path is not None:
        with atomic_write(path, mode="wb", overwrite=True) as fh:
            np.savez(
                fh,
                ids=np.concatenate(docs) if docs else np.zeros(0, np.int32),
                lengths=np.array([d.size for d in docs], dtype=np.int64),
                types=np.array(json.dumps(result.types)),
            )
    return result
