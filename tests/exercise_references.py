"""Reference solutions to the book's coding exercises, written independently of the chapters.

tests/test_exercises.py runs each check against these, against stubs and against typical
wrong answers; it also extracts the chapters' own solutions and runs their checks.
"""

from __future__ import annotations

from collections import Counter

import jax
import jax.numpy as jnp
import numpy as np


def build_word_index(documents, min_count):
    counts = Counter(t for doc in documents for t in doc)
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    return {w: i for i, w in enumerate(kept)}


def tokens_to_ids(tokens, index):
    return np.array([index[t] for t in tokens if t in index], dtype=np.int32)


def total_weight(lengths, window_size):
    total = 0.0
    for n in lengths:
        for d in range(1, window_size + 1):
            total += 2 * max(int(n) - d, 0) / d
    return total


def cooc_window(documents, vocab_size, window_size):
    X = np.zeros((vocab_size, vocab_size))
    for ids in documents:
        for d in range(1, window_size + 1):
            np.add.at(X, (ids[:-d], ids[d:]), 1.0 / d)
            np.add.at(X, (ids[d:], ids[:-d]), 1.0 / d)
    return X


def cooc_float32(documents, vocab_size, window_size):
    X = np.zeros((vocab_size, vocab_size), dtype=np.float32)
    for ids in documents:
        for d in range(1, window_size + 1):
            w = np.float32(1.0 / d)
            np.add.at(X, (ids[:-d], ids[d:]), w)
            np.add.at(X, (ids[d:], ids[:-d]), w)
    return X


def weighting_fn(x, xmax=100.0, alpha=0.75):
    return jnp.where(x < xmax, (x / xmax) ** alpha, 1.0)


def glove_loss(params, cooc_i, cooc_j, X_ij):
    W, W_tilde, b, b_tilde = params
    pred = jnp.sum(W[cooc_i] * W_tilde[cooc_j], axis=1) + b[cooc_i] + b_tilde[cooc_j]
    return jnp.sum(weighting_fn(X_ij) * (pred - jnp.log(X_ij)) ** 2)


def glove_grads(params, cooc_i, cooc_j, X_ij):
    W, W_tilde, b, b_tilde = params
    r = np.sum(W[cooc_i] * W_tilde[cooc_j], axis=1) + b[cooc_i] + b_tilde[cooc_j] - np.log(X_ij)
    g = 2 * np.asarray(weighting_fn(X_ij)) * r
    dW, dWt, db, dbt = (np.zeros_like(p) for p in params)
    np.add.at(dW, cooc_i, g[:, None] * W_tilde[cooc_j])
    np.add.at(dWt, cooc_j, g[:, None] * W[cooc_i])
    np.add.at(db, cooc_i, g)
    np.add.at(dbt, cooc_j, g)
    return dW, dWt, db, dbt


def init_params(key, vocab_size, dim):
    k1, k2 = jax.random.split(key)
    W = (jax.random.uniform(k1, (vocab_size, dim)) - 0.5) / dim
    W_tilde = (jax.random.uniform(k2, (vocab_size, dim)) - 0.5) / dim
    return W, W_tilde, jnp.zeros(vocab_size), jnp.zeros(vocab_size)


def adagrad_step(param, grad, accum, lr):
    accum = accum + grad**2
    return param - lr * grad / np.sqrt(accum), accum


def nearest_neighbors(vectors, words, word, k):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = unit @ unit[words.index(word)]
    order = [i for i in np.argsort(-sims) if words[i] != word]
    return [words[i] for i in order[:k]]


def analogy(vectors, words, a, b, c):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    ia, ib, ic = (words.index(w) for w in (a, b, c))
    sims = unit @ (unit[ib] - unit[ia] + unit[ic])
    sims[[ia, ib, ic]] = -np.inf
    return words[int(np.argmax(sims))]


def spearman(x, y):
    from scipy.stats import rankdata

    return float(np.corrcoef(rankdata(x), rankdata(y))[0, 1])


def similarity_score(vectors, words, pairs):
    index = {w: i for i, w in enumerate(words)}
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    model, human = [], []
    for a, b, score in pairs:
        a, b = a.lower(), b.lower()
        if a in index and b in index:
            model.append(unit[index[a]] @ unit[index[b]])
            human.append(score)
    return spearman(model, human), len(model)


def fit_rotation(source, target):
    u, _, vt = np.linalg.svd(source.T @ target)
    return u @ vt


def _unit_rows(m):
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def count_shared_neighbours(vectors_a, words_a, vectors_b, words_b, word, k):
    shared = sorted(set(words_a) & set(words_b) - {word})

    def top(vectors, words):
        index = {w: i for i, w in enumerate(words)}
        unit = _unit_rows(vectors)
        sims = {w: float(unit[index[w]] @ unit[index[word]]) for w in shared}
        return set(sorted(shared, key=lambda w: (-sims[w], w))[:k])

    return len(top(vectors_a, words_a) & top(vectors_b, words_b))


def word_change(vectors_a, words_a, vectors_b, words_b, word):
    index_a = {w: i for i, w in enumerate(words_a)}
    index_b = {w: i for i, w in enumerate(words_b)}
    shared = [w for w in words_a if w in index_b]
    a = _unit_rows(vectors_a[[index_a[w] for w in shared]])
    b = _unit_rows(vectors_b[[index_b[w] for w in shared]])
    rotation = fit_rotation(b, a)
    x, y = vectors_a[index_a[word]], vectors_b[index_b[word]] @ rotation
    return 1 - float(x @ y / np.linalg.norm(x) / np.linalg.norm(y))


REFERENCES = {
    "check_build_word_index": build_word_index,
    "check_tokens_to_ids": tokens_to_ids,
    "check_total_weight": total_weight,
    "check_cooc_window": cooc_window,
    "check_cooc_float32": cooc_float32,
    "check_weighting_fn": weighting_fn,
    "check_glove_loss": glove_loss,
    "check_glove_grads": glove_grads,
    "check_init_params": init_params,
    "check_adagrad_step": adagrad_step,
    "check_nearest_neighbors": nearest_neighbors,
    "check_analogy": analogy,
    "check_spearman": spearman,
    "check_similarity_score": similarity_score,
    "check_fit_rotation": fit_rotation,
    "check_shared_neighbours": count_shared_neighbours,
    "check_word_change": word_change,
}

from exercise_references_ch8 import CH8_REFERENCES  # noqa: E402  (chapter 8's, kept in their own file)

REFERENCES.update(CH8_REFERENCES)
