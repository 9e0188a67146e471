"""The disk caches: tokens and trained vectors come back identical, keyed by what produced them."""

import numpy as np

from glove_lite.corpus import Document
from glove_lite.cache import cache_dir
from glove_lite.pipeline import train_vectors
from glove_lite.preprocess import tokenize, tokenize_documents
from glove_lite.training import TrainConfig

DOCS = [Document(f"The people shall keep liberty {i}. Liberty and union, now and forever!" * 5, f"d{i}") for i in range(10)]


def test_token_cache_roundtrip_and_parallel_equals_serial():
    fresh = tokenize_documents(DOCS, cache=False, workers=1)
    assert fresh.documents() == [tokenize(d.text) for d in DOCS]
    parallel = tokenize_documents(DOCS, cache=True, workers=2)
    assert parallel.types == fresh.types
    assert len(list(cache_dir().glob("tokens-*.npz"))) >= 1
    cached = tokenize_documents(DOCS, cache=True)
    assert cached.types == fresh.types
    for a, b in zip(cached.docs, fresh.docs):
        np.testing.assert_array_equal(a, b)


def test_token_cache_is_keyed_by_text_and_settings():
    a = tokenize_documents(DOCS[:2], cache=True)
    b = tokenize_documents(DOCS[:2], cache=True, keep_punctuation=False)
    assert "." in a.types and "." not in b.types
    changed = [Document(DOCS[0].text + " Extra words.", "d0"), DOCS[1]]
    assert "extra" in tokenize_documents(changed, cache=True).types


def test_vocabulary_and_ids_from_tokens():
    tokens = tokenize_documents(DOCS, cache=False, workers=1)
    vocab = tokens.vocabulary(min_count=10)
    assert "liberty" in vocab and "0" not in vocab
    ids = tokens.to_ids(vocab)
    assert all(i.dtype == np.int32 and i.min() >= 0 for i in ids)
    assert sum(i.size for i in ids) == sum(vocab.counts)


def test_trained_vectors_are_cached():
    config = TrainConfig(dim=4, epochs=2)
    first, result = train_vectors(DOCS, min_count=2, window=3, config=config)
    assert result is not None and len(result.losses) == 2
    again, cached = train_vectors(DOCS, min_count=2, window=3, config=config)
    assert cached is None
    assert again.words == first.words
    np.testing.assert_array_equal(again.vectors, first.vectors)
    other, result = train_vectors(DOCS, min_count=2, window=3, config=TrainConfig(dim=4, epochs=2, seed=1))
    assert result is not None and not np.array_equal(other.vectors, first.vectors)
