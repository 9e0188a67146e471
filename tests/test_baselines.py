"""PPMI-SVD against a plain dense numpy reference, and word2vec (SGNS) through gensim."""

import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from glove_lite.baselines import GENSIM_MAX_SENTENCE, chunk_documents, ppmi_matrix, ppmi_svd, train_sgns
from glove_lite.errors import GloveLiteError
from glove_lite.preprocess import Vocabulary


def random_cooc(V=40, density=0.3, seed=0):
    """A symmetric non-negative sparse matrix with some empty entries, like a co-occurrence matrix."""
    rng = np.random.default_rng(seed)
    A = rng.gamma(0.7, 3.0, size=(V, V)) * (rng.random((V, V)) < density)
    A = A + A.T
    A[0, 0] = 0.0  # a word never next to itself
    return sp.csr_matrix(A)


def dense_ppmi(X, cds=0.75):
    """The textbook definition, entry by entry in a dense array."""
    X = np.asarray(X.todense(), dtype=np.float64)
    N = X.sum()
    p_wc = X / N
    p_w = X.sum(axis=1) / N
    c = X.sum(axis=0) ** cds
    p_c = c / c.sum()
    with np.errstate(divide="ignore"):
        pmi = np.log(p_wc / np.outer(p_w, p_c))
    return np.maximum(pmi, 0.0)


def dense_svd_vectors(M, k, p):
    U, S, _ = np.linalg.svd(M)
    return U[:, :k] * S[:k] ** p


def cosine(W):
    U = W / np.linalg.norm(W, axis=1, keepdims=True)
    return U @ U.T


@pytest.mark.parametrize("cds", [0.75, 1.0])
def test_ppmi_matrix_matches_dense_definition(cds):
    X = random_cooc()
    M = ppmi_matrix(X, cds=cds)
    assert sp.issparse(M) and M.shape == X.shape and M.dtype == np.float64
    np.testing.assert_allclose(M.toarray(), dense_ppmi(X, cds), rtol=1e-12, atol=1e-12)
    assert (M.data > 0).all()  # only positive values are stored


def test_ppmi_without_smoothing_is_textbook_pmi():
    X = random_cooc(seed=3)
    D = X.toarray()
    N, i, j = D.sum(), *np.argwhere(D > 0)[5]
    pmi = np.log(N * D[i, j] / (D[i].sum() * D[:, j].sum()))
    assert ppmi_matrix(X, cds=1.0)[i, j] == pytest.approx(max(pmi, 0.0))


def test_smoothing_raises_pmi_of_rare_contexts_less():
    """cds < 1 gives rare contexts more probability mass, so their PMI (and PPMI) falls."""
    X = random_cooc(seed=1)
    rare = int(np.argmin(np.asarray(X.sum(axis=0)).ravel()))
    assert ppmi_matrix(X, 0.75)[:, rare].sum() < ppmi_matrix(X, 1.0)[:, rare].sum()


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_ppmi_svd_equals_dense_truncated_svd(p):
    X = random_cooc(V=50, seed=2)
    words = [f"w{i}" for i in range(50)]
    k = 6
    wv = ppmi_svd(X, words, dim=k, eig_p=p)
    ref = dense_svd_vectors(dense_ppmi(X), k, p)
    assert wv.words == tuple(words) and wv.vectors.shape == (50, k) and wv.vectors.dtype == np.float32
    # Columns agree up to sign; dot products and cosine similarities agree exactly.
    W = wv.vectors.astype(np.float64)
    np.testing.assert_allclose(np.abs(W), np.abs(ref), atol=2e-5)
    np.testing.assert_allclose(W @ W.T, ref @ ref.T, atol=1e-5)
    np.testing.assert_allclose(cosine(W), cosine(ref), atol=1e-4)


def test_eig_p_weights_the_singular_values():
    X = random_cooc(V=50, seed=4)
    words = [f"w{i}" for i in range(50)]
    S = np.linalg.svd(dense_ppmi(X), compute_uv=False)[:5]
    for p in (0.0, 0.5, 1.0):
        W = ppmi_svd(X, words, dim=5, eig_p=p).vectors.astype(np.float64)
        # U has orthonormal columns, so W^T W = diag(S^(2p)), largest first.
        np.testing.assert_allclose(W.T @ W, np.diag(S ** (2 * p)), atol=1e-4)
    a, b = (ppmi_svd(X, words, dim=5, eig_p=p) for p in (0.0, 0.5))
    assert not np.allclose(cosine(a.vectors), cosine(b.vectors), atol=1e-3)


def test_ppmi_svd_is_deterministic_with_a_sign_convention():
    X = random_cooc(V=60, seed=5)
    words = [f"w{i}" for i in range(60)]
    a, b = ppmi_svd(X, words, dim=8), ppmi_svd(X, words, dim=8)
    np.testing.assert_array_equal(a.vectors, b.vectors)
    W = a.vectors
    assert (W[np.abs(W).argmax(axis=0), np.arange(8)] > 0).all()


def test_ppmi_svd_on_a_real_corpus(small_corpus):
    _, vocab, X = small_corpus
    wv = ppmi_svd(X, vocab.words, dim=20)
    assert len(wv) == len(vocab) and wv.dim == 20
    assert np.isfinite(wv.vectors).all()


@pytest.mark.parametrize("kwargs, message", [
    ({"dim": 40}, "dim=40"),
    ({"dim": 0}, "dim=0"),
    ({"cds": 0.0}, "cds=0.0"),
    ({"eig_p": float("nan")}, "eig_p"),
])
def test_ppmi_svd_rejects_bad_settings(kwargs, message):
    X = random_cooc(V=40)
    with pytest.raises(GloveLiteError, match=message):
        ppmi_svd(X, [f"w{i}" for i in range(40)], **{"dim": 5, **kwargs})


def test_ppmi_rejects_mismatched_words_and_negative_counts():
    X = random_cooc(V=10)
    with pytest.raises(GloveLiteError, match="for 9 words"):
        ppmi_svd(X, [f"w{i}" for i in range(9)], dim=3)
    with pytest.raises(GloveLiteError, match="negative"):
        ppmi_matrix(sp.csr_matrix(-X.toarray()))
    with pytest.raises(GloveLiteError, match="scipy.sparse"):
        ppmi_matrix(X.toarray())


def test_chunk_documents_respects_gensim_sentence_limit():
    doc = [f"t{i % 7}" for i in range(2 * GENSIM_MAX_SENTENCE + 5)]
    chunks = chunk_documents([doc, [], ["a"]])
    assert [len(c) for c in chunks] == [GENSIM_MAX_SENTENCE, GENSIM_MAX_SENTENCE, 5, 1]
    assert sum(chunks[:3], []) == doc


def test_sgns_keeps_our_vocabulary_in_our_order(small_corpus):
    docs, _, _ = small_corpus
    wv = train_sgns(docs, min_count=5, dim=12, window=3, epochs=1, seed=0)
    vocab = Vocabulary.from_documents(docs, min_count=5)
    assert wv.words == vocab.words
    assert wv.vectors.shape == (len(vocab), 12) and np.isfinite(wv.vectors).all()
    again = train_sgns(docs, min_count=5, dim=12, window=3, epochs=1, seed=0)
    np.testing.assert_array_equal(wv.vectors, again.vectors)
    other = train_sgns(docs, min_count=5, dim=12, window=3, epochs=1, seed=1)
    assert not np.array_equal(wv.vectors, other.vectors)


SGNS_SCRIPT = """
import sys, numpy as np
from glove_lite.baselines import train_sgns
docs = [("the people and the nation love liberty and justice " * 30).split()] * 3
wv = train_sgns(docs, min_count=2, dim=6, window=2, epochs=2, seed=7)
np.save(sys.argv[1], wv.vectors)
"""


def test_sgns_does_not_depend_on_the_hash_seed(tmp_path):
    out = []
    for hash_seed in ("1", "2"):
        path = tmp_path / f"v{hash_seed}.npy"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-c", SGNS_SCRIPT, str(path)], check=True, env=env)
        out.append(np.load(path))
    np.testing.assert_array_equal(out[0], out[1])


@pytest.mark.parametrize("kwargs, message", [
    ({"min_count": 1000}, "leaves no words"),
    ({"workers": 0}, "workers=0"),
    ({"dim": 2.5}, "dim=2.5"),
])
def test_sgns_rejects_bad_settings(kwargs, message):
    docs = [["a", "b", "a", "c"]] * 3
    with pytest.raises(GloveLiteError, match=message):
        train_sgns(docs, **{"min_count": 1, "dim": 4, "window": 2, "epochs": 1, **kwargs})


def test_ppmi_svd_blas_threads_do_not_change_the_vectors():
    X = random_cooc(V=60, seed=6)
    words = [f"w{i}" for i in range(60)]
    one, default = ppmi_svd(X, words, dim=8, threads=1), ppmi_svd(X, words, dim=8, threads=None)
    np.testing.assert_allclose(one.vectors, default.vectors, atol=1e-6)
