"""Which library functions answer which exercise.

Several exercises ask the student to write a function that the library already has (the
book teaches by rebuilding it). Two consequences, both driven by the tables below:

* the check rejects the library's function, passed in or called from the student's code
  (it would pass trivially: the check compares with it);
* the student edition (``glove_lite.book.student``) does not print the source of an
  :data:`ANSWERS` function: a chapter's ``show_source(f)`` becomes
  ``show_signature(f, exercise=N)``, which shows the signature and docstring only.

Functions are named ``"package.module:Qualified.name"``.
"""

from __future__ import annotations

#: check -> the library functions whose code *is* the exercise's answer (hidden in the
#: student edition, rejected by the check)
ANSWERS: dict[str, tuple[str, ...]] = {
    "check_build_word_index": ("glove_lite.preprocess:Vocabulary.from_counts",),
    "check_tokens_to_ids": ("glove_lite.preprocess:tokens_to_ids",),
    "check_cooc_window": (),
    "check_cooc_float32": (),
    "check_weighting_fn": ("glove_lite.loss:weighting_fn",),
    "check_glove_loss": ("glove_lite.loss:glove_loss", "glove_lite.loss:weighted_pair_loss"),
    "check_glove_grads": (),
    "check_init_params": ("glove_lite.training.config:init_params",),
    "check_adagrad_step": (),
    "check_nearest_neighbors": ("glove_lite.vectors:WordVectors.nearest_neighbors", "glove_lite.vectors:WordVectors._top"),
    "check_analogy": ("glove_lite.vectors:WordVectors.analogy", "glove_lite.vectors:WordVectors._top"),
    "check_spearman": (),
    "check_similarity_score": (),
    "check_fit_rotation": ("glove_lite.align:procrustes_rotation",),
    "check_shared_neighbours": ("glove_lite.align:neighbour_overlap",),
    "check_word_change": ("glove_lite.align:align", "glove_lite.align:change_scores"),
    "check_sparse_adagrad_step": (),
    "check_dsgd_schedule": (),
}

#: check -> other functions that compute the answer: rejected by the check, but their code
#: is the chapter's subject (e.g. the sparse co-occurrence builder) and stays on the page
REJECTED: dict[str, tuple[str, ...]] = {
    "check_build_word_index": ("glove_lite.preprocess:Vocabulary.from_documents", "glove_lite.preprocess:build_word_index"),
    "check_cooc_window": ("glove_lite.cooccur:build_cooc_matrix", "glove_lite.cooccur:naive_cooc_matrix"),
    "check_cooc_float32": ("glove_lite.cooccur:build_cooc_matrix", "glove_lite.cooccur:naive_cooc_matrix"),
    "check_glove_loss": ("glove_lite.loss:dense_block_loss",),
    "check_glove_grads": (
        "glove_lite.loss:glove_loss", "glove_lite.loss:weighted_pair_loss", "glove_lite.loss:dense_block_loss",
        "jax:grad", "jax:value_and_grad", "jax:vjp",
    ),
    "check_spearman": ("scipy.stats:spearmanr",),
    "check_similarity_score": ("glove_lite.evaluate:word_similarity",),
    "check_fit_rotation": ("scipy.linalg:orthogonal_procrustes", "glove_lite.align:align"),
    "check_shared_neighbours": ("glove_lite.align:top_neighbours",),
    "check_word_change": ("glove_lite.align:procrustes_rotation", "scipy.linalg:orthogonal_procrustes"),
    "check_adagrad_step": ("optax:adagrad", "optax:scale_by_rss"),
    "check_sparse_adagrad_step": ("optax:adagrad", "optax:scale_by_rss", "glove_lite.training.optim:RowOptimizer.step"),
}


def forbidden(check: str) -> tuple[str, ...]:
    """Every function the student's answer to ``check`` must neither be nor call."""
    return ANSWERS.get(check, ()) + REJECTED.get(check, ())
