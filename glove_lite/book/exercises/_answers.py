"""Which library functions answer which exercise.

Several exercises ask the student to write a function that the library already has (the
book teaches by rebuilding it). Two consequences, both driven by the tables below:

* the check rejects the library's function, passed in or called from the student's code
  (it would pass trivially: the check compares with it);
* the student edition and the course (``glove_lite.book.convert``) do not print the
  source of an :data:`ANSWERS` function, in whatever chapter shows it: ``show_source(f)``
  becomes ``show_signature(f, exercise=N)``, which shows the signature and docstring only.

Functions are named ``"package.module:Qualified.name"``; ``tests/test_exercises.py`` fails
when one of them cannot be found (after a function moved, say), so a rename cannot quietly
put an answer back on the page.

Prose or a code cell that gives an answer away is marked in the chapter instead, with the
cell metadata ``answers: <exercise label>`` (``+++ {"answers": "ex-glove-grads"}`` above a
markdown cell): the editions replace that cell by a one-line note.

:data:`WRITTEN` lists what the coded exercises ask besides code; each gets an answer cell.
"""

from __future__ import annotations

#: check -> the library functions whose code *is* the exercise's answer (hidden in the
#: student edition, rejected by the check)
ANSWERS: dict[str, tuple[str, ...]] = {
    "check_build_word_index": ("glove_lite.preprocess:Vocabulary.from_counts",),
    "check_tokens_to_ids": ("glove_lite.preprocess:tokens_to_ids",),
    "check_total_weight": (),
    # the naive loop passes the matrix check: chapter 2 shows it, the editions must not
    "check_cooc_window": ("glove_lite.cooccur:naive_cooc_matrix",),
    "check_cooc_float32": (),
    "check_weighting_fn": ("glove_lite.loss:weighting_fn",),
    "check_glove_loss": ("glove_lite.loss:glove_loss", "glove_lite.loss:weighted_pair_loss",
                         "glove_lite.loss:loss_by_loop", "glove_lite.loss:dense_block_loss"),
    # a training step spells out the four gradients (2 f(X_ij) e_ij times the other vector, and alone
    # for the biases): the paper's pairs step (chapter 4), the sparse chunk step and the tiled half
    # step (chapter 8)
    "check_glove_grads": ("glove_lite.training.pairs:pairs_step", "glove_lite.training.sparse:chunk_step",
                          "glove_lite.training.tiled:chunk_half_step"),
    "check_init_params": ("glove_lite.training.config:init_params",),
    "check_adagrad_step": (),
    "check_nearest_neighbors": ("glove_lite.vectors:WordVectors.nearest_neighbors", "glove_lite.vectors:WordVectors.most_similar"),
    "check_analogy": ("glove_lite.vectors:WordVectors.analogy", "glove_lite.vectors:WordVectors.most_similar"),
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
    "check_total_weight": ("glove_lite.cooccur:build_cooc_matrix", "glove_lite.cooccur:naive_cooc_matrix"),
    "check_cooc_window": ("glove_lite.cooccur:build_cooc_matrix",),
    "check_cooc_float32": ("glove_lite.cooccur:build_cooc_matrix", "glove_lite.cooccur:naive_cooc_matrix"),
    "check_glove_grads": (
        "glove_lite.loss:glove_loss", "glove_lite.loss:weighted_pair_loss", "glove_lite.loss:dense_block_loss",
        "glove_lite.loss:loss_by_loop", "jax:grad", "jax:value_and_grad", "jax:vjp",
    ),
    "check_spearman": ("scipy.stats:spearmanr",),
    "check_similarity_score": ("glove_lite.evaluate:word_similarity",),
    "check_fit_rotation": ("scipy.linalg:orthogonal_procrustes", "glove_lite.align:align"),
    "check_shared_neighbours": ("glove_lite.align:top_neighbours",),
    "check_word_change": ("glove_lite.align:procrustes_rotation", "scipy.linalg:orthogonal_procrustes"),
    "check_adagrad_step": ("optax:adagrad", "optax:scale_by_rss"),
    "check_sparse_adagrad_step": ("optax:adagrad", "optax:scale_by_rss", "glove_lite.training.optim:RowOptimizer.step"),
}


#: exercise label -> what a coded exercise asks besides its code (a question, a comparison,
#: a measurement), shown in the answer cell the editions add after its checks (graded by
#: hand in the course); None where everything it asks is answered by the code itself.
#: Every coded exercise of the book must be listed (tests/test_student.py checks it).
WRITTEN: dict[str, str | None] = {
    "ex-build-word-index": "why `Counter.most_common` would not do for the order",
    "ex-tokens-to-ids": "which words become neighbours that were not neighbours in the text",
    "ex-cooc-total": "the comparison with `X.sum()`, and how the total grows with the window size",
    "ex-cooc-window": None,
    "ex-cooc-float32": "parts 2 and 3, the drift you measured and from which value on adding 1/10 changes nothing",
    "ex-weighting-fn": None,  # "what can?" is answered by the code (jnp.where)
    "ex-glove-loss": "why GloVe sums over the batch rather than averaging",
    "ex-glove-grads": None,  # the derivation is the code
    "ex-init-params": None,
    "ex-adagrad-step": "the comparison with optax, and why a frequent word's steps shrink faster than a rare one's",
    "ex-nearest-neighbors": "the comparison for *liberty*, and what goes wrong with the dot product",
    "ex-analogy": None,
    "ex-spearman": "why benchmarks use the ranks rather than the values",
    "ex-similarity-score": "the comparison with `word_similarity` on WordSim-353",
    "ex-procrustes": "your check that R^T R = I and that an exact rotation is recovered",
    "ex-shared-neighbours": "why this needs no alignment",
    "ex-word-change": "your demonstration that the unaligned distance is meaningless",
    "ex-sparse-adagrad": None,
    "ex-dsgd-schedule": None,
}


def forbidden(check: str) -> tuple[str, ...]:
    """Every function the student's answer to ``check`` must neither be nor call."""
    return ANSWERS.get(check, ()) + REJECTED.get(check, ())
