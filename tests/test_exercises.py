"""The exercises' self-checks: reference solutions pass, stubs and typical wrong answers get the intended hint.

Three sources of solutions: tests/exercise_references.py (written independently of the
chapters), the chapters' own solution cells (extracted from book/NN_name.md), and
stubs made from the latter exactly as the student edition makes them.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import jax
import jax.numpy as jnp
import jupytext
import numpy as np
import pytest

import glove_lite.book.exercises as ex
from glove_lite.book.exercises import CHECKS, CheckFailed
from glove_lite.book.convert import has_solution_markers, stub_solutions

from exercise_references import REFERENCES
from exercise_references_ch8 import CH8_WRONG_ANSWERS

import exercise_references as ref

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_check(check_name: str, fn) -> str:
    """The CheckFailed message of ``check_name(fn)``; fails the test if the check passes."""
    with pytest.raises(CheckFailed) as info:
        getattr(ex, check_name)(fn)
    return str(info.value)


# --------------------------------------------------------------------------- references and stubs


def test_every_check_has_a_reference():
    assert set(REFERENCES) == set(CHECKS)


@pytest.mark.parametrize("check_name", sorted(CHECKS))
def test_reference_passes(check_name, capsys):
    getattr(ex, check_name)(REFERENCES[check_name])
    out = capsys.readouterr().out
    assert out.startswith("\u2714 " + check_name) and "passed all" in out


def _raising_stub(*args, **kwargs):
    # YOUR CODE HERE
    raise NotImplementedError("exercise: write your solution here")


def _ellipsis_stub(*args, **kwargs):
    ...


@pytest.mark.parametrize("check_name", sorted(CHECKS))
def test_raising_stub_is_not_implemented_yet(check_name):
    message = run_check(check_name, _raising_stub)
    assert "is not implemented yet" in message and "NotImplementedError" in message
    assert "Traceback" not in message


@pytest.mark.parametrize("check_name", sorted(CHECKS))
def test_ellipsis_stub_returns_none(check_name):
    message = run_check(check_name, _ellipsis_stub)
    assert "returned None" in message and "not implemented yet" in message


@pytest.mark.parametrize("check_name", sorted(CHECKS))
def test_result_instead_of_function(check_name):
    assert "pass the function itself" in run_check(check_name, 42)


def test_crash_in_student_code_is_reported_briefly():
    def cooc_window(documents, vocab_size, window_size):
        X = np.zeros((vocab_size, vocab_size))
        for ids in documents:
            for p in range(len(ids)):
                X[ids[p], ids[p + 1]] += 1.0  # IndexError at the end of the document
        return X

    message = run_check("check_cooc_window", cooc_window)
    assert message.startswith("`cooc_window(documents, 3, 1)` raised IndexError")
    assert "X[ids[p], ids[p + 1]] += 1.0" in message


def test_checkfailed_renders_without_traceback():
    lines = CheckFailed("a hint\nsecond line")._render_traceback_()
    assert "CheckFailed" in lines[0] and "a hint" in lines[0] and lines[1] == "second line"
    assert isinstance(CheckFailed("x"), AssertionError)


def test_checks_never_show_reference_source():
    """A failure message quotes no line of the library's reference code."""
    import inspect

    from glove_lite import cooccur, loss

    source_lines = {
        line.strip()
        for module in (cooccur, loss)
        for line in inspect.getsource(module).splitlines()
        if len(line.strip()) > 25
    }
    for check_name, wrong, _ in WRONG_ANSWERS:
        message = run_check(check_name, wrong)
        assert not any(line in message for line in source_lines), message


# --------------------------------------------------------------------------- typical wrong answers


def vocab_gt(documents, min_count):
    counts = Counter(t for d in documents for t in d)
    kept = sorted((w for w, c in counts.items() if c > min_count), key=lambda w: (-counts[w], w))
    return {w: i for i, w in enumerate(kept)}


def vocab_one_doc(documents, min_count):
    return ref.build_word_index(documents[:1], min_count)


def vocab_unsorted_ties(documents, min_count):
    counts = Counter(t for d in documents for t in d)
    kept = [w for w, c in counts.most_common() if c >= min_count]  # ties in order of appearance
    return {w: i for i, w in enumerate(kept)}


def vocab_ascending(documents, min_count):
    words = sorted(ref.build_word_index(documents, min_count), key=lambda w: 0)  # keep dict order
    return list(reversed(words))


def ids_keep_oov(tokens, index):
    return np.array([index.get(t, 0) for t in tokens], dtype=np.int32)


def ids_float(tokens, index):
    return np.array([index[t] for t in tokens if t in index], dtype=np.float64)


def _cooc_loop(documents, V, window, weight=lambda d: 1.0 / d, stop=0, both=True, diag_once=False, dtype=np.float64):
    X = np.zeros((V, V), dtype=dtype)
    for ids in documents:
        for p in range(len(ids)):
            for q in range(p + 1, min(p + window + 1 + stop, len(ids))):
                X[ids[p], ids[q]] += weight(q - p)
                if both and not (diag_once and ids[p] == ids[q]):
                    X[ids[q], ids[p]] += weight(q - p)
    return X


def total_one_way(lengths, window):
    return ref.total_weight(lengths, window) / 2


def total_n_pairs(lengths, window):
    return sum(2 * n / d for n in lengths for d in range(1, min(window, n - 1) + 1))


def total_no_cap(lengths, window):
    return sum(2 * (n - d) / d for n in lengths for d in range(1, window + 1))


def total_unweighted(lengths, window):
    return sum(2 * max(n - d, 0) for n in lengths for d in range(1, window + 1))


def total_window_plus_one(lengths, window):
    return ref.total_weight(lengths, window + 1)


def cooc_window_plus_one(documents, V, window):
    return _cooc_loop(documents, V, window, stop=1)


def cooc_window_minus_one(documents, V, window):
    return _cooc_loop(documents, V, window, stop=-1)


def cooc_unweighted(documents, V, window):
    return _cooc_loop(documents, V, window, weight=lambda d: 1.0)


def cooc_one_way(documents, V, window):
    return _cooc_loop(documents, V, window, both=False)


def cooc_crosses_documents(documents, V, window):
    return _cooc_loop([np.concatenate(documents)], V, window)


def cooc_diagonal_once(documents, V, window):
    return _cooc_loop(documents, V, window, diag_once=True)


def cooc_wrong_shape(documents, V, window):
    return _cooc_loop(documents, V + 1, window)


def cooc32_unweighted(documents, V, window):
    return _cooc_loop(documents, V, window, weight=lambda d: 1.0, dtype=np.float32)


def cooc_float32_drift(documents, V, window):
    return ref.cooc_float32(documents, V, window)


def cooc_float64_cast(documents, V, window):
    return ref.cooc_window(documents, V, window).astype(np.float32)


def cooc_float64_for_float32(documents, V, window):
    return ref.cooc_window(documents, V, window)


def weighting_no_cap(x, xmax=100.0, alpha=0.75):
    return (x / xmax) ** alpha


def weighting_no_alpha(x, xmax=100.0, alpha=0.75):
    return jnp.where(x < xmax, x / xmax, 1.0)


def weighting_defaults_only(x, xmax=100.0, alpha=0.75):
    return jnp.where(x < 100.0, (x / 100.0) ** 0.75, 1.0)


def weighting_python_if(x, xmax=100.0, alpha=0.75):
    if x < xmax:
        return (x / xmax) ** alpha
    return 1.0


def loss_outer(params, i, j, x):  # every word of the batch with every context
    W, Wt, b, bt = params
    return jnp.sum(ref.weighting_fn(x) * (W[i] @ Wt[j].T + b[i] + bt[j] - jnp.log(x)) ** 2)


def cooc_zero_distance(documents, V, window):  # ids[:-0] is empty
    X = np.zeros((V, V))
    for ids in documents:
        for d in range(window):
            np.add.at(X, (ids[:-d], ids[d:]), 1.0 / (d + 1))
            np.add.at(X, (ids[d:], ids[:-d]), 1.0 / (d + 1))
    return X


def cooc_weight_shifted(documents, V, window):
    return _cooc_loop(documents, V, window, weight=lambda d: 1.0 / (d + 1))


def loss_mean(params, i, j, x):
    return ref.glove_loss(params, i, j, x) / i.shape[0]


def loss_unweighted(params, i, j, x):
    W, Wt, b, bt = params
    return jnp.sum((jnp.sum(W[i] * Wt[j], axis=1) + b[i] + bt[j] - jnp.log(x)) ** 2)


def loss_no_log(params, i, j, x):
    W, Wt, b, bt = params
    return jnp.sum(ref.weighting_fn(x) * (jnp.sum(W[i] * Wt[j], axis=1) + b[i] + bt[j] - x) ** 2)


def loss_no_biases(params, i, j, x):
    W, Wt, b, bt = params
    return jnp.sum(ref.weighting_fn(x) * (jnp.sum(W[i] * Wt[j], axis=1) - jnp.log(x)) ** 2)


def loss_per_pair(params, i, j, x):
    W, Wt, b, bt = params
    return ref.weighting_fn(x) * (jnp.sum(W[i] * Wt[j], axis=1) + b[i] + bt[j] - jnp.log(x)) ** 2


def loss_w_twice(params, i, j, x):
    W, Wt, b, bt = params
    return jnp.sum(ref.weighting_fn(x) * (jnp.sum(W[i] * W[j], axis=1) + b[i] + bt[j] - jnp.log(x)) ** 2)


def loss_numpy(params, i, j, x):
    W, Wt, b, bt = (np.asarray(p) for p in params)
    i, j, x = np.asarray(i), np.asarray(j), np.asarray(x)
    f = np.where(x < 100, (x / 100) ** 0.75, 1.0)
    return float(np.sum(f * (np.sum(W[i] * Wt[j], axis=1) + b[i] + bt[j] - np.log(x)) ** 2))


def grads_no_two(params, i, j, x):
    return tuple(g / 2 for g in ref.glove_grads(params, i, j, x))


def grads_fancy_add(params, i, j, x):
    W, Wt, b, bt = params
    r = np.sum(W[i] * Wt[j], axis=1) + b[i] + bt[j] - np.log(x)
    g = 2 * np.asarray(ref.weighting_fn(x)) * r
    dW, dWt, db, dbt = (np.zeros_like(p) for p in params)
    dW[i] += g[:, None] * Wt[j]
    dWt[j] += g[:, None] * W[i]
    db[i] += g
    dbt[j] += g
    return dW, dWt, db, dbt


def grads_sign(params, i, j, x):
    return tuple(-g for g in ref.glove_grads(params, i, j, x))


def init_same_key(key, V, dim):
    W = (jax.random.uniform(key, (V, dim)) - 0.5) / dim
    W_tilde = (jax.random.uniform(key, (V, dim)) - 0.5) / dim
    return W, W_tilde, jnp.zeros(V), jnp.zeros(V)


def init_no_dim(key, V, dim):
    k1, k2 = jax.random.split(key)
    return jax.random.uniform(k1, (V, dim)) - 0.5, jax.random.uniform(k2, (V, dim)) - 0.5, jnp.zeros(V), jnp.zeros(V)


def init_normal(key, V, dim):
    k1, k2 = jax.random.split(key)
    return (jax.random.normal(k1, (V, dim)) * 0.5 / dim, jax.random.normal(k2, (V, dim)) * 0.5 / dim,
            jnp.zeros(V), jnp.zeros(V))


def init_unit_uniform(key, V, dim):
    k1, k2 = jax.random.split(key)
    return jax.random.uniform(k1, (V, dim)), jax.random.uniform(k2, (V, dim)), jnp.zeros(V), jnp.zeros(V)


def init_twice_wide(key, V, dim):
    k1, k2 = jax.random.split(key)
    return ((jax.random.uniform(k1, (V, dim)) - 0.5) * 2 / dim, (jax.random.uniform(k2, (V, dim)) - 0.5) * 2 / dim,
            jnp.zeros(V), jnp.zeros(V))


def init_fixed_second_key(key, V, dim):
    W = (jax.random.uniform(key, (V, dim)) - 0.5) / dim
    W_tilde = (jax.random.uniform(jax.random.PRNGKey(42), (V, dim)) - 0.5) / dim
    return W, W_tilde, jnp.zeros(V), jnp.zeros(V)


def init_numpy_global(key, V, dim):
    return (np.random.uniform(-0.5, 0.5, (V, dim)) / dim, np.random.uniform(-0.5, 0.5, (V, dim)) / dim,
            np.zeros(V), np.zeros(V))


def adagrad_before(param, grad, accum, lr):
    return param - lr * grad / np.sqrt(accum), accum + grad**2


def adagrad_no_sqrt(param, grad, accum, lr):
    accum = accum + grad**2
    return param - lr * grad / accum, accum


def adagrad_forgot_accum(param, grad, accum, lr):
    return param - lr * grad / np.sqrt(accum + grad**2), accum


def neighbors_with_self(vectors, words, word, k):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return [words[i] for i in np.argsort(-(unit @ unit[words.index(word)]))[:k]]


def neighbors_dot(vectors, words, word, k):
    sims = vectors @ vectors[words.index(word)]
    return [words[i] for i in np.argsort(-sims) if words[i] != word][:k]


def neighbors_ascending(vectors, words, word, k):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return [words[i] for i in np.argsort(unit @ unit[words.index(word)]) if words[i] != word][:k]


def analogy_no_exclusion(vectors, words, a, b, c):  # d2l's get_analogy
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    ia, ib, ic = (words.index(w) for w in (a, b, c))
    return words[int(np.argmax(unit @ (unit[ib] - unit[ia] + unit[ic])))]


def analogy_direction(vectors, words, a, b, c):
    return ref.analogy(vectors, words, b, a, c)


def analogy_raw(vectors, words, a, b, c):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    ia, ib, ic = (words.index(w) for w in (a, b, c))
    sims = unit @ (vectors[ib] - vectors[ia] + vectors[ic])
    sims[[ia, ib, ic]] = -np.inf
    return words[int(np.argmax(sims))]


def spearman_pearson(x, y):
    return float(np.corrcoef(x, y)[0, 1])


def spearman_ordinal(x, y):
    return float(np.corrcoef(np.argsort(np.argsort(x)), np.argsort(np.argsort(y)))[0, 1])


def spearman_tuple(x, y):
    return ref.spearman(x, y), 0.0


def similarity_no_skip(vectors, words, pairs):
    index = {w: i for i, w in enumerate(words)}
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    model = [unit[index[a.lower()]] @ unit[index[b.lower()]] if a.lower() in index and b.lower() in index else 0.0
             for a, b, _ in pairs]
    return ref.spearman(model, [s for _, _, s in pairs]), len(pairs)


def similarity_case(vectors, words, pairs):
    return ref.similarity_score(vectors, words, [(a, b, s) for a, b, s in pairs if a == a.lower()])


def similarity_dot(vectors, words, pairs):
    index = {w: i for i, w in enumerate(words)}
    model, human = [], []
    for a, b, s in pairs:
        a, b = a.lower(), b.lower()
        if a in index and b in index:
            model.append(vectors[index[a]] @ vectors[index[b]])
            human.append(s)
    return ref.spearman(model, human), len(model)


def rotation_transposed(source, target):
    return ref.fit_rotation(source, target).T


def rotation_lstsq(source, target):
    return np.linalg.lstsq(source, target, rcond=None)[0]


def rotation_vt_transposed(source, target):
    u, _, vt = np.linalg.svd(source.T @ target)
    return u @ vt.T


def rotation_scipy(source, target):
    from scipy.linalg import orthogonal_procrustes

    return orthogonal_procrustes(source, target)


def shared_with_self(vectors_a, words_a, vectors_b, words_b, word, k):
    def top(vectors, words):
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        sims = unit @ unit[words.index(word)]
        among = set(words_a) & set(words_b)
        return {w for w in sorted(among, key=lambda w: (-sims[words.index(w)], w))[:k]}

    return len(top(vectors_a, words_a) & top(vectors_b, words_b))


def shared_dot(vectors_a, words_a, vectors_b, words_b, word, k):
    shared = sorted(set(words_a) & set(words_b) - {word})

    def top(vectors, words):
        index = {w: i for i, w in enumerate(words)}
        sims = {w: float(vectors[index[w]] @ vectors[index[word]]) for w in shared}
        return set(sorted(shared, key=lambda w: (-sims[w], w))[:k])

    return len(top(vectors_a, words_a) & top(vectors_b, words_b))


def shared_unrestricted(vectors_a, words_a, vectors_b, words_b, word, k):
    def top_k(vectors, words):
        unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        sims = unit @ unit[words.index(word)]
        return {w for w in sorted((w for w in words if w != word), key=lambda w: (-sims[words.index(w)], w))[:k]}

    return len(top_k(vectors_a, words_a) & top_k(vectors_b, words_b))


def shared_share(vectors_a, words_a, vectors_b, words_b, word, k):
    return ref.count_shared_neighbours(vectors_a, words_a, vectors_b, words_b, word, k) / k


def change_unaligned(vectors_a, words_a, vectors_b, words_b, word):
    x, y = vectors_a[words_a.index(word)], vectors_b[words_b.index(word)]
    return 1 - float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))


def change_raw_fit(vectors_a, words_a, vectors_b, words_b, word):
    shared = [w for w in words_a if w in words_b]
    a = vectors_a[[words_a.index(w) for w in shared]]
    b = vectors_b[[words_b.index(w) for w in shared]]
    x, y = vectors_a[words_a.index(word)], vectors_b[words_b.index(word)] @ ref.fit_rotation(b, a)
    return 1 - float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))


def change_similarity(vectors_a, words_a, vectors_b, words_b, word):
    return 1 - ref.word_change(vectors_a, words_a, vectors_b, words_b, word)


WRONG_ANSWERS = [
    ("check_build_word_index", vocab_gt, "off by one"),
    ("check_build_word_index", vocab_one_doc, "over all documents"),
    ("check_build_word_index", vocab_unsorted_ties, "alphabetical order"),
    ("check_build_word_index", vocab_ascending, "least frequent word comes first"),
    ("check_tokens_to_ids", ids_keep_oov, "drop out-of-vocabulary tokens"),
    ("check_tokens_to_ids", ids_float, "must be integers"),
    ("check_total_weight", total_one_way, "count it twice"),
    ("check_total_weight", total_n_pairs, "n - d pairs at distance d, not n"),
    ("check_total_weight", total_no_cap, "stop at d = min(window_size, n - 1)"),
    ("check_total_weight", total_unweighted, "weighs 1/d, not 1"),
    ("check_total_weight", total_window_plus_one, "off by one: distances go from 1"),
    ("check_cooc_window", cooc_window_plus_one, "off by one in the window: you count pairs up to distance"),
    ("check_cooc_window", cooc_zero_distance, "`ids[:-d]` is `ids[:0]`, an empty array"),
    ("check_cooc_window", cooc_weight_shifted, "not 1/(d + 1)"),
    ("check_cooc_window", cooc_window_minus_one, "off by one in the window: you stop one short"),
    ("check_cooc_window", cooc_unweighted, "forgot the 1/d weighting"),
    ("check_cooc_window", cooc_one_way, "so X is symmetric"),
    ("check_cooc_window", cooc_crosses_documents, "cross document boundaries"),
    ("check_cooc_window", cooc_diagonal_once, "only the diagonal is wrong"),
    ("check_cooc_window", cooc_wrong_shape, "has shape (4, 4); expected"),
    ("check_cooc_window", cooc_float32_drift, "drift from the exact ones"),
    ("check_cooc_float32", cooc_float64_cast, "rounded once to float32"),
    ("check_cooc_float32", cooc_float64_for_float32, "dtype=np.float32"),
    ("check_cooc_float32", cooc32_unweighted, "forgot the 1/d weighting"),
    ("check_weighting_fn", weighting_no_cap, "forgot the cap"),
    ("check_weighting_fn", weighting_no_alpha, "forgot the exponent alpha"),
    ("check_weighting_fn", weighting_defaults_only, "ignore the xmax and alpha arguments"),
    ("check_weighting_fn", weighting_python_if, "truth value of an array"),
    ("check_glove_loss", loss_mean, "averaged over the batch"),
    ("check_glove_loss", loss_unweighted, "forgot the weighting f(X_ij)"),
    ("check_glove_loss", loss_no_log, "the target is log X_ij"),
    ("check_glove_loss", loss_no_biases, "forgot the biases"),
    ("check_glove_loss", loss_per_pair, "one value per pair"),
    ("check_glove_loss", loss_w_twice, "W_tilde[cooc_j], not W[cooc_j]"),
    ("check_glove_loss", loss_numpy, "jax.grad cannot differentiate"),
    ("check_glove_loss", loss_outer, "`W[cooc_i] @ W_tilde[cooc_j].T` is the (n, n) matrix"),
    ("check_glove_grads", grads_no_two, "the derivative of r^2 is 2 r"),
    ("check_glove_grads", grads_fancy_add, "np.add.at"),
    ("check_glove_grads", grads_sign, "wrong sign"),
    ("check_init_params", init_same_key, "same key"),
    ("check_init_params", init_no_dim, "divide by dim"),
    ("check_init_params", init_numpy_global, "not from numpy's or Python's global generator"),
    ("check_init_params", init_normal, "look normally distributed"),
    ("check_init_params", init_unit_uniform, "subtract 0.5 and divide by dim"),
    ("check_init_params", init_twice_wide, "twice too wide"),
    ("check_init_params", init_fixed_second_key, "not from a fixed key"),
    ("check_adagrad_step", adagrad_before, "already includes this step's grad**2"),
    ("check_adagrad_step", adagrad_no_sqrt, "square root of the accumulated sum"),
    ("check_adagrad_step", adagrad_forgot_accum, "did not change"),
    ("check_nearest_neighbors", neighbors_with_self, "its own nearest neighbour"),
    ("check_nearest_neighbors", neighbors_dot, "dot product"),
    ("check_nearest_neighbors", neighbors_ascending, "least similar"),
    ("check_analogy", analogy_no_exclusion, "one of the query words"),
    ("check_analogy", analogy_direction, "not a - b + c"),
    ("check_analogy", analogy_raw, "normalise the vectors"),
    ("check_spearman", spearman_pearson, "Pearson's correlation of the values"),
    ("check_spearman", spearman_ordinal, "average of their ranks"),
    ("check_spearman", spearman_tuple, "return just the correlation"),
    ("check_similarity_score", similarity_no_skip, "skip those pairs"),
    ("check_similarity_score", similarity_case, "lowercased"),
    ("check_similarity_score", similarity_dot, "not by the raw dot product"),
    ("check_fit_rotation", rotation_transposed, "transpose of the answer"),
    ("check_fit_rotation", rotation_lstsq, "least-squares linear map"),
    ("check_fit_rotation", rotation_vt_transposed, "V already transposed"),
    ("check_fit_rotation", rotation_scipy, "calls `scipy.linalg.orthogonal_procrustes`"),
    ("check_shared_neighbours", shared_with_self, "leave the word itself out"),
    ("check_shared_neighbours", shared_unrestricted, "words both spaces have"),
    ("check_shared_neighbours", shared_dot, "not the raw dot product"),
    ("check_shared_neighbours", shared_share, "that is the share"),
    ("check_word_change", change_unaligned, "without aligning"),
    ("check_word_change", change_raw_fit, "normalise the vectors to length 1"),
    ("check_word_change", change_similarity, "that is the cosine similarity"),
]
WRONG_ANSWERS += CH8_WRONG_ANSWERS  # chapter 8's, from tests/exercise_references_ch8.py


@pytest.mark.parametrize("check_name, wrong, hint", WRONG_ANSWERS, ids=[w.__name__ for _, w, _ in WRONG_ANSWERS])
def test_wrong_answer_gets_hint(check_name, wrong, hint):
    message = run_check(check_name, wrong)
    assert hint in message, message


def test_every_check_has_wrong_answers():
    assert {c for c, _, _ in WRONG_ANSWERS} == set(CHECKS)


# --------------------------------------------------------------------------- the chapters' own solutions

GATED_START = re.compile(r"^```+\{solution-start\}\s+(\S+)", re.MULTILINE)
GATED_END = re.compile(r"^```+\{solution-end\}")
CHECK_CALL = re.compile(r"^\s*(check_\w+)\(", re.MULTILINE)


def _chapter_paths() -> list[Path]:
    from glove_lite.book.convert import chapters

    return [REPO_ROOT / f"{c}.md" for c in chapters(REPO_ROOT)]


def chapter_exercises(path: Path) -> list[dict]:
    """Each checked exercise of a chapter: its marked solution cells and its check cell.

    A solution block is the code between ``{solution-start} label`` and ``{solution-end}``;
    its check is the first following code cell that calls ``check_...``. The solutions run
    with the chapter's top-level imports only, so they must not depend on its data.
    """
    nb = jupytext.read(path, fmt="md:myst")
    imports: list[str] = []
    found: list[dict] = []
    current: dict | None = None
    pending: list[dict] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():  # in order: one cell may close a block and open the next
                m = GATED_START.match(line)
                if m:
                    current = {"label": m[1], "solutions": [], "check": None}
                elif current is not None and GATED_END.match(line):
                    if current["solutions"]:
                        pending.append(current)
                    current = None
            continue
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            tree = None
        if tree is not None and current is None:  # the chapter's own top-level imports
            imports.extend(ast.get_source_segment(cell.source, n) for n in tree.body
                           if isinstance(n, (ast.Import, ast.ImportFrom)))
        if current is not None and has_solution_markers(cell.source):
            current["solutions"].append(cell.source)
        elif current is None and pending and CHECK_CALL.search(cell.source):
            for exercise in pending:
                exercise["check"] = cell.source
                exercise["imports"] = list(imports)
                found.append(exercise)
            pending = []
    return found


CHAPTER_EXERCISES = [(p.stem, e) for p in _chapter_paths() if p.exists() for e in chapter_exercises(p)]


@pytest.mark.parametrize("chapter_name, exercise", CHAPTER_EXERCISES, ids=[e["label"] for _, e in CHAPTER_EXERCISES])
def test_chapter_solution_passes_its_check(chapter_name, exercise, capsys):
    namespace: dict = {}
    for source in exercise["imports"] + exercise["solutions"]:
        exec(compile(source, f"<{chapter_name} {exercise['label']}>", "exec"), namespace)
    exec(compile(exercise["check"], f"<{chapter_name} check>", "exec"), namespace)
    assert "\u2714" in capsys.readouterr().out


@pytest.mark.parametrize("chapter_name, exercise", CHAPTER_EXERCISES, ids=[e["label"] for _, e in CHAPTER_EXERCISES])
def test_chapter_stub_fails_its_check(chapter_name, exercise):
    namespace: dict = {}
    for source in exercise["imports"]:
        exec(source, namespace)
    for source in exercise["solutions"]:
        exec(compile(stub_solutions(source, "write your solution here"), "<stub>", "exec"), namespace)
    with pytest.raises((CheckFailed, NotImplementedError)) as info:
        exec(compile(exercise["check"], f"<{chapter_name} check>", "exec"), namespace)
    if isinstance(info.value, CheckFailed):
        assert "not implemented yet" in str(info.value)


def test_every_check_is_used_by_a_chapter():
    used = {name for _, e in CHAPTER_EXERCISES for name in CHECK_CALL.findall(e["check"])}
    assert used == set(CHECKS), f"checks without a chapter exercise: {sorted(set(CHECKS) - used)}"


# --------------------------------------------------------------------------- hidden tests (the graders' cases)


@pytest.mark.parametrize("check_name", sorted(CHECKS))
def test_reference_passes_hidden_tests(check_name, capsys):
    getattr(ex, check_name)(REFERENCES[check_name], hidden=True)
    out = capsys.readouterr().out
    assert out.startswith(f"\u2714 {check_name} (hidden tests)") and "passed all" in out


@pytest.mark.parametrize("check_name", sorted(CHECKS))
def test_hidden_tests_reject_stubs(check_name):
    with pytest.raises(CheckFailed, match="not implemented yet"):
        getattr(ex, check_name)(_raising_stub, hidden=True)


@pytest.mark.parametrize("check_name, wrong, hint", WRONG_ANSWERS, ids=[w.__name__ for _, w, _ in WRONG_ANSWERS])
def test_hidden_tests_fail_wrong_answers(check_name, wrong, hint):
    """Every typical mistake also fails the hidden cases (with some message)."""
    with pytest.raises(CheckFailed):
        getattr(ex, check_name)(wrong, hidden=True)


def test_hidden_cases_differ_from_visible_ones():
    from glove_lite.book.exercises import cooccurrence, preprocessing

    assert preprocessing._vocab_cases(True) != preprocessing._vocab_cases(False)
    visible = {repr([d.tolist() for d in docs]) for docs, _, _ in cooccurrence._cases(False)}
    assert not visible & {repr([d.tolist() for d in docs]) for docs, _, _ in cooccurrence._cases(True)}


# --------------------------------------------------------------------------- two hints that were wrong (issue 12, item 9)


def vocab_last_doc(documents, min_count):
    return ref.build_word_index(documents[-1:], min_count)


def test_last_document_only_is_not_called_off_by_one():
    message = run_check("check_build_word_index", vocab_last_doc)
    assert "counts the words of the last document only" in message and "off by one" not in message


def test_first_vocab_case_tells_the_mistakes_apart():
    """In the first case, counting one document and keeping counts > min_count give different answers."""
    from glove_lite.book.exercises.preprocessing import _vocab_cases

    docs, min_count = _vocab_cases()[0]
    answers = [tuple(vocab_gt(docs, min_count))] + [tuple(ref.build_word_index([d], min_count)) for d in docs]
    answers.append(tuple(ref.build_word_index(docs, min_count)))
    assert len(set(answers)) == len(answers)


def cooc_buffered(documents, V, window):
    """The trap the exercise warns about: fancy-index `+=` adds a repeated (row, col) once."""
    X = np.zeros((V, V))
    for ids in documents:
        for d in range(1, window + 1):
            X[ids[:-d], ids[d:]] += 1.0 / d
            X[ids[d:], ids[:-d]] += 1.0 / d
    return X


def cooc_buffered_one_statement(documents, V, window):
    X = np.zeros((V, V))
    for ids in documents:
        for d in range(1, window + 1):
            X[np.r_[ids[:-d], ids[d:]], np.r_[ids[d:], ids[:-d]]] += 1.0 / d
    return X


def cooc_buffered_transpose(documents, V, window):
    U = np.zeros((V, V))
    for ids in documents:
        for d in range(1, window + 1):
            U[ids[:-d], ids[d:]] += 1.0 / d
    return U + U.T


def cooc32_buffered(documents, V, window):
    return cooc_buffered(documents, V, window).astype(np.float32)


@pytest.mark.parametrize("check_name, wrong", [
    ("check_cooc_window", cooc_buffered),
    ("check_cooc_window", cooc_buffered_one_statement),
    ("check_cooc_window", cooc_buffered_transpose),
    ("check_cooc_float32", cooc32_buffered),
])
@pytest.mark.parametrize("hidden", [False, True])
def test_buffered_fancy_index_update_gets_its_own_hint(check_name, wrong, hidden):
    with pytest.raises(CheckFailed) as info:
        getattr(ex, check_name)(wrong, hidden=hidden)
    message = str(info.value)
    assert "`X[rows, cols] += w`" in message and "np.add.at" in message, message
    assert "by hand" not in message and "half" not in message


# --------------------------------------------------------------------------- the library's own answers (item 6)


FORBIDDEN = [(check, path) for check in sorted(CHECKS) for path in ex.forbidden(check)]


@pytest.mark.parametrize("check_name, path", FORBIDDEN, ids=[f"{c}-{p}" for c, p in FORBIDDEN])
def test_passing_the_library_function_is_rejected(check_name, path):
    from glove_lite.book.exercises._base import library_object

    message = run_check(check_name, library_object(path))
    assert "write your own" in message and path.replace(":", ".") in message


def test_every_answer_can_be_found():
    """The tables name real functions (a rename in the library would silently disable a rejection)."""
    from glove_lite.book.exercises._base import code_of, library_object

    assert set(ex.ANSWERS) <= set(CHECKS) and set(ex.REJECTED) <= set(CHECKS)
    for check in CHECKS:
        for path in ex.forbidden(check):
            assert code_of(library_object(path)) is not None, path


def weighting_via_library(x, xmax=100.0, alpha=0.75):
    from glove_lite.loss import weighting_fn as library_weighting_fn

    return library_weighting_fn(x, xmax, alpha)


def loss_via_library(params, i, j, x):
    from glove_lite import loss

    return loss.glove_loss(params, i, j, x)


def grads_via_jax_grad(params, i, j, x):
    params = tuple(jnp.asarray(p) for p in params)
    return tuple(np.asarray(g) for g in jax.grad(ref.glove_loss)(params, i, j, x))


def vocab_via_library(documents, min_count):
    from glove_lite.preprocess import Vocabulary

    return Vocabulary.from_documents(documents, min_count=min_count).index


def cooc_via_library(documents, V, window):
    from glove_lite.cooccur import build_cooc_matrix

    return build_cooc_matrix(documents, V, window)


def init_via_library(key, V, dim):
    from glove_lite.training import init_params as library_init

    return tuple(library_init(key, V, dim))


def neighbors_via_library(vectors, words, word, k):
    from glove_lite.vectors import WordVectors

    return WordVectors(words, vectors).nearest_neighbors(word, k)


def spearman_via_scipy(x, y):
    from scipy.stats import spearmanr

    return spearmanr(x, y).statistic


def rotation_via_library(source, target):
    from glove_lite.align import procrustes_rotation

    return procrustes_rotation(source, target)


def shared_via_library(vectors_a, words_a, vectors_b, words_b, word, k):
    from glove_lite.align import neighbour_overlap
    from glove_lite.vectors import WordVectors

    return round(k * neighbour_overlap(WordVectors(words_a, vectors_a), WordVectors(words_b, vectors_b), [word], k)[0])


def change_via_library(vectors_a, words_a, vectors_b, words_b, word):
    from glove_lite.align import change_scores
    from glove_lite.vectors import WordVectors

    return change_scores(WordVectors(words_a, vectors_a), WordVectors(words_b, vectors_b), [word])[0]


def change_via_procrustes(vectors_a, words_a, vectors_b, words_b, word):
    from glove_lite.align import procrustes_rotation

    shared = [w for w in words_a if w in words_b]
    a = ref._unit_rows(vectors_a[[words_a.index(w) for w in shared]])
    b = ref._unit_rows(vectors_b[[words_b.index(w) for w in shared]])
    x, y = vectors_a[words_a.index(word)], vectors_b[words_b.index(word)] @ procrustes_rotation(b, a)
    return 1 - float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))


LIBRARY_WRAPPERS = [
    ("check_weighting_fn", weighting_via_library, "calls the library's own `glove_lite.loss.weighting_fn`"),
    ("check_glove_loss", loss_via_library, "calls the library's own `glove_lite.loss.glove_loss`"),
    ("check_glove_grads", grads_via_jax_grad, "calls `jax.grad`"),
    ("check_build_word_index", vocab_via_library, "calls the library's own `glove_lite.preprocess.Vocabulary.from_documents`"),
    ("check_cooc_window", cooc_via_library, "calls the library's own `glove_lite.cooccur.build_cooc_matrix`"),
    ("check_init_params", init_via_library, "calls the library's own `glove_lite.training.config.init_params`"),
    ("check_nearest_neighbors", neighbors_via_library, "calls the library's own `glove_lite.vectors.WordVectors.nearest_neighbors`"),
    ("check_spearman", spearman_via_scipy, "calls `scipy.stats.spearmanr`"),
    ("check_fit_rotation", rotation_via_library, "calls the library's own `glove_lite.align.procrustes_rotation`"),
    ("check_shared_neighbours", shared_via_library, "calls the library's own `glove_lite.align.neighbour_overlap`"),
    ("check_word_change", change_via_library, "calls the library's own `glove_lite.align.change_scores`"),
    ("check_word_change", change_via_procrustes, "calls the library's own `glove_lite.align.procrustes_rotation`"),
]


@pytest.mark.parametrize("check_name, wrapper, hint", LIBRARY_WRAPPERS, ids=[w.__name__ for _, w, _ in LIBRARY_WRAPPERS])
def test_calling_the_library_function_is_rejected(check_name, wrapper, hint):
    message = run_check(check_name, wrapper)
    assert hint in message, message


def test_rejection_leaves_no_profiler_behind():
    import sys

    run_check("check_weighting_fn", weighting_via_library)
    assert sys.getprofile() is None


# --------------------------------------------------------------------------- partial credit (issue 23, item 5)


@pytest.mark.parametrize("check_name", sorted(CHECKS))
@pytest.mark.parametrize("hidden", [False, True])
def test_reference_scores_all_points(check_name, hidden, capsys):
    score = getattr(ex, check_name)(REFERENCES[check_name], hidden=hidden, points=2)
    out, err = capsys.readouterr()
    assert score == 2.0 and ": 2 of 2 points" in out and err == ""
    assert "\u2718" not in out


@pytest.mark.parametrize("check_name", sorted(CHECKS))
@pytest.mark.parametrize("hidden", [False, True])
def test_stub_scores_nothing(check_name, hidden, capsys):
    assert getattr(ex, check_name)(_raising_stub, hidden=hidden, points=1) == 0.0
    out = capsys.readouterr().out
    assert ": 0 of 1 points" in out and "not implemented yet" in out
    assert out.count("not implemented yet") == 1  # one line, not one per part


@pytest.mark.parametrize("check_name, wrong, hint", WRONG_ANSWERS, ids=[w.__name__ for _, w, _ in WRONG_ANSWERS])
def test_wrong_answer_scores_less_and_says_why(check_name, wrong, hint, capsys):
    """Graded, a typical mistake loses points and the report names it (on stdout: nbgrader
    gives no credit at all to a cell that writes to stderr)."""
    score = getattr(ex, check_name)(wrong, points=2)
    out, err = capsys.readouterr()
    assert 0.0 <= score < 2.0 and hint in out and err == ""


# (check, a partly right answer, its score out of 2): a mostly right student scores more than an empty one
def spearman_no_tie_average(x, y):
    return spearman_ordinal(x, y)


def cooc_token_loop(documents, V, window):
    """Right, but a Python loop over the tokens: too slow for the corpus."""
    return _cooc_loop(documents, V, window)


def glove_grads_one_half(params, i, j, x):
    dW, dWt, db, dbt = ref.glove_grads(params, i, j, x)
    return dW, dWt / 2, db, dbt


PARTLY_RIGHT = [
    ("check_build_word_index", vocab_unsorted_ties, 1.0),  # the words right, their order not
    ("check_tokens_to_ids", ids_keep_oov, 1.0),  # known tokens right, unknown ones kept
    ("check_total_weight", total_no_cap, 1.0),  # long documents right, short ones not
    ("check_cooc_window", cooc_token_loop, 1.5),  # the matrix right, the speed not
    ("check_cooc_float32", cooc_float64_cast, 1.0),  # the values right, the drift not
    ("check_weighting_fn", weighting_defaults_only, 1.33),  # defaults and JAX arrays right
    ("check_glove_loss", loss_numpy, 1.5),  # the value right, not differentiable
    ("check_glove_grads", glove_grads_one_half, 1.5),  # three gradients of four
    ("check_init_params", init_numpy_global, 1.33),  # shapes and range right, not from the key
    ("check_adagrad_step", adagrad_forgot_accum, 1.0),  # the step right, the sum not returned
    ("check_nearest_neighbors", lambda v, w, word, k: list(reversed(ref.nearest_neighbors(v, w, word, k))), 1.33),
    ("check_analogy", analogy_direction, 0.67),  # never a query word, but the wrong direction
    ("check_spearman", spearman_no_tie_average, 1.0),  # right without ties
    ("check_similarity_score", similarity_dot, 1.0),  # the coverage right, rho not
    ("check_fit_rotation", rotation_transposed, 0.67),  # orthogonal, but the transpose
    ("check_sparse_adagrad_step", CH8_WRONG_ANSWERS[0][1], 0.67),  # untouched rows stay
    ("check_dsgd_schedule", CH8_WRONG_ANSWERS[5][1], 1.33),  # rows kept, tiles once, columns clash
]


@pytest.mark.parametrize("check_name, answer, score", PARTLY_RIGHT, ids=[c for c, _, _ in PARTLY_RIGHT])
def test_partly_right_answer_gets_partial_credit(check_name, answer, score, capsys):
    assert getattr(ex, check_name)(answer, points=2) == score
    out = capsys.readouterr().out
    assert "\u2714" in out and "\u2718" in out


def test_every_check_with_parts_has_a_partly_right_answer():
    """The checks of exercises with parts (all but three) can give partial credit, and it is tested."""
    single = {"check_shared_neighbours", "check_word_change"}  # one number per call: no parts to tell apart
    assert {c for c, _, _ in PARTLY_RIGHT} == set(CHECKS) - single


def test_student_code_writes_nothing_to_stderr_when_graded(capsys):
    import warnings

    def noisy_weighting(x, xmax=100.0, alpha=0.75):
        warnings.warn("a warning from the student's code")
        print("debug output", file=__import__("sys").stderr)
        return ref.weighting_fn(x, xmax, alpha)

    assert ex.check_weighting_fn(noisy_weighting, points=2) == 2.0
    out, err = capsys.readouterr()
    assert err == "" and "a warning from the student's code" in out and "debug output" in out


# --------------------------------------------------------------------------- the hidden tests say what the visible ones say


@pytest.mark.parametrize("check_name, wrong, hint", WRONG_ANSWERS, ids=[w.__name__ for _, w, _ in WRONG_ANSWERS])
def test_hidden_tests_give_the_visible_hint(check_name, wrong, hint):
    """The hidden cases name a mistake as the visible ones do (an off-by-one window was once
    called a buffered update there)."""
    message = run_check_hidden(check_name, wrong)
    assert hint in message or hint in HIDDEN_HINT_EXCEPTIONS.get(wrong.__name__, ()), message


def run_check_hidden(check_name: str, fn) -> str:
    with pytest.raises(CheckFailed) as info:
        getattr(ex, check_name)(fn, hidden=True)
    return str(info.value)


#: hints that quote the visible cases' numbers (the same mistake, another case's figures)
HIDDEN_HINT_EXCEPTIONS: dict[str, tuple[str, ...]] = {
    "cooc_wrong_shape": ("has shape (4, 4); expected",),
}


# --------------------------------------------------------------------------- answers of the wrong kind


ODD_ANSWERS = [
    ("text", lambda *a, **k: "0.5"),
    ("a list of text", lambda *a, **k: ["a", "b", "c"]),
    ("a dict", lambda *a, **k: {"a": "b"}),
    ("None inside", lambda *a, **k: [None, None]),
    ("NaN", lambda *a, **k: float("nan")),
    ("an object", lambda *a, **k: object()),
    ("four strings", lambda *a, **k: ("w", "x", "y", "z")),
    ("complex numbers", lambda *a, **k: np.ones(3, dtype=complex)),
]


@pytest.mark.parametrize("check_name", sorted(CHECKS))
@pytest.mark.parametrize("kind, answer", ODD_ANSWERS, ids=[k for k, _ in ODD_ANSWERS])
def test_answer_of_the_wrong_kind_fails_with_a_message(check_name, kind, answer, capsys):
    """Whatever a function returns, its check fails with CheckFailed (never a ValueError of its own),
    and graded it scores 0."""
    for hidden in (False, True):
        with pytest.raises(CheckFailed):
            getattr(ex, check_name)(answer, hidden=hidden)
    assert getattr(ex, check_name)(answer, points=1) == 0.0


def test_speed_part_names_the_token_loop(capsys):
    assert ex.check_cooc_window(cooc_token_loop, points=2) == 1.5
    out = capsys.readouterr().out
    assert "not over the tokens" in out and "\u2714 the matrix" in out
