"""Streaming co-occurrence counting: equal to build_cooc_matrix to the last bit, spills and splits included."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st

from glove_lite.cooccur import build_cooc_matrix
from glove_lite.cooccur_stream import CoocCounter, CountPlan, plan_counting, repeated_sums, stream_cooc_matrix
from glove_lite.errors import CountingError


def assert_same_matrix(X, Y):
    """Same shape, same sparsity pattern, same float64 values bit for bit."""
    X, Y = sp.csr_matrix(X), sp.csr_matrix(Y)
    assert X.shape == Y.shape and X.dtype == Y.dtype == np.float64
    np.testing.assert_array_equal(X.indptr, Y.indptr)
    np.testing.assert_array_equal(X.indices, Y.indices)
    assert np.array_equal(X.data.view(np.int64), Y.data.view(np.int64))  # bitwise, not approximately


def blocks_of(docs, block):
    ids = np.concatenate(docs) if len(docs) else np.zeros(0, dtype=np.int64)
    doc_no = np.repeat(np.arange(len(docs)), [len(d) for d in docs])
    return [(ids[i:i + block], doc_no[i:i + block]) for i in range(0, ids.size, block)]


def count(docs, V, window, memory, block, plan=None):
    ids = np.concatenate(docs) if len(docs) else np.zeros(0, dtype=np.int64)
    with CoocCounter(V, window, memory, row_weights=np.bincount(ids, minlength=V), n_tokens=ids.size,
                     plan=plan) as counter:
        for b in blocks_of(docs, block):
            counter.add(*b)
        return counter.to_csr(), counter


def zipf_docs(rng, V, n_docs, max_len):
    return [(rng.zipf(1.3, size=rng.integers(0, max_len)) - 1) % V for _ in range(n_docs)]


def test_repeated_sums_are_sequential_float_sums():
    T = repeated_sums(3, 1000)
    for d in (1, 2, 3):
        v = 0.0
        for k in range(1, 1001):
            v += 1.0 / d
            assert T[d - 1, k] == v
    assert repeated_sums(10, 3)[9, 3] == 0.1 + 0.1 + 0.1 != 3 / 10  # why a table: repeated addition is not multiplication


@pytest.mark.parametrize("seed", range(4))
def test_tiny_budget_spills_and_equals_in_memory(seed):
    rng = np.random.default_rng(seed)
    V, window = 400, int(rng.integers(1, 12))
    docs = zipf_docs(rng, V, 25, 2500)
    X, counter = count(docs, V, window, memory=1_400_000, block=int(rng.integers(1, 3000)))
    assert counter.plan.K < V and counter.n_buckets > 1 and counter.spilled.sum() > 0  # spilling really happened
    assert_same_matrix(X, build_cooc_matrix(docs, V, window))


@settings(max_examples=60, deadline=None)
@given(docs=st.lists(st.lists(st.integers(0, 9), max_size=40), max_size=6), window=st.integers(1, 8),
       block=st.integers(1, 50), K=st.integers(0, 10), buckets=st.integers(1, 4), threads=st.integers(1, 3))
def test_any_split_of_dense_and_spilled_pairs_gives_the_same_matrix(docs, window, block, K, buckets, threads):
    V = 10
    starts = np.unique(np.r_[0, np.linspace(0, V, buckets + 1).astype(np.int64), V])
    plan = CountPlan(K=K, bucket_starts=starts, buffer_entries=4 * window + 8, merge_entries=3,
                     dense_dtype=np.uint32, threads=threads)
    docs = [np.array(d, dtype=np.int64) for d in docs]
    X, _ = count(docs, V, window, memory=1 << 24, block=block, plan=plan)
    assert_same_matrix(X, build_cooc_matrix(docs, V, window))


def test_oversized_buckets_are_split_and_a_huge_row_is_streamed():
    rng = np.random.default_rng(7)
    V, window = 60, 5
    docs = zipf_docs(rng, V, 10, 3000)
    plan = CountPlan(K=3, bucket_starts=np.array([0, 40, V]), buffer_entries=500, merge_entries=2000,
                     dense_dtype=np.uint32)
    X, counter = count(docs, V, window, memory=1 << 24, block=777, plan=plan)
    assert counter.spilled.max() > 5 * plan.merge_entries
    assert_same_matrix(X, build_cooc_matrix(docs, V, window))


def test_long_document_across_many_blocks_and_repeated_word():
    doc = np.zeros(100_000, dtype=np.int64)  # one word: counts far past the precomputed sums
    doc[::7] = 1
    plan = CountPlan(K=1, bucket_starts=np.array([0, 2]), buffer_entries=100, merge_entries=1 << 20,
                     dense_dtype=np.uint32)
    X, _ = count([doc], 2, 3, memory=1 << 24, block=4096, plan=plan)
    assert_same_matrix(X, build_cooc_matrix(doc, 2, 3))


def test_stream_function_and_documents_never_share_windows():
    blocks = [(np.array([0, 1]), np.array([0, 0])), (np.array([2, 3]), np.array([1, 1]))]
    X = stream_cooc_matrix(blocks, 4, 10, memory_bytes=1 << 24)
    assert X[1, 2] == 0 and X[0, 1] == 1.0 and X[2, 3] == 1.0


def test_bad_blocks_and_budget():
    with CoocCounter(5, 2, 1 << 24) as counter:
        with pytest.raises(ValueError, match="token id 5 is out of range"):
            counter.add(np.array([1, 5]), np.array([0, 0]))
        counter.add(np.array([1]), np.array([3]))
        with pytest.raises(ValueError, match="decrease"):
            counter.add(np.array([1]), np.array([2]))
    with pytest.raises(CountingError, match=r"0.001 GB is too small to count 100,000 words with window 10; "
                                            r"expected at least"):
        plan_counting(100_000, 10, int(0.001 * 2**30))
