"""build_cooc_matrix against the naive double loop, and its contract."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st

from glove_lite.cooccur import build_cooc_matrix, cooc_matrix_to_arrays, naive_cooc_matrix

V = 7
documents = st.lists(st.lists(st.integers(0, V - 1), max_size=30), max_size=5)


@settings(max_examples=200, deadline=None)
@given(docs=documents, window=st.integers(1, 12))
def test_sparse_equals_naive_on_random_documents(docs, window):
    X = build_cooc_matrix(docs, V, window)
    assert sp.issparse(X) and X.shape == (V, V)
    np.testing.assert_allclose(X.toarray(), naive_cooc_matrix(docs, V, window), rtol=1e-12, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(doc=st.lists(st.integers(0, V - 1), min_size=1, max_size=40), window=st.integers(1, 5))
def test_single_sequence_equals_list_of_one(doc, window):
    a = build_cooc_matrix(np.array(doc), V, window).toarray()
    b = build_cooc_matrix([doc], V, window).toarray()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, a.T)


def test_hand_worked_sentence():
    # "a b a" with window 2: (a,b) at d=1 twice, (a,a) at d=2.
    X = build_cooc_matrix([0, 1, 0], 2, window_size=2).toarray()
    np.testing.assert_allclose(X, [[2 / 2, 2.0], [2.0, 0.0]])


def test_window_never_crosses_documents():
    X = build_cooc_matrix([[0, 1], [2, 3]], 4, window_size=10).toarray()
    assert X[1, 2] == 0 and X[0, 3] == 0
    assert X[0, 1] == 1.0 and X[2, 3] == 1.0


@pytest.mark.parametrize("docs", [[], [[]], [[], []], np.array([], dtype=np.int64)])
def test_empty_documents_give_zero_matrix(docs):
    X = build_cooc_matrix(docs, 3, 4)
    assert X.shape == (3, 3) and X.nnz == 0


def test_document_shorter_than_window():
    doc = [0, 1, 2]
    np.testing.assert_allclose(build_cooc_matrix(doc, 3, 10).toarray(), naive_cooc_matrix(doc, 3, 10))


def test_one_repeated_word():
    X = build_cooc_matrix([0] * 5, 1, window_size=2).toarray()
    # pairs at d=1: 4, at d=2: 3 -> each adds 2/d on the diagonal
    assert X[0, 0] == pytest.approx(2 * (4 / 1 + 3 / 2))


def test_single_token_document():
    assert build_cooc_matrix([[4]], 5, 3).nnz == 0


@pytest.mark.parametrize("bad", [[0, 5], [-1, 0], [[0], [1, 9]]])
def test_out_of_range_ids_raise(bad):
    with pytest.raises(ValueError, match="out of range"):
        build_cooc_matrix(bad, 5, 2)


@pytest.mark.parametrize("window", [0, -3, 2.5])
def test_bad_window_raises(window):
    with pytest.raises(ValueError, match="window_size"):
        build_cooc_matrix([0, 1], 2, window)


def test_float_ids_raise():
    with pytest.raises(ValueError, match="expected a 1-D sequence of ints"):
        build_cooc_matrix(np.array([0.0, 1.0]), 2, 2)


def test_large_counts_sum_in_float64():
    # 200,001 copies of a pair: float32 accumulation would drift; float64 is exact here.
    doc = np.tile([0, 1], 100_001)
    X = build_cooc_matrix(doc, 2, window_size=1)
    assert X.dtype == np.float64
    assert X[0, 1] == 200_001


def test_cooc_matrix_to_arrays_roundtrip():
    X = build_cooc_matrix([[0, 1, 2, 1, 0, 3]], 4, 3)
    i, j, x = cooc_matrix_to_arrays(X)
    assert i.dtype == np.int32 and j.dtype == np.int32 and x.dtype == np.float64
    assert (x > 0).all()
    back = sp.coo_matrix((x, (i, j)), shape=X.shape).toarray()
    np.testing.assert_array_equal(back, X.toarray())
    order = np.lexsort((j, i))
    np.testing.assert_array_equal(order, np.arange(i.size))
