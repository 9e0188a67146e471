"""glove-lite: GloVe word vectors in JAX, a module per stage of the pipeline.

corpus -> preprocess (tokens, vocabulary) -> cooccur / counts (X) -> loss -> training -> vectors,
then evaluate, baselines, align, bias (WEAT) and pretrained beside them; pipeline chains the stages and cli is
the ``glove-lite`` command. ``glove_lite.book`` (what the chapters use) and ``glove_lite.studies``
(benchmarks) sit on top; nothing here imports them.

The names below are the public API, importable from the package root; each is loaded on first use,
so ``import glove_lite`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"

from glove_lite.errors import GloveLiteError, TrainingDivergedError, UnknownWordError  # noqa: E402

#: public name -> the module that defines it
_EXPORTS = {
    "Document": "corpus", "load_sotu": "corpus", "read_texts": "corpus", "load_corpus": "corpus",
    "tokenize": "preprocess", "tokenize_and_filter": "preprocess", "Vocabulary": "preprocess",
    "build_word_index": "preprocess", "tokens_to_ids": "preprocess", "tokenize_documents": "preprocess",
    "build_cooc_matrix": "cooccur", "naive_cooc_matrix": "cooccur", "cooc_matrix_to_arrays": "cooccur",
    "Counts": "counts", "count_corpus": "counts", "save_counts": "counts", "load_counts": "counts",
    "weighting_fn": "loss", "glove_loss": "loss",
    "GloveParams": "training", "TrainConfig": "training", "TrainResult": "training", "init_params": "training",
    "train_glove": "training", "STRATEGIES": "training", "OPTIMIZERS": "training",
    "WordVectors": "vectors",
    "evaluate_vectors": "evaluate", "word_similarity": "evaluate", "analogies": "evaluate",
    "load_pretrained": "pretrained", "weat_test": "bias",
    "train_vectors": "pipeline",
}

__all__ = ["__version__", "GloveLiteError", "TrainingDivergedError", "UnknownWordError", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"glove_lite.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'glove_lite' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
