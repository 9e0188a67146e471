"""The whole pipeline with disk caches: corpus -> tokens -> vocabulary -> X -> vectors.

Tokenising the full SOTU corpus takes about 25 s, so tokens are cached on disk, keyed by
the documents' text and the tokeniser settings; trained vectors are cached keyed by the
tokens, the vocabulary and window settings, the training config and the library version.
The cache folder is ``$GLOVE_LITE_CACHE`` or ``~/.cache/glove-lite``.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Sequence

import numpy as np

from glove_lite import __version__
from glove_lite.cooccur import build_cooc_matrix
from glove_lite.corpus import Document, load_sotu, read_texts
from glove_lite.fileio import atomic_write
from glove_lite.preprocess import Vocabulary, tokenize
from glove_lite.train import EpochCallback, TrainConfig, TrainResult, train_glove
from glove_lite.vectors import WordVectors

TOKENIZER_VERSION = 1  # bump when tokenize() changes what it returns


def cache_dir() -> Path:
    """The cache folder (created on first use)."""
    path = Path(os.environ.get("GLOVE_LITE_CACHE") or Path.home() / ".cache" / "glove-lite")
    path.mkdir(parents=True, exist_ok=True)
    return path


def load_corpus(corpus: str | Path) -> list[Document]:
    """``"sotu"`` for the State of the Union addresses, else a text file or a folder of ``.txt`` files."""
    return load_sotu() if str(corpus) == "sotu" else read_texts(corpus)


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


def code_fingerprint() -> str:
    """A hash of the modules that determine trained vectors: a change to them invalidates cached vectors."""
    from glove_lite import cooccur, loss, train

    h = hashlib.sha256()
    for module in (cooccur, loss, train):
        h.update(Path(module.__file__).read_bytes())
    return h.hexdigest()[:12]


def _tokens_key(documents: Sequence[Document], lowercase: bool, keep_punctuation: bool) -> str:
    h = hashlib.sha256(json.dumps([TOKENIZER_VERSION, lowercase, keep_punctuation]).encode())
    for doc in documents:
        h.update(hashlib.sha256(doc.text.encode("utf-8")).digest())
    return h.hexdigest()[:20]


def tokenize_documents(
    documents: Sequence[Document],
    lowercase: bool = True,
    keep_punctuation: bool = True,
    cache: bool = True,
    progress: bool = False,
    workers: int = 1,
) -> TokenizedCorpus:
    """Tokenise every document (see :func:`~glove_lite.preprocess.tokenize`), from the disk cache when possible.

    Uncached, ``workers > 1`` tokenises in that many fresh processes (``spawn``), about
    twice as fast on two cores. A script that passes ``workers > 1`` needs the usual
    ``if __name__ == "__main__":`` guard, as for any ``multiprocessing`` code.
    """
    path = cache_dir() / f"tokens-{_tokens_key(documents, lowercase, keep_punctuation)}.npz" if cache else None
    if path is not None and path.exists():
        with np.load(path, allow_pickle=False) as z:
            ids, lengths = z["ids"], z["lengths"]
            types = tuple(json.loads(str(z["types"])))
        return TokenizedCorpus(types, tuple(np.split(ids, np.cumsum(lengths)[:-1])))
    texts = [doc.text for doc in documents]
    work = partial(tokenize, lowercase=lowercase, keep_punctuation=keep_punctuation)
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


def train_vectors(
    corpus: str | Path | Sequence[Document] = "sotu",
    min_count: int = 10,
    window: int = 10,
    config: TrainConfig = TrainConfig(),
    max_size: int | None = None,
    cache: bool = True,
    progress: bool = False,
    callback: EpochCallback | None = None,
) -> tuple[WordVectors, TrainResult | None]:
    """Train (or load from the cache) GloVe vectors for a corpus.

    Returns the vectors and the :class:`TrainResult` (``None`` when they came from the cache).
    """
    documents = load_corpus(corpus) if isinstance(corpus, (str, Path)) else list(corpus)
    tokens = tokenize_documents(documents, cache=cache, progress=progress)
    key_src = json.dumps(
        [__version__, code_fingerprint(), _tokens_key(documents, True, True), min_count, window, max_size, asdict(config)],
        sort_keys=True,
    )
    path = cache_dir() / f"vectors-{hashlib.sha256(key_src.encode()).hexdigest()[:20]}.npz" if cache else None
    if path is not None and path.exists() and callback is None:
        with np.load(path, allow_pickle=False) as z:
            return WordVectors(tuple(json.loads(str(z["words"]))), z["vectors"]), None
    vocab = tokens.vocabulary(min_count=min_count, max_size=max_size)
    X = build_cooc_matrix(tokens.to_ids(vocab), len(vocab), window)
    result = train_glove(X, config, callback=callback, progress=progress)
    vectors = WordVectors.from_params(vocab.words, result.params)
    if path is not None:
        with atomic_write(path, mode="wb", overwrite=True) as fh:
            np.savez(fh, words=np.array(json.dumps(vectors.words)), vectors=vectors.vectors)
    return vectors, result
