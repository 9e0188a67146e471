"""Sparse-update training: each step equals the dense optax step on the chunk's gradient; lazy Adam; the driver."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.sparse as sp

from glove_lite.errors import GloveLiteError
from glove_lite.loss import weighted_pair_loss, weighting_fn
from glove_lite.sparse_train import (
    SparseRule,
    _rows_of_window,
    init_sparse_state,
    make_chunks,
    pack_tables,
    sparse_epoch,
    unpack_tables,
)
from glove_lite.train import GloveParams, TrainConfig, choose_method, make_optimizer, sparse_rule, train_glove


def _symmetric_matrix(V=40, density=0.15, seed=1, empty_rows=(7,)):
    """A random symmetric positive matrix with some rows long, some short and some empty."""
    A = sp.random(V, V, density=density, random_state=seed, format="csr") * 60
    A = A + sp.csr_matrix((np.full(V, 30.0), (np.zeros(V, int), np.arange(V))), shape=(V, V))  # row 0 is long
    X = sp.lil_matrix(A + A.T)
    for r in empty_rows:
        X[r, :] = 0
        X[:, r] = 0
    X = sp.csr_matrix(X)
    X.eliminate_zeros()
    return X


def _random_params(V, d, seed=0):
    k = jax.random.split(jax.random.PRNGKey(seed), 4)
    return GloveParams(0.3 * jax.random.normal(k[0], (V, d)), 0.3 * jax.random.normal(k[1], (V, d)),
                       0.1 * jax.random.normal(k[2], (V,)), 0.1 * jax.random.normal(k[3], (V,)))


@jax.jit
def _chunk_grads_jit(params, i, j, x):
    f, lg = weighting_fn(x), jnp.log(x)
    loss_w, g_w = jax.value_and_grad(weighted_pair_loss)(params, i, j, f, lg)
    loss_c, g_c = jax.value_and_grad(weighted_pair_loss)(params, j, i, f, lg)
    return 0.5 * (loss_w + loss_c), GloveParams(g_w.W, g_c.W_tilde, g_w.b, g_c.b_tilde)


def _chunk_grads(params, i, j, x):
    """The reference gradient of a chunk: W, b from its terms as words; W_tilde, b_tilde from them as contexts."""
    loss, grads = _chunk_grads_jit(GloveParams(*params), i, j, x)
    return float(loss), grads


def _reference_epoch(X, params, key, chunk_size, config, step):
    """Chunks of consecutive CSR non-zeros in the epoch's order, each one plain step of ``step``."""
    i = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    j, x = X.indices, X.data.astype(np.float32)
    n_chunks = -(-X.nnz // chunk_size)
    total = 0.0
    state = None
    for k in np.asarray(jax.random.permutation(key, n_chunks)):
        sl = slice(k * chunk_size, (k + 1) * chunk_size)
        loss, grads = _chunk_grads(params, i[sl], j[sl], x[sl])
        params, state = step(params, state, grads)
        total += loss
    return params, total


@pytest.mark.parametrize("chunk_size", [2, 13, 64, 10**6])
def test_sparse_adagrad_epoch_equals_dense_optax_steps(chunk_size):
    X = _symmetric_matrix()
    V = X.shape[0]
    config = TrainConfig(dim=5, optimizer="adagrad", learning_rate=0.2, grad_clip=0.5)
    params = _random_params(V, 5)
    chunks = make_chunks(X, chunk_size)
    key = jax.random.PRNGKey(4)
    rule = sparse_rule(config)
    got, state, loss = sparse_epoch(params, init_sparse_state(rule, params), key, chunks.device_arrays(), rule,
                                    config.x_max, config.alpha, chunks.L, chunks.R, V)

    optimizer = make_optimizer(config)

    @jax.jit
    def optax_update(p, s, g):
        updates, s = optimizer.update(g, s, p)
        return optax.apply_updates(p, updates), s

    def optax_step(p, s, g):
        return optax_update(p, optimizer.init(p) if s is None else s, g)

    want, total = _reference_epoch(X, params, key, min(chunk_size, X.nnz), config, optax_step)
    assert float(loss) == pytest.approx(total, rel=1e-5)
    for a, b in zip(got, want):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
    # The accumulators are optax's too: untouched entries stay at 1, the rest grew.
    acc = state.first
    assert acc[0].shape == (V, 5) and float(jnp.min(acc[0])) >= 1.0
    np.testing.assert_array_equal(np.asarray(acc[0][7]), 1.0)  # the empty row was never touched


def _lazy_adam_reference(rule):
    """A plain lazy Adam over whole arrays: rows with an all-zero gradient row keep their values and moments."""
    def step(p, s, g):
        if s is None:
            s = (tuple(np.zeros_like(np.asarray(a)) for a in p), tuple(np.zeros_like(np.asarray(a)) for a in p), 0)
        m, v, t = s
        t += 1
        new_p, new_m, new_v = [], [], []
        for a, gm, mm, vv, is_vec in zip(p, g, m, v, (True, True, False, False)):
            a, gm = np.asarray(a, np.float64), np.clip(np.asarray(gm, np.float64), -rule.clip, rule.clip)
            touched = np.zeros(a.shape[0], bool)
            # A row is touched when the chunk holds a term of it, whatever its gradient's value.
            touched[step.rows] = True
            mask = touched[:, None] if is_vec else touched
            m2 = np.where(mask, rule.b1 * mm + (1 - rule.b1) * gm, mm)
            v2 = np.where(mask, rule.b2 * vv + (1 - rule.b2) * gm * gm, vv)
            upd = (m2 / (1 - rule.b1 ** t)) / (np.sqrt(v2 / (1 - rule.b2 ** t)) + rule.eps)
            new_p.append(np.where(mask, a - rule.lr * upd, a))
            new_m.append(m2)
            new_v.append(v2)
        return GloveParams(*new_p), (tuple(new_m), tuple(new_v), t)

    return step


def test_sparse_lazy_adam_updates_only_touched_rows():
    X = _symmetric_matrix(V=30, seed=3, empty_rows=())
    V, L = X.shape[0], 17
    config = TrainConfig(dim=4, optimizer="adam", learning_rate=0.05, grad_clip=1.0)
    rule = sparse_rule(config)
    params = _random_params(V, 4, seed=2)
    chunks = make_chunks(X, L)
    key = jax.random.PRNGKey(9)
    got, state, _ = sparse_epoch(params, init_sparse_state(rule, params), key, chunks.device_arrays(), rule,
                                 config.x_max, config.alpha, chunks.L, chunks.R, V)
    assert int(state.count) == chunks.n_chunks

    i = np.repeat(np.arange(V), np.diff(X.indptr))
    ref = _lazy_adam_reference(rule)
    p, s = params, None
    for k in np.asarray(jax.random.permutation(key, chunks.n_chunks)):
        sl = slice(k * L, (k + 1) * L)
        _, grads = _chunk_grads(p, i[sl], X.indices[sl], X.data[sl].astype(np.float32))
        ref.rows = np.unique(i[sl])
        p, s = ref(p, s, grads)
    for a, b in zip(got, p):
        np.testing.assert_allclose(np.asarray(a), b, rtol=1e-4, atol=1e-5)


def test_lazy_adam_equals_optax_adam_when_every_row_is_touched():
    X = _symmetric_matrix(V=25, seed=5, empty_rows=())
    V = X.shape[0]
    config = TrainConfig(dim=4, optimizer="adam", grad_clip=None)
    params = _random_params(V, 4, seed=1)
    chunks = make_chunks(X, X.nnz)  # one chunk: every row touched by every step
    rule = sparse_rule(config)
    state = init_sparse_state(rule, params)
    p = params
    optimizer = make_optimizer(config)
    ref_state, q = optimizer.init(params), params
    i = np.repeat(np.arange(V), np.diff(X.indptr))
    for epoch in range(3):
        p, state, _ = sparse_epoch(p, state, jax.random.PRNGKey(epoch), chunks.device_arrays(), rule,
                                   config.x_max, config.alpha, chunks.L, chunks.R, V)
        _, grads = _chunk_grads(q, i, X.indices, X.data.astype(np.float32))
        updates, ref_state = optimizer.update(grads, ref_state, q)
        q = optax.apply_updates(q, updates)
    for a, b in zip(p, q):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)


def test_rows_of_window_match_the_csr_rows():
    X = _symmetric_matrix(V=50, seed=7, empty_rows=(3, 4, 20))
    chunks = make_chunks(X, 11)
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    for k in range(chunks.n_chunks):
        s, r0 = int(chunks.start[k]), int(chunks.first_row[k])
        got = np.asarray(_rows_of_window(jnp.asarray(chunks.indptr), r0, s, chunks.L, chunks.R))
        np.testing.assert_array_equal(got + r0, rows[s:s + chunks.L])
        assert got.max() < chunks.R


def test_tables_round_trip():
    params = _random_params(9, 3)
    for kind in ("adagrad", "adam"):
        state = init_sparse_state(SparseRule(kind, 0.1, None), params)
        table = pack_tables(params, state)
        assert table.shape == (9, (2 if kind == "adagrad" else 3) * 8)
        p, s = unpack_tables(table, 9, 3, state.count)
        for a, b in zip(p, params):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_train_glove_sparse_lowers_the_loss_and_repeats(small_corpus):
    _, _, X = small_corpus
    cfg = TrainConfig(dim=16, epochs=5, method="sparse", seed=3)
    a, b = train_glove(X, cfg), train_glove(X, cfg)
    assert a.method == "sparse" and len(a.losses) == 5
    assert a.losses[-1] < 0.6 * a.losses[0]
    for p, q in zip(a.params, b.params):
        assert isinstance(p, jax.Array)
        np.testing.assert_array_equal(np.asarray(p), np.asarray(q))
    assert isinstance(a.params, GloveParams)


def test_auto_keeps_dense_for_the_book_and_goes_sparse_when_sparse(small_corpus):
    _, _, X = small_corpus
    assert choose_method(X) == "dense"
    big = sp.random(3000, 3000, density=0.005, random_state=0, format="csr")
    assert choose_method(big + big.T) == "sparse"


def test_sparse_rejects_an_asymmetric_matrix():
    X = sp.csr_matrix(np.array([[1.0, 2.0], [3.0, 1.0]]))
    with pytest.raises(GloveLiteError, match="not symmetric"):
        train_glove(X, TrainConfig(dim=2, epochs=1, method="sparse"))


def test_sparse_default_learning_rate_and_an_explicit_one():
    assert sparse_rule(TrainConfig()).lr == 0.5 and sparse_rule(TrainConfig(optimizer="adam")).lr == 0.01
    assert sparse_rule(TrainConfig(learning_rate=0.3)).lr == 0.3


def test_sparse_divergence_names_the_learning_rate_in_use(small_corpus):
    _, _, X = small_corpus
    V = X.shape[0]
    bad = GloveParams(jnp.full((V, 4), jnp.inf), jnp.ones((V, 4)), jnp.zeros(V), jnp.zeros(V))
    with pytest.raises(GloveLiteError, match=r"epoch 1; lower the learning rate \(now 0.5\)"):
        train_glove(X, TrainConfig(dim=4, epochs=2, method="sparse"), params=bad)


def _misaligned(values: np.ndarray, shift: int) -> np.ndarray:
    """A copy of values whose first element sits ``shift`` 4-byte elements past a 64-byte boundary."""
    buf = np.empty(values.size * 4 + 128, np.uint8)
    off = (-buf.ctypes.data) % 64 + 4 * shift
    out = buf[off:off + values.size * 4].view(values.dtype)
    out[:] = values
    return out


@pytest.mark.parametrize("shift", [0, 1, 7, 15])
def test_device_view_reads_every_window_and_uses_the_array_in_place(shift):
    from glove_lite.sparse_train import HEAD, _window, device_view

    L = 5
    for dtype in (np.float32, np.int32):
        a = _misaligned(np.arange(100).astype(dtype), shift)
        main, head, got_shift = device_view(a, L)
        assert got_shift == (HEAD - shift) % HEAD and head.shape == (L + HEAD,)
        if jax.default_backend() == "cpu":  # no copy: main is a's own memory from the boundary on
            assert main.unsafe_buffer_pointer() == a.ctypes.data + 4 * got_shift
        read = jax.jit(lambda s: _window(main, head, got_shift, s, L))
        for s in range(a.size - L + 1):
            np.testing.assert_array_equal(np.asarray(read(s)), a[s:s + L])
    short = np.arange(12, dtype=np.float32)  # shorter than L + HEAD: copied whole
    main, head, got_shift = device_view(short, L)
    assert got_shift == 0 and main.shape == (12,)
    np.testing.assert_array_equal(np.asarray(_window(main, head, 0, 7, L)), short[7:12])


def test_counts_file_loads_float32_for_the_sparse_method_and_trains_the_same(tmp_path):
    from glove_lite.pipeline import Counts, load_counts, load_counts_for_training, save_counts
    from glove_lite.preprocess import Vocabulary

    X = _symmetric_matrix(V=60, density=0.1, seed=11, empty_rows=())
    V = X.shape[0]
    vocab = Vocabulary(tuple(f"w{i}" for i in range(V)), tuple(range(2 * V, V, -1)), 1)
    path = save_counts(Counts(vocab, X, {"window": 5}), tmp_path / "x.npz")
    as32 = load_counts(path, np.float32).X
    assert as32.dtype == np.float32 and np.array_equal(as32.data, X.data.astype(np.float32))
    assert load_counts(path).X.dtype == np.float64
    assert load_counts_for_training(path, TrainConfig(method="sparse")).X.dtype == np.float32
    assert load_counts_for_training(path, TrainConfig(method="dense")).X.dtype == np.float64
    cfg = TrainConfig(dim=4, epochs=2, method="sparse", batch_size=32)
    a, b = train_glove(X, cfg), train_glove(as32, cfg)
    for p, q in zip(a.params, b.params):
        np.testing.assert_array_equal(np.asarray(p), np.asarray(q))
    with pytest.raises(GloveLiteError, match="does not exist"):
        load_counts_for_training(tmp_path / "missing.npz")


def test_counted_x_goes_float32_only_for_the_sparse_method():
    from glove_lite.pipeline import Counts, counts_for_training
    from glove_lite.preprocess import Vocabulary

    X = _symmetric_matrix(V=60, density=0.1, seed=11, empty_rows=())
    counts = Counts(Vocabulary(tuple(f"w{i}" for i in range(60)), tuple(range(60, 0, -1)), 1), X, {"window": 5})
    sparse = counts_for_training(counts, TrainConfig(method="sparse"))
    assert sparse.X.dtype == np.float32 and np.array_equal(sparse.X.data, X.data.astype(np.float32))
    assert np.shares_memory(sparse.X.indices, X.indices) and sparse.vocab is counts.vocab  # columns shared, not copied
    assert counts_for_training(counts, TrainConfig(method="dense")) is counts
    assert counts_for_training(counts, TrainConfig(method="sparse", devices=2)) is counts


def test_symmetry_check_in_pieces_of_rows(monkeypatch):
    import glove_lite.sparse_train as st

    monkeypatch.setattr(st, "PIECE_ENTRIES", 7)
    X = _symmetric_matrix(V=50, seed=2)
    for A in (X, X.astype(np.float32)):
        st.check_symmetric(A)
    bad = sp.lil_matrix(X)
    bad[3, 40] = bad[3, 40] + 1.0  # one entry off the mirror
    with pytest.raises(GloveLiteError, match="not symmetric"):
        st.check_symmetric(sp.csr_matrix(bad))


def test_counting_for_sparse_training_reads_x_as_float32(tmp_path):
    from glove_lite.pipeline import count_corpus

    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(f"the nation {w} shall defend liberty and {w} justice" for w in
                                ("peace", "war", "law", "trade", "people") * 8), encoding="utf-8")
    kw = dict(min_count=2, window=3, tmp_dir=tmp_path, cache=False)
    plain = count_corpus(corpus, **kw).X
    as_dense = count_corpus(corpus, **kw, train_config=TrainConfig(method="dense")).X
    as_sparse = count_corpus(corpus, **kw, train_config=TrainConfig(method="sparse")).X
    assert plain.dtype == as_dense.dtype == np.float64 and as_sparse.dtype == np.float32
    assert (as_dense != plain).nnz == 0 and np.array_equal(as_dense.indptr, plain.indptr)
    assert np.array_equal(as_sparse.data, plain.data.astype(np.float32))
    assert np.array_equal(as_sparse.indices, plain.indices) and as_sparse.has_sorted_indices
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt"]  # no spill or row files left
