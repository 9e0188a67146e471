"""The stages chained: corpus -> counts (:mod:`glove_lite.counts`) -> vectors, with a disk cache of trained vectors.

Trained vectors are cached keyed by the tokens, the vocabulary and window settings, the training
config and the library's code. The cache folder is ``$GLOVE_LITE_CACHE`` or ``~/.cache/glove-lite``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Sequence

import numpy as np

from glove_lite import __version__
from glove_lite.cache import cache_dir
from glove_lite.corpus import Document, load_corpus
from glove_lite.counts import Counts, counts_from_documents
from glove_lite.fileio import atomic_write
from glove_lite.preprocess import tokens_key
from glove_lite.training import EpochCallback, TrainConfig, TrainResult, train_glove
from glove_lite.training.config import settings_of
from glove_lite.vectors import WordVectors

__all__ = ["train_from_counts", "train_vectors", "code_fingerprint"]


def code_fingerprint() -> str:
    """A hash of the modules that determine trained vectors: a change to them invalidates cached vectors."""
    from glove_lite import cooccur, loss, training

    h = hashlib.sha256()
    files = [Path(cooccur.__file__), Path(loss.__file__), *sorted(Path(training.__file__).parent.glob("*.py"))]
    for path in files:
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _tokens_key(documents: Sequence[Document], lowercase: bool, keep_punctuation: bool) -> str:
    return tokens_key(documents, lowercase, keep_punctuation)


def train_from_counts(counts: Counts, config: TrainConfig = TrainConfig(), progress: bool = False,
                      callback: EpochCallback | None = None, **options) -> tuple[WordVectors, TrainResult]:
    """The training stage: fit GloVe to X and pair the vectors (W + W~) with the vocabulary's words.

    ``options``: train_glove's checkpoint_dir, checkpoint_every, resume and free_x (which empties ``counts.X``).
    """
    result = train_glove(counts.X, config, callback=callback, progress=progress, words=counts.vocab.words, **options)
    return WordVectors.from_params(counts.vocab.words, result.params), result


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
    """Train (or load from the cache) GloVe vectors for an in-memory corpus (``"sotu"``, a file or folder read
    whole, or a list of documents): :func:`counts_from_documents`, then :func:`train_from_counts`.

    Returns the vectors and the :class:`TrainResult` (``None`` when they came from the cache).
    """
    documents = load_corpus(corpus) if isinstance(corpus, (str, Path)) else list(corpus)
    key_src = json.dumps(
        [__version__, code_fingerprint(), tokens_key(documents, True, True), min_count, window, max_size,
         settings_of(config)],
        sort_keys=True,
    )
    path = cache_dir() / f"vectors-{hashlib.sha256(key_src.encode()).hexdigest()[:20]}.npz" if cache else None
    if path is not None and path.exists() and callback is None:
        with np.load(path, allow_pickle=False) as z:
            return WordVectors(tuple(json.loads(str(z["words"]))), z["vectors"]), None
    counts = counts_from_documents(documents, min_count, window, max_size, cache=cache, progress=progress)
    vectors, result = train_from_counts(counts, config, progress=progress, callback=callback)
    if path is not None:
        with atomic_write(path, mode="wb", overwrite=True) as fh:
            np.savez(fh, words=np.array(json.dumps(vectors.words)), vectors=vectors.vectors)
    return vectors, result
