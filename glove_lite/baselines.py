"""Baselines a careful reviewer asks for, on the same corpus: PPMI-SVD and word2vec (SGNS).

* :func:`ppmi_svd`: the count-based baseline of Levy, Goldberg & Dagan (2015). It starts
  from the *same* co-occurrence matrix X that GloVe fits (so it shares GloVe's window and
  its 1/d distance weighting), turns it into positive pointwise mutual information with
  context-distribution smoothing, and factorises that by truncated SVD (scipy).
* :func:`train_sgns`: skip-gram with negative sampling (Mikolov et al. 2013), the
  algorithm of word2vec, trained by gensim on the same tokens with the same vocabulary cut.

Both return :class:`~glove_lite.vectors.WordVectors`, so every benchmark in
:mod:`glove_lite.evaluate` scores them exactly as it scores GloVe.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from glove_lite.errors import GloveLiteError
from glove_lite.vectors import WordVectors

__all__ = ["ppmi_matrix", "ppmi_svd", "chunk_documents", "train_sgns"]


#: gensim's compiled word2vec silently ignores the words of a sentence beyond this many.
GENSIM_MAX_SENTENCE = 10_000


def ppmi_matrix(X: sp.spmatrix, cds: float = 0.75) -> sp.csr_matrix:
    """Positive PMI of a co-occurrence matrix, with context-distribution smoothing.

    X is (V, V), rows are words w and columns contexts c, entries non-negative
    (counts or, as here, 1/d-weighted counts). With N = sum X, the row sums X_w and
    the column sums X_c, ::

        PMI(w, c) = log( X_wc / (X_w * P_cds(c)) )
        P_cds(c)  = X_c**cds / sum_c' X_c'**cds

    which for cds = 1 is the textbook log(N X_wc / (X_w X_c)). Raising the context
    counts to cds = 0.75 (as word2vec does for its negative samples) gives rare
    contexts more probability and so tames PMI's bias towards rare words (Levy et al.
    2015, sec. 3.2). PPMI = max(PMI, 0); the zeros of X (PMI = -inf) stay zero, so
    the result is as sparse as X or sparser. Returns a float64 CSR matrix of shape
    (V, V), in nats.
    """
    if not sp.issparse(X) or X.ndim != 2:
        raise GloveLiteError(
            f"X of type {type(X).__name__}; expected a 2-D scipy.sparse matrix"
        )
    if not (0 < cds <= 1):
        raise GloveLiteError(f"cds={cds!r}; expected a number in (0, 1]")
    X = sp.csr_matrix(X, dtype=np.float64)
    X.eliminate_zeros()
    if X.nnz and X.data.min() < 0:
        raise GloveLiteError("X has negative entries; expected co-occurrence counts")
    row_sum = np.asarray(X.sum(axis=1)).ravel()
    col_cds = np.asarray(X.sum(axis=0)).ravel() ** cds
    p_context = col_cds / col_cds.sum()
    coo = X.tocoo()
    pmi = np.log(coo.data) - np.log(row_sum[coo.row]) - np.log(p_context[coo.col])
    keep = pmi > 0
    out = sp.csr_matrix((pmi[keep], (coo.row[keep], coo.col[keep])), shape=X.shape)
    out.sort_indices()
    return out


def ppmi_svd(
    X: sp.spmatrix,
    words: Sequence[str],
    dim: int = 100,
    cds: float = 0.75,
    eig_p: float = 0.0,
    seed: int = 0,
    threads: int | None = 1,
) -> WordVectors:
    """Word vectors from the truncated SVD of PPMI(X): W = U_d * S_d**eig_p.

    ``X`` (V, V) scipy.sparse, ``words`` its V row labels, ``dim`` the number of singular
    triplets kept (must be < V). ``eig_p`` weights the singular values (Levy et al. 2015,
    "eigenvalue weighting"): 1 gives U S, the best rank-d approximation's row factor; 0
    gives U alone, and 0.5 the symmetric U sqrt(S); the smaller values usually do better on
    similarity benchmarks. Deterministic: ARPACK starts from a fixed vector drawn with
    ``seed``, and each column's sign is fixed so that its largest entry is positive (a
    sign flip of a whole column changes no cosine similarity, but it changes the file).
    ``threads`` limits BLAS during the SVD: with the default 1 the result is the same on
    every machine (the rounding of parallel sums depends on the thread count), and the
    time is robust to other jobs sharing the cores (10 s instead of 55 s here with a load
    average of 7); ``None`` uses BLAS's default. Returns float32 vectors of shape (V, dim).
    """
    from scipy.sparse.linalg import svds

    from glove_lite.evaluate import blas_threads

    words = tuple(words)
    V = len(words)
    if X.shape != (V, V):
        raise GloveLiteError(f"X of shape {X.shape} for {V} words; expected ({V}, {V})")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or not 1 <= dim < V:
        raise GloveLiteError(f"dim={dim!r}; expected an integer from 1 to {V - 1} (fewer than the {V} words)")
    if not np.isfinite(eig_p):
        raise GloveLiteError(f"eig_p={eig_p!r}; expected a finite number (0, 0.5 and 1 are usual)")
    M = ppmi_matrix(X, cds)
    v0 = np.random.default_rng(seed).uniform(-1.0, 1.0, size=min(M.shape))
    with blas_threads(threads):
        U, S, _Vt = svds(M, k=dim, v0=v0, solver="arpack")
    order = np.argsort(-S, kind="stable")  # svds returns ascending singular values
    U, S = U[:, order], S[order]
    biggest = np.abs(U).argmax(axis=0)
    U = U * np.sign(U[biggest, np.arange(dim)])
    return WordVectors(words, (U * S**eig_p).astype(np.float32))


def chunk_documents(token_docs: Iterable[Sequence[str]], max_len: int = GENSIM_MAX_SENTENCE) -> list[list[str]]:
    """Split documents into pieces of at most ``max_len`` tokens (gensim would drop the rest)."""
    out = []
    for doc in token_docs:
        doc = list(doc)
        out.extend(doc[k:k + max_len] for k in range(0, max(len(doc), 1), max_len) if doc[k:k + max_len])
    return out


def train_sgns(
    token_docs: Iterable[Sequence[str]],
    min_count: int = 10,
    dim: int = 100,
    window: int = 10,
    epochs: int = 5,
    seed: int = 0,
    workers: int = 1,
    negative: int = 5,
    sample: float = 1e-3,
) -> WordVectors:
    """Skip-gram with negative sampling (word2vec) trained by gensim; words ordered as
    our Vocabulary.

    ``token_docs``: the tokenised documents (lists of strings, e.g.
    ``TokenizedCorpus.documents()``); ``min_count`` keeps the same words as
    ``Vocabulary.from_counts(counts, min_count)``, and the result lists them in the same
    order (most frequent first, ties alphabetical), so GloVe and SGNS vectors line up.
    Other settings are word2vec's defaults: 5 negative samples, subsampling of frequent
    words at 1e-3, learning rate 0.025 falling linearly to 0.0001, and windows shrunk at
    random to 1..``window`` words (which, like GloVe's 1/d, weights near words more).

    Documents longer than 10,000 tokens are split, since gensim silently truncates them.
    Determinism: gensim draws its initial vectors from ``seed`` and, with ``workers=1``,
    runs the same updates in the same order, so the vectors are reproducible. gensim's
    documentation also asks for a fixed ``PYTHONHASHSEED``; gensim 4 no longer hashes
    words to initialise vectors (``tests/test_baselines.py`` checks that two runs with
    different hash seeds agree), but set it to be safe with other versions. With more
    workers training is faster but the result depends on thread timing.
    """
    from gensim.models import Word2Vec

    from glove_lite.evaluate import _quiet_gensim

    sentences = chunk_documents(token_docs)
    counts = Counter(t for s in sentences for t in s)
    if not any(c >= min_count for c in counts.values()):
        raise GloveLiteError(
            f"min_count={min_count} leaves no words (the most frequent occurs "
            f"{max(counts.values(), default=0)} times)"
        )
    for name, value in (
        ("dim", dim),
        ("window", window),
        ("epochs", epochs),
        ("workers", workers),
        ("min_count", min_count),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, np.integer))
            or value < 1
        ):
            raise GloveLiteError(f"{name}={value!r}; expected an integer >= 1")
    with _quiet_gensim():
        model = Word2Vec(
            sentences=sentences,
            vector_size=dim,
            window=window,
            min_count=min_count,
            sg=1,
            hs=0,
            negative=negative,
            sample=sample,
            epochs=epochs,
            seed=seed,
            workers=workers,
        )
    kv = model.wv
    words = sorted(kv.index_to_key, key=lambda w: (-counts[w], w))
    return WordVectors(tuple(words), np.stack([kv[w] for w in words]))
