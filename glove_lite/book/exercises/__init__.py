"""Self-checks for the book's exercises.

Each ``check_...`` takes the student's function, runs it on small inputs (fixed seeds)
against the library's reference, and prints a one-line pass message or raises
:class:`CheckFailed` with a hint that says what is wrong (a shape, a missing symmetry,
an off-by-one window, a forgotten 1/d...). The checks never show the reference code.

>>> from glove_lite.book.exercises import check_cooc_window
>>> check_cooc_window(my_cooc_window)   # doctest: +SKIP
✔ check_cooc_window: `my_cooc_window` passed all 9 tests.

Every check takes ``hidden=True`` for the graders' hidden tests: the same diagnosis on
other inputs (other seeds and sizes, edge cases, properties the visible check leaves
out), which the course runs in nbgrader's hidden-test cells (see ``glove_lite.book.course``),
and ``points=P`` for a graded cell: every part of the check runs, one line per part is
printed, and the cell's value is the partial credit (see ``_base.run_parts``). A check rejects the library's
own function when the exercise asks the student to write it (:data:`ANSWERS`,
:data:`REJECTED`), and :func:`show_signature` is what the student edition shows in place
of such a function's source.

The submodules are imported on first use, so ``import glove_lite.book.exercises`` is cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from glove_lite.book.exercises._answers import ANSWERS, REJECTED, WRITTEN, forbidden
from glove_lite.book.exercises._base import CheckFailed

#: check name -> (submodule, chapter)
CHECKS: dict[str, tuple[str, str]] = {
    "check_build_word_index": ("preprocessing", "01_preprocessing"),
    "check_tokens_to_ids": ("preprocessing", "01_preprocessing"),
    "check_total_weight": ("cooccurrence", "02_cooccurrence"),
    "check_cooc_window": ("cooccurrence", "02_cooccurrence"),
    "check_cooc_float32": ("cooccurrence", "02_cooccurrence"),
    "check_weighting_fn": ("loss", "03_loss"),
    "check_glove_loss": ("loss", "03_loss"),
    "check_glove_grads": ("loss", "03_loss"),
    "check_init_params": ("training", "04_training"),
    "check_adagrad_step": ("training", "04_training"),
    "check_nearest_neighbors": ("inspecting", "05_inspecting"),
    "check_analogy": ("inspecting", "05_inspecting"),
    "check_spearman": ("evaluation", "06_evaluation"),
    "check_similarity_score": ("evaluation", "06_evaluation"),
    "check_fit_rotation": ("semantic_change", "07_semantic_change"),
    "check_shared_neighbours": ("semantic_change", "07_semantic_change"),
    "check_word_change": ("semantic_change", "07_semantic_change"),
    "check_sparse_adagrad_step": ("scaling", "08_beyond_one_laptop"),
    "check_dsgd_schedule": ("scaling", "08_beyond_one_laptop"),
}

__all__ = ["CheckFailed", "CHECKS", "ANSWERS", "REJECTED", "WRITTEN", "forbidden", "show_signature", *CHECKS]


def __getattr__(name: str) -> Any:
    if name in CHECKS:
        module = importlib.import_module(f"glove_lite.book.exercises.{CHECKS[name][0]}")
        return getattr(module, name)
    if name == "show_signature":
        return importlib.import_module("glove_lite.book.exercises._display").show_signature
    raise AttributeError(f"module 'glove_lite.book.exercises' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
