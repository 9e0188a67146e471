"""Training: the loss goes down, both methods agree, seeds are reproducible, bad settings fail."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from glove_lite.errors import GloveLiteError, TrainingDivergedError
from glove_lite.train import GloveParams, TrainConfig, choose_method, init_params, make_row_blocks, train_glove


def test_init_params_uses_independent_keys():
    p = init_params(jax.random.PRNGKey(0), 50, 8)
    assert p.W.shape == (50, 8) and p.b.shape == (50,)
    assert not np.allclose(p.W, p.W_tilde)
    assert np.abs(p.W).max() <= 0.5 / 8


@pytest.mark.parametrize("method", ["dense", "pairs"])
@pytest.mark.parametrize("optimizer", ["adagrad", "adam"])
def test_training_lowers_the_loss(small_corpus, method, optimizer):
    _, _, X = small_corpus
    result = train_glove(X, TrainConfig(dim=16, epochs=6, method=method, optimizer=optimizer))
    assert result.method == method
    assert len(result.losses) == 6
    assert result.losses[-1] < 0.6 * result.losses[0]


def test_dense_and_pairs_take_the_same_full_batch_step(small_corpus):
    _, _, X = small_corpus
    # One block holding every row, one batch holding every pair: both take exactly one full-gradient step.
    configs = [TrainConfig(dim=8, epochs=1, method=m, batch_size=10**6, optimizer="adam") for m in ("dense", "pairs")]
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


def test_auto_method_follows_density(small_corpus):
    import scipy.sparse as sp

    _, _, X = small_corpus
    assert choose_method(X) == "dense"
    assert choose_method(sp.identity(1000, format="csr")) == "pairs"


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
