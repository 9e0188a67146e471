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
