"""Dense corner, sparse tail: the corner profile, the split, and epochs equal to plain optax steps."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.sparse as sp

from glove_lite.errors import GloveLiteError
from glove_lite.hybrid_train import best_corner, corner_profile, hybrid_seconds, make_hybrid_data, split_corner
from glove_lite.loss import weighted_pair_loss, weighting_fn
from glove_lite.sparse_train import init_sparse_state, pack_tables, unpack_tables
from glove_lite.train import GloveParams, TrainConfig, make_optimizer, sparse_rule
from test_train_sparse import _chunk_grads, _random_params, _symmetric_matrix


def _zipf_matrix(V=48, seed=3):
    """A symmetric X whose first words co-occur with nearly everything (a dense corner) and the rest rarely."""
    rng = np.random.default_rng(seed)
    p = np.minimum(1.0, 6.0 / (1 + np.arange(V)))
    keep = rng.random((V, V)) < np.outer(p, p) ** 0.5
    A = np.triu(np.where(keep, rng.uniform(0.5, 150.0, (V, V)), 0.0))
    X = sp.csr_matrix(A + np.triu(A, 1).T)
    X.eliminate_zeros()
    X.sort_indices()
    return X


def test_corner_profile_counts_every_corner():
    X = _zipf_matrix()
    want = [X[:k, :k].nnz for k in range(X.shape[0] + 1)]
    np.testing.assert_array_equal(corner_profile(X), want)


@pytest.mark.parametrize("K, B", [(8, 8), (16, 4), (48, 16), (45, 5)])
def test_split_corner_keeps_every_entry_once(K, B):
    X = _zipf_matrix()
    V = X.shape[0]
    corner, (indptr, cols, x) = split_corner(X, K, B)
    top = sp.csr_matrix((x, cols, indptr), shape=(V, V))
    assert top[K:].nnz == 0 and (top[:K].tocoo().col >= K).all()
    tail = top + sp.csr_matrix(X.multiply(_rows_from(V, K)))
    n = corner.ptr[-1]
    tile = np.repeat(np.arange(K // B), np.diff(corner.ptr))
    rows, c = tile * B + corner.pos[:n] // K, corner.pos[:n] % K
    np.testing.assert_array_equal(corner.x[n:], 0)
    C = sp.csr_matrix((corner.x[:n], (rows, c)), shape=(V, V))
    assert C.nnz == X[:K, :K].nnz and tail.nnz == X.nnz - C.nnz
    np.testing.assert_allclose(C.toarray(), X.multiply(_corner_mask(V, K)).toarray(), rtol=1e-6)
    np.testing.assert_allclose((C + tail).toarray(), X.toarray(), rtol=1e-6)
    for t in range(K // B):  # positions ascend within a tile (the scatter is told they are sorted)
        assert np.all(np.diff(corner.pos[corner.ptr[t]:corner.ptr[t + 1]]) > 0)


def _rows_from(V, K):
    m = np.zeros((V, V))
    m[K:] = 1
    return sp.csr_matrix(m)


def _corner_mask(V, K):
    m = np.zeros((V, V))
    m[:K, :K] = 1
    return sp.csr_matrix(m)


def test_split_corner_rejects_a_bad_size():
    X = _zipf_matrix()
    with pytest.raises(GloveLiteError, match="K=10 with tiles of B=4"):
        split_corner(X, 10, 4)
    with pytest.raises(GloveLiteError, match="between B and V=48"):
        split_corner(X, 64, 16)


@jax.jit
def _tile_grads(params, i, j, x):
    """The reference gradient of a corner tile: its terms (i, j) as words, moving w_i, b_i and w~_j, b~_j."""
    return jax.value_and_grad(weighted_pair_loss)(params, i, j, weighting_fn(x), jnp.log(x))


def _reference_hybrid_epoch(X, params, key, K, B, chunk_size, step, corner_step=None):
    """The corner tiles in the epoch's order, as words and as contexts in turn (each one plain step), then
    the chunks of consecutive non-zeros of the first K rows' columns >= K and of the rows >= K, in one
    random order (each one plain step, as test_train_sparse)."""
    V = X.shape[0]
    k_corner, k_role, k_tail = jax.random.split(key, 3)
    first = int(jax.random.bernoulli(k_role))
    Xc = X[:K, :K].tocsr()
    state, total = None, 0.0
    for n, t in enumerate(np.asarray(jax.random.permutation(k_corner, K // B))):
        tile = Xc[t * B:(t + 1) * B].tocoo()
        rows, cols = (tile.row + t * B).astype(np.int32), tile.col.astype(np.int32)
        if (n + first) % 2:  # as contexts: the terms (c, r) move w_c and w~_r
            rows, cols = cols, rows
        loss, grads = _tile_grads(GloveParams(*params), rows, cols, tile.data.astype(np.float32))
        params, state = (corner_step or step)(params, state, grads, (np.unique(rows), np.unique(cols)))
        total += float(loss)
    top = (X - X.multiply(_corner_mask(V, K)) - X.multiply(_rows_from(V, K))).tocsr()
    parts = [p.tocsr() for p in (top, X.multiply(_rows_from(V, K))) if p.nnz]
    L = min([chunk_size] + [p.nnz for p in parts])
    chunks = []  # (i, j, x) of every chunk: the first part's, then the second's
    for part in parts:
        part.eliminate_zeros()
        part.sort_indices()
        i = np.repeat(np.arange(V), np.diff(part.indptr))
        j, x = part.indices, part.data.astype(np.float32)
        chunks += [(i[k:k + L], j[k:k + L], x[k:k + L]) for k in range(0, part.nnz, L)]
    if chunks:
        for k in np.asarray(jax.random.permutation(k_tail, len(chunks))):
            i, j, x = chunks[k]
            loss, grads = _chunk_grads(params, i, j, x)
            params, state = step(params, state, grads, (np.unique(i),) * 2)
            total += loss
    return params, total


def _run_hybrid(X, params, config, K, B, chunk_size, key, corner_lr=None):
    rule = sparse_rule(config)
    data = make_hybrid_data(X, K, chunk_size, B)
    from glove_lite.sparse_train import PackedState

    state = PackedState(pack_tables(params, init_sparse_state(rule, params)), jnp.zeros([], jnp.int32))
    corner_rule = rule._replace(lr=corner_lr) if corner_lr else None
    state, loss = data.epoch_fn(rule, config.x_max, config.alpha, corner_rule)(state, key)
    return unpack_tables(state.table, X.shape[0], params[0].shape[1], state.count), float(loss)


@pytest.mark.parametrize("K, B, chunk_size, corner_lr", [(8, 8, 16, None), (16, 4, 7, 0.05), (48, 16, 64, None),
                                                       (24, 8, 10**6, 0.5)])
def test_hybrid_adagrad_epoch_equals_plain_optax_steps(K, B, chunk_size, corner_lr):
    X = _zipf_matrix()
    V, d = X.shape[0], 5
    config = TrainConfig(dim=d, optimizer="adagrad", learning_rate=0.2, grad_clip=0.5)
    params = _random_params(V, d)
    key = jax.random.PRNGKey(7)
    (got, state), loss = _run_hybrid(X, params, config, K, B, chunk_size, key, corner_lr)

    def optax_step_at(lr):  # AdaGrad's state is its sums of squares, whatever the rate: one state serves both
        optimizer = make_optimizer(TrainConfig(dim=d, optimizer="adagrad", learning_rate=lr, grad_clip=0.5))

        @jax.jit
        def optax_update(p, s, g):
            updates, s = optimizer.update(g, s, p)
            return optax.apply_updates(p, updates), s

        return lambda p, s, g, touched: optax_update(p, optimizer.init(p) if s is None else s, g)

    want, total = _reference_hybrid_epoch(X, params, key, K, B, chunk_size, optax_step_at(0.2),
                                          optax_step_at(corner_lr or 0.2))
    assert loss == pytest.approx(total, rel=1e-5)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    assert not np.allclose(np.asarray(got[0]), np.asarray(params[0]))  # it moved


def _lazy_adam(rule):
    """Plain lazy Adam: only the rows a step touched (as words in W, b; as contexts in W~, b~) move."""
    def step(p, s, g, touched):
        if s is None:
            s = (tuple(np.zeros_like(np.asarray(a)) for a in p), tuple(np.zeros_like(np.asarray(a)) for a in p), 0)
        (m, v, t), out = s, ([], [], [])
        t += 1
        for a, gm, mm, vv, side in zip(p, g, m, v, (0, 1, 0, 1)):
            a, gm = np.asarray(a, np.float64), np.clip(np.asarray(gm, np.float64), -rule.clip, rule.clip)
            mask = np.zeros(a.shape[0], bool)
            mask[touched[side]] = True
            mask = mask.reshape((-1,) + (1,) * (a.ndim - 1))
            m2 = np.where(mask, rule.b1 * mm + (1 - rule.b1) * gm, mm)
            v2 = np.where(mask, rule.b2 * vv + (1 - rule.b2) * gm * gm, vv)
            upd = (m2 / (1 - rule.b1 ** t)) / (np.sqrt(v2 / (1 - rule.b2 ** t)) + rule.eps)
            for lst, val in zip(out, (np.where(mask, a - rule.lr * upd, a), m2, v2)):
                lst.append(val)
        return GloveParams(*out[0]), (tuple(out[1]), tuple(out[2]), t)

    return step


def test_hybrid_lazy_adam_moves_only_touched_rows():
    X = _symmetric_matrix(V=40, empty_rows=(3, 30))  # row 3 is in the corner, row 30 in the tail
    V, d = X.shape[0], 4
    config = TrainConfig(dim=d, optimizer="adam", learning_rate=0.05, grad_clip=5.0)
    rule = sparse_rule(config)
    params = _random_params(V, d)
    key = jax.random.PRNGKey(2)
    (got, state), loss = _run_hybrid(X, params, config, 16, 8, 32, key)
    reference_step = _lazy_adam(rule)
    want, total = _reference_hybrid_epoch(X, params, key, 16, 8, 32, reference_step)
    assert loss == pytest.approx(total, rel=1e-5)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-5, atol=2e-6)
    for r in (3, 30):
        for a, b in zip(got, params):
            np.testing.assert_array_equal(np.asarray(a[r]), np.asarray(b[r]))


def test_best_corner_takes_the_dense_corner_and_skips_a_uniform_matrix():
    # Times from the model: a 2,000-word corner that is 60 % dense is cheaper by matrix products.
    V = 20_000
    profile = np.zeros(V + 1, np.int64)
    k = np.arange(V + 1)
    profile[:] = np.where(k <= 2000, 0.6 * k * k, 0.6 * 2000**2 + 0.001 * (k * k - 2000**2)).astype(np.int64)
    K, seconds = best_corner(profile, 100)
    assert 1000 <= K <= 2600 and K % 128 == 0
    assert seconds < hybrid_seconds(profile, 0, 100)
    uniform = (0.002 * k * k).astype(np.int64)  # 0.2 % everywhere: no corner pays
    assert best_corner(uniform, 100) == (0, hybrid_seconds(uniform, 0, 100))


def _corner_heavy_matrix(V=5000, K=256, seed=0):
    """0.30 % dense overall (the cost model picks sparse updates over dense blocks by more than 2x),
    but its first K words co-occur half the time: a corner that dense tiles train more cheaply."""
    rng = np.random.default_rng(seed)
    A = sp.random(V, V, density=0.0005, random_state=seed, format="csr") * 50
    C = np.where(rng.random((K, K)) < 0.5, rng.uniform(1, 200, (K, K)), 0.0)
    A = A + sp.csr_matrix((C[np.nonzero(C)], np.nonzero(C)), shape=(V, V))
    X = sp.csr_matrix(A + A.T)
    X.sum_duplicates()
    X.eliminate_zeros()
    return X


def test_auto_takes_the_corner_when_the_model_says_it_pays():
    from glove_lite.train import choose_method_by_cost, model_epoch_seconds

    X = _corner_heavy_matrix()
    config = TrainConfig(dim=16)
    model = model_epoch_seconds(X.shape[0], X.nnz, 16)
    assert model["dense"] > 2 * model["sparse"]  # sparse updates by the model alone, no timing
    choice = choose_method_by_cost(X, config)
    assert (choice.method, choice.how, choice.corner) == ("hybrid", "model", 256)
    assert choice.model_seconds["hybrid"] < choice.model_seconds["sparse"]
    assert "dense corner of the 256 most frequent words" in choice.describe()
    # Without the dense corner the same X stays with plain sparse updates.
    plain = sp.random(5000, 5000, density=0.0015, random_state=1, format="csr")
    plain = sp.csr_matrix(plain + plain.T)
    assert choose_method_by_cost(plain, config).method == "sparse"


def test_train_glove_hybrid_lowers_the_loss_and_repeats():
    from glove_lite.train import train_glove

    X = _zipf_matrix(V=300, seed=5)
    config = TrainConfig(dim=8, epochs=6, method="hybrid", seed=2)
    a, b = train_glove(X, config), train_glove(X, config)
    assert a.method == "hybrid" and a.choice.how == "forced" and a.choice.corner > 0
    assert a.losses[-1] < 0.5 * a.losses[0]
    for p, q in zip(a.params, b.params):
        np.testing.assert_array_equal(np.asarray(p), np.asarray(q))
    assert a.losses == b.losses


def test_forced_hybrid_on_a_tiny_vocabulary_uses_one_tile():
    from glove_lite.train import train_glove

    X = _symmetric_matrix(V=40)
    result = train_glove(X, TrainConfig(dim=4, epochs=2, method="hybrid"))
    assert result.choice.corner == 40 and np.isfinite(result.losses).all()
