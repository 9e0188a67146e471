"""Tokenised corpora: the book's documents as token ids (cached on disk), and a streamed corpus of any size as an id file."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

from glove_lite.errors import VocabularyError
from glove_lite.preprocess.tokenizers import TOKENIZERS, FastTokenizer, Tokenizer, tokenize_text
from glove_lite.preprocess.vocabulary import Vocabulary

__all__ = ["DOC_BREAK", "TOKENIZER_VERSION", "TokenStore", "tokenize_stream", "TokenizedCorpus", "tokens_key",
           "tokenize_documents"]


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
