"""The inverse-distance co-occurrence matrix X.

X[a, b] sums 1/d over every pair of positions p < q = p + d (d <= window) in one
document whose words are a and b, in both directions, so X is symmetric and a word
next to itself adds 2/d to the diagonal. Windows never cross documents.
"""

from __future__ import annotations

from typing import Sequence, Union

import numpy as np
import scipy.sparse as sp

__all__ = ["naive_cooc_matrix", "build_cooc_matrix", "cooc_matrix_to_arrays"]


TokenIds = Union[Sequence[int], np.ndarray]
Documents = Union[TokenIds, Sequence[TokenIds]]


def _as_documents(token_ids: Documents, vocab_size: int) -> list[np.ndarray]:
    """Normalise one sequence or a list of sequences to a list of checked int64 arrays."""
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, (int, np.integer)) or vocab_size < 1:
        raise ValueError(f"vocab_size={vocab_size!r}; expected a positive integer")
    if isinstance(token_ids, np.ndarray) and token_ids.ndim == 1:
        docs = [token_ids]
    elif isinstance(token_ids, np.ndarray) and token_ids.ndim == 2:
        docs = list(token_ids)
    elif isinstance(token_ids, (list, tuple)):
        if len(token_ids) and all(np.ndim(t) == 0 for t in token_ids):
            docs = [np.asarray(token_ids)]
        else:
            docs = [np.asarray(t) for t in token_ids]
    else:
        raise ValueError(f"token_ids of type {type(token_ids).__name__}; expected a 1-D sequence of ints or a list of them")
    out = []
    for k, doc in enumerate(docs):
        doc = np.asarray(doc)
        if doc.size == 0:
            out.append(np.zeros(0, dtype=np.int64))
            continue
        if doc.ndim != 1 or not np.issubdtype(doc.dtype, np.integer):
            raise ValueError(f"document {k} has dtype {doc.dtype} and shape {doc.shape}; expected a 1-D sequence of ints")
        lo, hi = int(doc.min()), int(doc.max())
        if lo < 0 or hi >= vocab_size:
            bad = lo if lo < 0 else hi
            raise ValueError(f"token id {bad} in document {k} is out of range; expected 0 <= id < vocab_size={vocab_size}")
        out.append(doc.astype(np.int64, copy=False))
    return out


def _check_window(window_size: int) -> None:
    if isinstance(window_size, bool) or not isinstance(window_size, (int, np.integer)) or window_size < 1:
        raise ValueError(f"window_size={window_size!r}; expected an integer >= 1")


def naive_cooc_matrix(
    token_ids: Documents, vocab_size: int, window_size: int = 10
) -> np.ndarray:
    """The readable reference: a dense (V, V) float64 matrix filled by a double loop.

    Memory O(V^2) and time O(tokens x window) in pure Python: for tests and teaching
    only.
    """
    _check_window(window_size)
    X = np.zeros((vocab_size, vocab_size), dtype=np.float64)
    for doc in _as_documents(token_ids, vocab_size):
        ids = doc.tolist()
        for p in range(len(ids)):
            for q in range(p + 1, min(p + window_size + 1, len(ids))):
                weight = 1.0 / (q - p)
                X[ids[p], ids[q]] += weight
                X[ids[q], ids[p]] += weight
    return X


def build_cooc_matrix(
    token_ids: Documents, vocab_size: int, window_size: int = 10
) -> sp.csr_matrix:
    """The co-occurrence matrix as a symmetric ``scipy.sparse`` CSR matrix, shape (V,
    V), float64.

    Vectorised: for each offset d = 1..window, all pairs (ids[p], ids[p + d]) inside one
    document become one sparse matrix with weight 1/d; their sum U counts each pair once
    and X = U + U.T. Memory O(nnz + tokens), never O(V^2); time O(tokens x window).
    """
    _check_window(window_size)
    docs = _as_documents(token_ids, vocab_size)
    docs = [d for d in docs if d.size]
    U = sp.csr_matrix((vocab_size, vocab_size), dtype=np.float64)
    if not docs:
        return U
    ids = np.concatenate(docs).astype(np.int32)
    doc_of = np.repeat(np.arange(len(docs), dtype=np.int32), [d.size for d in docs])
    for d in range(1, min(window_size, ids.size - 1) + 1):
        same_doc = doc_of[:-d] == doc_of[d:]
        rows, cols = ids[:-d][same_doc], ids[d:][same_doc]
        weights = np.full(rows.size, 1.0 / d)
        U = U + sp.csr_matrix((weights, (rows, cols)), shape=(vocab_size, vocab_size))
    X = (U + U.T).tocsr()
    X.sum_duplicates()
    X.sort_indices()
    return X


def cooc_matrix_to_arrays(
    X: sp.spmatrix | np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The non-zeros of X as arrays ``(i, j, X_ij)``: int32, int32, float64, in row-
    major order."""
    coo = sp.coo_matrix(X)
    coo.sum_duplicates()  # also sorts row-major
    keep = coo.data != 0
    return (
        coo.row[keep].astype(np.int32),
        coo.col[keep].astype(np.int32),
        coo.data[keep].astype(np.float64),
    )
