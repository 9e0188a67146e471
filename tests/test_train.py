"""Training: the loss goes down, both methods agree, seeds are reproducible, bad settings fail."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from glove_lite.errors import GloveLiteError, TrainingDivergedError
from glove_lite.cooccur import cooc_matrix_to_arrays
from glove_lite.loss import weighted_pair_loss, weighting_fn
from glove_lite.train import (
    GloveParams,
    TrainConfig,
    _block_loss_as_contexts,
    _block_loss_as_words,
    _dense_epoch,
    choose_method,
    init_params,
    make_optimizer,
    make_row_blocks,
    train_glove,
)


def test_init_params_uses_independent_keys():
    p = init_params(jax.random.PRNGKey(0), 50, 8)
    assert p.W.shape == (50, 8) and p.b.shape == (50,)
    assert not np.allclose(p.W, p.W_tilde)
    assert np.abs(p.W).max() <= 0.5 / 8


@pytest.mark.parametrize("method, block_roles", [("dense", "alternate"), ("dense", "both"), ("pairs", "alternate")])
@pytest.mark.parametrize("optimizer", ["adagrad", "adam"])
def test_training_lowers_the_loss(small_corpus, method, block_roles, optimizer):
    _, _, X = small_corpus
    result = train_glove(X, TrainConfig(dim=16, epochs=6, method=method, optimizer=optimizer, block_roles=block_roles))
    assert result.method == method
    assert len(result.losses) == 6
    assert result.losses[-1] < 0.6 * result.losses[0]


def test_dense_and_pairs_take_the_same_full_batch_step(small_corpus):
    _, _, X = small_corpus
    # One block holding every row, one batch holding every pair: both take exactly one full-gradient step.
    configs = [TrainConfig(dim=8, epochs=1, method=m, batch_size=10**6, optimizer="adam", block_roles="both")
               for m in ("dense", "pairs")]
    dense, pairs = (train_glove(X, c) for c in configs)
    assert dense.losses[0] == pytest.approx(pairs.losses[0], rel=1e-4)
    for a, b in zip(dense.params, pairs.params):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("method", ["dense", "pairs"])
def test_same_seed_gives_bit_identical_vectors(small_corpus, method):
    _, _, X = small_corpus
    cfg = TrainConfig(dim=8, epochs=3, method=method, seed=7)
    a, b = train_glove(X, cfg), train_glove(X, cfg)
    for p, q in zip(a.params, b.params):
        np.testing.assert_array_equal(np.asarray(p), np.asarray(q))
    c = train_glove(X, TrainConfig(dim=8, epochs=3, method=method, seed=8))
    assert not np.array_equal(np.asarray(a.params.W), np.asarray(c.params.W))


def test_callback_runs_after_every_epoch(small_corpus):
    _, _, X = small_corpus
    seen = []
    result = train_glove(X, TrainConfig(dim=4, epochs=3), callback=lambda e, p, l: seen.append((e, l, p.W.shape)))
    assert [s[0] for s in seen] == [1, 2, 3]
    assert [s[1] for s in seen] == result.losses
    assert seen[0][2] == (X.shape[0], 4)


def test_nan_loss_stops_training_with_a_message(small_corpus):
    _, _, X = small_corpus
    V = X.shape[0]
    bad = GloveParams(jnp.full((V, 4), jnp.inf), jnp.ones((V, 4)), jnp.zeros(V), jnp.zeros(V))
    with pytest.raises(TrainingDivergedError, match=r"epoch 1; lower the learning rate"):
        train_glove(X, TrainConfig(dim=4, epochs=2), params=bad)


def test_row_blocks_cover_every_nonzero_once(small_corpus):
    _, _, X = small_corpus
    rb = make_row_blocks(X, 16, 100.0, 0.75, seed=3)
    V = X.shape[0]
    assert sorted(rb.rows[rb.rows < V].tolist()) == list(range(V))
    rebuilt = np.zeros(X.shape)
    for k in range(rb.rows.shape[0]):
        live = rb.f_x[k] > 0
        rebuilt[rb.rows[k][rb.local_row[k][live]], rb.col[k][live]] += np.exp(rb.log_x[k][live])
    np.testing.assert_allclose(rebuilt, X.toarray(), rtol=1e-5)


@pytest.mark.parametrize("block_rows", [7, 16, 10**6])
def test_even_row_blocks_are_balanced(small_corpus, block_rows):
    _, _, X = small_corpus
    V = X.shape[0]
    rb = make_row_blocks(X, block_rows, 100.0, 0.75, seed=0, even=True)
    sizes = (rb.rows < V).sum(axis=1)
    assert rb.rows.shape[0] % 2 == 0 and rb.rows.shape[1] <= block_rows
    assert sizes.max() - sizes.min() <= 1 and sizes.sum() == V


def _random_params(V, d, seed=0):
    k = jax.random.split(jax.random.PRNGKey(seed), 4)
    return GloveParams(0.3 * jax.random.normal(k[0], (V, d)), 0.3 * jax.random.normal(k[1], (V, d)),
                       0.1 * jax.random.normal(k[2], (V,)), 0.1 * jax.random.normal(k[3], (V,)))


def _dense_block(X, rb, k):
    """Block k of rb as the dense (B, V) arrays the dense step builds."""
    V = X.shape[0]
    f = np.zeros((rb.rows.shape[1], V), np.float32)
    lg = np.zeros_like(f)
    np.add.at(f, (rb.local_row[k], rb.col[k]), rb.f_x[k])
    np.add.at(lg, (rb.local_row[k], rb.col[k]), rb.log_x[k])
    return jnp.asarray(rb.rows[k]), jnp.asarray(f), jnp.asarray(lg)


def _pair_loss_over(params, X, keep):
    """The reference pair loss over the non-zeros (i, j) of X for which keep(i, j) holds."""
    i, j, x = cooc_matrix_to_arrays(X)
    sel = keep(i, j)
    x = x[sel].astype(np.float32)
    return weighted_pair_loss(params, i[sel], j[sel], weighting_fn(x), np.log(x))


def test_block_roles_equal_the_pair_loss_of_their_rows_and_columns(small_corpus):
    _, _, X = small_corpus
    V = X.shape[0]
    rb = make_row_blocks(X, 16, 100.0, 0.75, seed=1, even=True)
    rows, f, lg = _dense_block(X, rb, 0)
    R = np.asarray(rows)[np.asarray(rows) < V]
    params = _random_params(V, 6)
    cases = [(_block_loss_as_words, lambda i, j: np.isin(i, R)), (_block_loss_as_contexts, lambda i, j: np.isin(j, R))]
    for block_loss, keep in cases:
        value, grads = jax.value_and_grad(block_loss)(params, rows, f, lg)
        ref_value, ref_grads = jax.value_and_grad(_pair_loss_over)(params, X, keep)
        assert float(value) == pytest.approx(float(ref_value), rel=1e-4)
        for g, r in zip(grads, ref_grads):
            np.testing.assert_allclose(np.asarray(g), np.asarray(r), rtol=2e-3, atol=1e-4)


def test_alternating_epoch_is_a_words_step_then_a_contexts_step(small_corpus):
    _, _, X = small_corpus
    V = X.shape[0]
    config = TrainConfig(dim=6, optimizer="adagrad")
    rb = make_row_blocks(X, V // 2 + 1, config.x_max, config.alpha, seed=2, even=True)
    assert rb.rows.shape[0] == 2
    params = _random_params(V, 6, seed=3)
    optimizer = make_optimizer(config)
    key = jax.random.PRNGKey(5)
    blocks = tuple(jnp.asarray(a) for a in (rb.rows, rb.local_row, rb.col, rb.f_x, rb.log_x))
    got, _, loss = _dense_epoch(params, optimizer.init(params), key, blocks, optimizer, V, "alternate")

    # The reference: two plain optax steps on the pair loss, in the order the epoch drew.
    first, second = (rb.rows[k][rb.rows[k] < V] for k in np.asarray(jax.random.permutation(key, 2)))
    p, state, total = params, optimizer.init(params), 0.0
    for keep in (lambda i, j: np.isin(i, first), lambda i, j: np.isin(j, second)):
        value, grads = jax.value_and_grad(_pair_loss_over)(p, X, keep)
        updates, state = optimizer.update(grads, state, p)
        p, total = optax.apply_updates(p, updates), total + float(value)
    assert float(loss) == pytest.approx(total, rel=1e-4)
    for a, b in zip(got, p):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-3, atol=1e-5)


def test_auto_method_follows_density(small_corpus):
    import scipy.sparse as sp

    _, _, X = small_corpus
    assert choose_method(X) == "dense"
    assert choose_method(sp.identity(1000, format="csr")) == "sparse"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"dim": 0}, "dim=0"),
        ({"epochs": -1}, "epochs=-1"),
        ({"learning_rate": 0.0}, "learning_rate=0.0"),
        ({"learning_rate": float("nan")}, "learning_rate=nan"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"optimizer": "sgd"}, "optimizer='sgd'"),
        ({"alpha": 2.0}, "alpha=2.0"),
        ({"x_max": -5.0}, "x_max=-5.0"),
        ({"method": "tiles"}, "method=.tiles."),
        ({"block_roles": "words"}, "block_roles='words'.*'alternate' or 'both'"),
    ],
)
def test_bad_config_is_rejected(kwargs, match):
    with pytest.raises(GloveLiteError, match=match):
        TrainConfig(**kwargs)


def test_bad_matrix_is_rejected():
    import scipy.sparse as sp

    with pytest.raises(GloveLiteError, match="no non-zero"):
        train_glove(sp.csr_matrix((3, 3)), TrainConfig(epochs=1))
    with pytest.raises(GloveLiteError, match="square scipy.sparse"):
        train_glove(np.ones((3, 3)), TrainConfig(epochs=1))


def test_alternating_epoch_rejects_an_odd_number_of_blocks(small_corpus):
    _, _, X = small_corpus
    V = X.shape[0]
    rb = make_row_blocks(X, V, 100.0, 0.75, seed=0)  # one block
    optimizer = make_optimizer(TrainConfig(dim=4))
    params = init_params(jax.random.PRNGKey(0), V, 4)
    blocks = tuple(jnp.asarray(a) for a in (rb.rows, rb.local_row, rb.col, rb.f_x, rb.log_x))
    with pytest.raises(GloveLiteError, match=r"1 blocks; .*even=True"):
        _dense_epoch(params, optimizer.init(params), jax.random.PRNGKey(1), blocks, optimizer, V, "alternate")


def _padded_blocks_reference(X, block_rows, x_max, alpha, seed, even):
    """The padded blocks as the first version of make_row_blocks built them (stable sort of X's COO entries
    by block): the reference that the unpadded blocks of training must reproduce bit for bit."""
    import scipy.sparse as sp

    coo = sp.coo_matrix(X)
    V = X.shape[0]
    n_blocks = -(-V // block_rows)
    n_blocks += n_blocks % 2 if even else 0
    B = -(-V // n_blocks)
    dealt = np.full(n_blocks * B, V, dtype=np.int32)
    dealt[:V] = np.random.default_rng(seed).permutation(V)
    rows = np.ascontiguousarray(dealt.reshape(B, n_blocks).T)
    live = rows < V
    block_of, local_of = np.empty(V, np.int64), np.empty(V, np.int64)
    block_of[rows[live]], local_of[rows[live]] = np.nonzero(live)
    block = block_of[coo.row]
    by_block = np.argsort(block, kind="stable")
    block = block[by_block]
    counts = np.bincount(block, minlength=n_blocks)
    slot = np.arange(block.size) - np.repeat(np.cumsum(counts) - counts, counts)
    L = max(int(counts.max()), 1)
    out = [np.zeros((n_blocks, L), t) for t in (np.int32, np.int32, np.float32, np.float32)]
    data = coo.data[by_block]
    out[0][block, slot] = local_of[coo.row[by_block]]
    out[1][block, slot] = coo.col[by_block]
    out[2][block, slot] = np.asarray(weighting_fn(data.astype(np.float32), x_max, alpha))
    out[3][block, slot] = np.log(data)
    return rows, *out


@pytest.mark.parametrize("block_roles", ["alternate", "both"])
def test_unpadded_blocks_train_bit_identically_to_padded_ones(small_corpus, block_roles):
    from glove_lite.train import make_flat_blocks

    _, _, X = small_corpus
    V = X.shape[0]
    even = block_roles == "alternate"
    ref = _padded_blocks_reference(X, 16, 100.0, 0.75, 3, even)
    rb = make_row_blocks(X, 16, 100.0, 0.75, seed=3, even=even)
    for a, b in zip((rb.rows, rb.local_row, rb.col, rb.f_x, rb.log_x), ref):
        np.testing.assert_array_equal(a, b)
    fb = make_flat_blocks(X, 16, 100.0, 0.75, seed=3, even=even)
    device = fb.device_blocks()
    for k in (0, 5, fb.rows.shape[0] - 1):
        for column, padded in zip(device[1:], ref[1:]):
            np.testing.assert_array_equal(np.asarray(column[k]), padded[k])
    config = TrainConfig(dim=8, block_roles=block_roles)
    optimizer = make_optimizer(config)
    params = init_params(jax.random.PRNGKey(0), V, 8)
    outputs = []
    for blocks in (device, tuple(jnp.asarray(a) for a in ref)):
        p, s = params, optimizer.init(params)
        for epoch in range(2):
            p, s, loss = _dense_epoch(p, s, jax.random.PRNGKey(epoch), blocks, optimizer, V, block_roles)
        outputs.append((p, float(loss)))
    assert outputs[0][1] == outputs[1][1]
    for a, b in zip(outputs[0][0], outputs[1][0]):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_unpadded_blocks_hold_nnz_plus_one_block_not_the_longest_block_times_all():
    import scipy.sparse as sp

    from glove_lite.train import make_flat_blocks

    V = 600
    A = sp.random(V, V, density=0.005, random_state=0, format="csr") + sp.csr_matrix(
        (np.ones(V), (np.zeros(V, int), np.arange(V))), shape=(V, V))  # row 0 holds every column
    X = sp.csr_matrix(A + A.T)
    fb = make_flat_blocks(X, 8, 100.0, 0.75, seed=0, even=True)
    n_blocks = fb.rows.shape[0]
    assert fb.counts.sum() == X.nnz and fb.L == fb.counts.max() >= V
    assert fb.f_x.shape == (X.nnz + fb.L,)
    assert fb.f_x.nbytes * 4 < 0.2 * 16 * n_blocks * fb.L  # padded blocks would need 16 n_blocks L bytes


def test_auto_chooses_by_the_cost_model_outside_the_band_and_by_timing_inside(monkeypatch):
    import types

    import scipy.sparse as sp

    import glove_lite.train as train

    def no_timing(*args, **kwargs):
        raise AssertionError("timed although the model was clear")

    monkeypatch.setattr(train, "measure_epoch_seconds", no_timing)
    book = types.SimpleNamespace(shape=(8_791, 8_791), nnz=5_164_845)  # the book's X: 6.7 % dense
    text8 = types.SimpleNamespace(shape=(112_822, 112_822), nnz=83_983_426)  # generated text8-sized X: 0.66 %
    for X, method in ((book, "dense"), (text8, "sparse")):
        # (for sparse updates choose_method_by_cost then looks at X's corner: test_train_hybrid)
        choice = train.choose_method_by_model(X.shape[0], X.nnz, TrainConfig())
        assert (choice.method, choice.how) == (method, "model")
        slow, fast = sorted(choice.model_seconds.values(), reverse=True)
        assert slow > 4 * fast  # far outside the 2x band: no machine's timing noise can flip it
    assert "dense 0.4 s, sparse 1.8 s per epoch" in train.choose_method_by_cost(book, TrainConfig()).describe()
    assert train.choose_method_by_cost(text8, TrainConfig(method="dense")) == ("dense", "forced", {}, None, None)

    monkeypatch.undo()
    A = sp.random(1000, 1000, density=0.004, random_state=0, format="csr") * 20
    X = sp.csr_matrix(A + A.T)  # 0.8 % dense at V = 1,000: the model puts the two within 2x
    choice = train.choose_method_by_cost(X, TrainConfig(dim=8, seed=1))
    assert choice.how == "measured" and set(choice.measured_seconds) == {"dense", "sparse"}
    assert choice.method == min(choice.measured_seconds, key=choice.measured_seconds.get)
    assert all(t > 0 for t in choice.measured_seconds.values()) and "timed" in choice.describe()


def test_train_glove_records_the_choice(small_corpus):
    _, _, X = small_corpus
    result = train_glove(X, TrainConfig(dim=4, epochs=1))
    assert result.choice.method == result.method == "dense" and result.choice.how in ("model", "measured")
    assert train_glove(X, TrainConfig(dim=4, epochs=1, method="pairs")).choice.how == "forced"


def test_train_command_prints_the_choice_and_its_costs(tmp_path, capsys):
    from glove_lite.cli import main

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("The nation shall defend liberty and justice. The people love liberty. " * 40, encoding="utf-8")
    args = ["train", "--corpus", corpus, "--min-count", 2, "--window", 3, "--dim", 4, "--epochs", 1]
    assert main([str(a) for a in args + ["--output", tmp_path / "a.txt"]]) == 0
    err = capsys.readouterr().err
    assert "method: dense (cost model: dense " in err and " per epoch" in err
    assert main([str(a) for a in args + ["--output", tmp_path / "b.txt", "--method", "sparse"]]) == 0
    assert "method: sparse (as asked)" in capsys.readouterr().err


def test_unpadded_blocks_filled_a_group_of_rows_at_a_time_are_the_same(small_corpus, monkeypatch):
    import glove_lite.train as train

    _, _, X = small_corpus
    whole = train.make_flat_blocks(X, 16, 100.0, 0.75, seed=0, even=True)
    monkeypatch.setattr(train, "FILL_ENTRIES", 1000)
    grouped = train.make_flat_blocks(X, 16, 100.0, 0.75, seed=0, even=True)
    for name in ("rows", "offsets", "counts", "local_row", "col", "f_x", "log_x"):
        np.testing.assert_array_equal(getattr(grouped, name), getattr(whole, name))
