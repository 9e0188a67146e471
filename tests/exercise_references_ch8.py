"""Chapter 8's exercises: reference solutions and typical wrong answers, written independently of the chapter.

tests/exercise_references.py adds the references to its REFERENCES and tests/test_exercises.py
the wrong answers to its WRONG_ANSWERS, so the generic tests there (references pass, stubs
and wrong answers fail with their hints, hidden cases) cover these checks too.
"""

from __future__ import annotations

import numpy as np


def sparse_adagrad_step(W, accum, rows, grads, lr):
    W, accum = np.array(W, dtype=np.float64), np.array(accum, dtype=np.float64)
    touched, where = np.unique(rows, return_inverse=True)
    g = np.zeros((touched.size, W.shape[1]))
    np.add.at(g, where, grads)
    accum[touched] += g * g
    W[touched] -= lr * g / np.sqrt(accum[touched])
    return W, accum


def dsgd_schedule(G):
    return [[(p, (p + s) % G) for p in range(G)] for s in range(G)]


# --------------------------------------------------------------------------- typical wrong answers


def sparse_fancy_index(W, accum, rows, grads, lr):
    W, accum = W.copy(), accum.copy()
    accum[rows] += grads * grads
    W[rows] -= lr * grads / np.sqrt(accum[rows])
    return W, accum


def sparse_one_step_per_piece(W, accum, rows, grads, lr):
    W, accum = W.copy(), accum.copy()
    for r, g in zip(rows, grads):
        accum[r] += g * g
        W[r] -= lr * g / np.sqrt(accum[r])
    return W, accum


def sparse_squares_of_pieces(W, accum, rows, grads, lr):
    W, accum = W.copy(), accum.copy()
    g, sq = np.zeros_like(W), np.zeros_like(W)
    np.add.at(g, rows, grads)
    np.add.at(sq, rows, grads * grads)
    accum += sq
    return W - lr * g / np.sqrt(accum), accum


def sparse_old_sum(W, accum, rows, grads, lr):
    g = np.zeros_like(W)
    np.add.at(g, rows, grads)
    return W - lr * g / np.sqrt(accum), accum + g * g


def sparse_all_rows_move(W, accum, rows, grads, lr):
    g = np.zeros_like(W)
    np.add.at(g, rows, grads)
    accum = accum + g * g
    return W - lr * (g + 1e-3) / np.sqrt(accum), accum


def schedule_same_column(G):
    return [[(p, s) for p in range(G)] for s in range(G)]


def schedule_rows_rotate(G):
    return [[((p + s) % G, p) for p in range(G)] for s in range(G)]


def schedule_one_stratum_short(G):
    return [[(p, (p + s) % G) for p in range(G)] for s in range(G - 1)] if G > 1 else [[(0, 0)], [(0, 0)]]


def schedule_repeats_a_tile(G):
    strata = [[(p, (p + s) % G) for p in range(G)] for s in range(G)]
    if G > 1:
        strata[-1] = [(p, (p + 1) % G) if p == 0 else (p, (p - 1) % G) for p in range(G)]
    else:
        strata = [[(0, 1)]]
    return strata


CH8_REFERENCES = {
    "check_sparse_adagrad_step": sparse_adagrad_step,
    "check_dsgd_schedule": dsgd_schedule,
}

CH8_WRONG_ANSWERS = [
    ("check_sparse_adagrad_step", sparse_fancy_index, "writes a repeated row once"),
    ("check_sparse_adagrad_step", sparse_one_step_per_piece, "one AdaGrad step per piece"),
    ("check_sparse_adagrad_step", sparse_squares_of_pieces, "square of the *sum* of its pieces"),
    ("check_sparse_adagrad_step", sparse_old_sum, "already includes this step's gradient squared"),
    ("check_sparse_adagrad_step", sparse_all_rows_move, "is not in rows, yet it changed"),
    ("check_dsgd_schedule", schedule_same_column, "the column blocks must all differ"),
    ("check_dsgd_schedule", schedule_rows_rotate, "only the blocks of W_tilde move"),
    ("check_dsgd_schedule", schedule_one_stratum_short, "strata; expected"),
    ("check_dsgd_schedule", schedule_repeats_a_tile, "and again in stratum"),
]
