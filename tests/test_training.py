"""The training contract, for every strategy: an epoch equals plain optax steps over the same visiting order,
a resumed run is bit-identical, the same seed repeats bit for bit, the loss goes down, and divergence names
the learning rate in use."""

import dataclasses
import json

import jax
import numpy as np
import pytest

from glove_lite.errors import GloveLiteError, TrainingDivergedError
from glove_lite.training import OPTIMIZERS, STRATEGIES, GloveParams, TrainConfig, make_plan, train_glove
from glove_lite.training.checkpoint import MANIFEST
from glove_lite.training.driver import checked_cooc_matrix
from training_reference import random_params, random_symmetric, reference_epoch

# (strategy, config settings, plan settings): small batches so that an epoch takes several steps
CASES = {
    "dense, alternating roles": ("dense", dict(batch_size=7), {}),
    "dense, both roles": ("dense", dict(batch_size=7, block_roles="both"), {}),
    "sparse": ("sparse", dict(batch_size=13), {}),
    "hybrid": ("hybrid", dict(batch_size=13), dict(corner=16, corner_rows=8)),
    "pairs": ("pairs", dict(batch_size=64), {}),
    "tiled": ("tiled", dict(batch_size=13), dict(groups=4)),
}


def build(X, case: str, optimizer: str = "adagrad", **settings):
    method, config_settings, plan_settings = CASES[case]
    config = TrainConfig(dim=5, method=method, optimizer=optimizer, grad_clip=0.5, **{**config_settings, **settings})
    X = checked_cooc_matrix(X)
    plan = dataclasses.replace(make_plan(X, config), **plan_settings)
    return STRATEGIES[method](X, config, plan), config


def test_every_strategy_is_in_the_cases():
    assert {m for m, _, _ in CASES.values()} == set(STRATEGIES)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_an_epoch_equals_plain_optax_steps_over_the_same_visiting_order(case, optimizer):
    X = random_symmetric()
    strategy, config = build(X, case, optimizer)
    params = random_params(X.shape[0], config.dim)
    tx = strategy.optimizers[0]
    want = (params, tx.init(params))
    state = strategy.init_state(params)
    for epoch in range(2):  # the second epoch starts from optimizer state (and counts) the first left
        key = jax.random.PRNGKey(10 + epoch)
        state, _ = strategy.epoch(state, key)
        want = reference_epoch(strategy, *want, key)
    got_params, got_state = strategy.state_to(state)
    for name, a, b in zip(GloveParams._fields, got_params, want[0]):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-5, atol=2e-6, err_msg=name)
    for a, b in zip(jax.tree_util.tree_leaves(got_state), jax.tree_util.tree_leaves(want[1])):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-5, atol=2e-6)
    np.testing.assert_array_equal(np.asarray(strategy.params(state).W), np.asarray(got_params.W))


@pytest.mark.parametrize("optimizer", ["adagrad", "adam"])
def test_tiles_with_chunks_in_both_span_buckets_equal_plain_optax_steps(monkeypatch, optimizer):
    from glove_lite.training import tiled

    monkeypatch.setattr(tiled, "SHORT_SPAN", 2)  # chunks of at most 2 rows take the short step, the others the long
    X = random_symmetric()
    strategy, config = build(X, "tiled", optimizer)
    assert strategy.tiles_plan.C_short > 0 and strategy.tiles_plan.C_long > 0
    params = random_params(X.shape[0], config.dim)
    key = jax.random.PRNGKey(3)
    state, _ = strategy.epoch(strategy.init_state(params), key)
    want = reference_epoch(strategy, params, strategy.optimizers[0].init(params), key)
    for a, b in zip(strategy.params(state), want[0]):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", sorted(CASES))
def test_state_converts_to_params_and_optax_state_and_back(case):
    X = random_symmetric()
    strategy, config = build(X, case, "adam")
    params = random_params(X.shape[0], config.dim)
    tx = strategy.optimizers[0]
    opt_state = tx.update(params, tx.init(params), params)[1]  # a state with non-trivial moments and count
    back_params, back_state = strategy.state_to(strategy.state_from(params, opt_state))
    for a, b in zip(jax.tree_util.tree_leaves((params, opt_state)), jax.tree_util.tree_leaves((back_params, back_state))):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("method", sorted(STRATEGIES))
def test_training_lowers_the_loss_and_the_same_seed_repeats_bit_for_bit(small_corpus, method):
    _, _, X = small_corpus
    config = TrainConfig(dim=8, epochs=4, method=method, seed=3)
    a, b = train_glove(X, config), train_glove(X, config)
    assert a.method == method and len(a.losses) == 4 and len(a.epoch_seconds) == 4
    assert a.losses[-1] < 0.6 * a.losses[0], a.losses
    assert a.losses == b.losses
    for p, q in zip(a.params, b.params):
        np.testing.assert_array_equal(np.asarray(p), np.asarray(q))
    other = train_glove(X, dataclasses.replace(config, seed=4))
    assert not np.array_equal(np.asarray(a.params.W), np.asarray(other.params.W))


@pytest.mark.parametrize("method", sorted(STRATEGIES))
def test_free_x_empties_x_only_where_the_strategy_trains_on_its_own_copy(small_corpus, method):
    _, _, X = small_corpus
    X = X.tocsr(copy=True)
    X.sort_indices()
    kept = X.copy()
    config = TrainConfig(dim=8, epochs=2, method=method, seed=3)
    freed = train_glove(X, config, free_x=True)
    assert X.nnz == (0 if STRATEGIES[method].copies_x else kept.nnz)
    assert X.shape == kept.shape and X.indptr.size == kept.shape[0] + 1  # still a valid matrix
    plain = train_glove(kept, config)
    assert freed.losses == plain.losses
    for p, q in zip(freed.params, plain.params):
        np.testing.assert_array_equal(np.asarray(p), np.asarray(q))


@pytest.mark.parametrize("method, optimizer", [(m, "adagrad") for m in sorted(STRATEGIES)]
                         + [("sparse", "adam"), ("tiled", "yogi"), ("hybrid", "adamw")])
def test_interrupted_and_resumed_run_is_bit_identical(small_corpus, tmp_path, method, optimizer):
    _, _, X = small_corpus
    config = TrainConfig(dim=6, epochs=4, method=method, optimizer=optimizer, seed=5)
    whole = train_glove(X, config)

    def interrupt_at_3(epoch, params, loss):
        if epoch == 3:
            raise KeyboardInterrupt

    folder = tmp_path / "ckpt"
    with pytest.raises(KeyboardInterrupt):
        train_glove(X, config, callback=interrupt_at_3, checkpoint_dir=folder, checkpoint_every=2)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["epoch"] == 2 and len(manifest["losses"]) == 2
    assert not list(folder.glob(".*tmp"))  # nothing half-written left behind
    seen = []
    resumed = train_glove(X, config, checkpoint_dir=folder, resume=True, callback=lambda e, p, l: seen.append(e))
    assert seen == [3, 4]
    assert resumed.losses == whole.losses
    for p, q in zip(whole.params, resumed.params):
        np.testing.assert_array_equal(np.asarray(p), np.asarray(q))
    assert json.loads((folder / MANIFEST).read_text())["epoch"] == 4


@pytest.mark.parametrize("method", sorted(STRATEGIES))
def test_divergence_names_the_learning_rate_in_use(small_corpus, method):
    _, _, X = small_corpus
    V = X.shape[0]
    config = TrainConfig(dim=4, epochs=2, method=method)
    bad = GloveParams(np.full((V, 4), np.inf, np.float32), np.ones((V, 4), np.float32), np.zeros(V, np.float32),
                      np.zeros(V, np.float32))
    lr = make_plan(checked_cooc_matrix(X), config).learning_rate
    with pytest.raises(TrainingDivergedError, match=rf"at epoch 1; lower the learning rate \(now .*{lr:g}"):
        train_glove(X, config, params=bad)
    with pytest.raises(TrainingDivergedError, match=r"\(now (corner tiles 0\.03, sparse chunks )?0\.03\b"):
        train_glove(X, dataclasses.replace(config, learning_rate=0.03), params=bad)


def test_hybrid_divergence_names_both_rates(small_corpus):
    _, _, X = small_corpus
    V = X.shape[0]
    bad = GloveParams(np.full((V, 4), np.inf, np.float32), np.ones((V, 4), np.float32), np.zeros(V, np.float32),
                      np.zeros(V, np.float32))
    with pytest.raises(TrainingDivergedError, match=r"now corner tiles 0\.2, sparse chunks 0\.5\)"):
        train_glove(X, TrainConfig(dim=4, epochs=1, method="hybrid"), params=bad)


def test_callback_runs_after_every_epoch_with_the_parameters(small_corpus):
    _, _, X = small_corpus
    seen = []
    result = train_glove(X, TrainConfig(dim=4, epochs=3, method="sparse"),
                         callback=lambda e, p, l: seen.append((e, l, np.asarray(p.W))))
    assert [s[0] for s in seen] == [1, 2, 3]
    assert [s[1] for s in seen] == result.losses
    np.testing.assert_array_equal(seen[-1][2], np.asarray(result.params.W))


def test_a_run_can_be_extended_and_keeps_two_checkpoints(small_corpus, tmp_path):
    _, _, X = small_corpus
    whole = train_glove(X, TrainConfig(dim=4, epochs=3))
    train_glove(X, TrainConfig(dim=4, epochs=1), checkpoint_dir=tmp_path)
    resumed = train_glove(X, TrainConfig(dim=4, epochs=3), checkpoint_dir=tmp_path, resume=True)
    assert resumed.losses == whole.losses
    assert len(list(tmp_path.glob("epoch-*.npz"))) == 2


def test_checkpoint_misuse_is_refused(small_corpus, tmp_path):
    _, _, X = small_corpus
    train_glove(X, TrainConfig(dim=4, epochs=1), checkpoint_dir=tmp_path)
    with pytest.raises(GloveLiteError, match="already holds a checkpoint"):
        train_glove(X, TrainConfig(dim=4, epochs=2), checkpoint_dir=tmp_path)
    with pytest.raises(GloveLiteError, match="has settings"):
        train_glove(X, TrainConfig(dim=4, epochs=2, learning_rate=0.1), checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(GloveLiteError, match="has method"):
        train_glove(X, TrainConfig(dim=4, epochs=2, method="sparse"), checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(GloveLiteError, match="has matrix"):
        train_glove(X * 2, TrainConfig(dim=4, epochs=2), checkpoint_dir=tmp_path, resume=True)
    with pytest.raises(GloveLiteError, match="needs checkpoint_dir"):
        train_glove(X, TrainConfig(dim=4, epochs=2), resume=True)
    with pytest.raises(GloveLiteError, match="checkpoint_every=0"):
        train_glove(X, TrainConfig(dim=4, epochs=2), checkpoint_dir=tmp_path / "new", checkpoint_every=0)


@pytest.mark.parametrize("kwargs, match", [
    (dict(dim=0), "dim=0"), (dict(epochs=1.5), "epochs=1.5"), (dict(optimizer="sgd"), "optimizer='sgd'; expected"),
    (dict(method="fast"), "method='fast'; expected 'auto' or 'dense'"), (dict(learning_rate=0.0), "learning_rate=0.0"),
    (dict(learning_rate=float("nan")), "learning_rate=nan"), (dict(x_max=-1), "x_max=-1"), (dict(alpha=2), "alpha=2"),
    (dict(grad_clip=0), "grad_clip=0"), (dict(block_roles="all"), "block_roles='all'"), (dict(batch_size=0), "batch_size=0"),
    (dict(devices=0), "devices=0"), (dict(devices=2, method="dense"), "method='dense'; expected 'auto' or 'tiled'"),
])
def test_bad_config_is_rejected_with_the_value_and_what_was_expected(kwargs, match):
    with pytest.raises(GloveLiteError, match=match):
        TrainConfig(**kwargs)


def test_bad_matrix_and_bad_initial_vectors_are_rejected(small_corpus):
    import scipy.sparse as sp

    with pytest.raises(GloveLiteError, match="expected a square scipy.sparse matrix"):
        train_glove(np.ones((3, 3)), TrainConfig(dim=2, epochs=1))
    with pytest.raises(GloveLiteError, match="no non-zero entries"):
        train_glove(sp.csr_matrix((3, 3)), TrainConfig(dim=2, epochs=1))
    with pytest.raises(GloveLiteError, match="non-positive"):
        train_glove(sp.csr_matrix(-np.eye(3)), TrainConfig(dim=2, epochs=1))
    with pytest.raises(GloveLiteError, match="not symmetric"):
        train_glove(sp.csr_matrix(np.triu(np.ones((4, 4)))), TrainConfig(dim=2, epochs=1, method="sparse"))
    _, _, X = small_corpus
    V = X.shape[0]
    with pytest.raises(GloveLiteError, match=rf"initial vectors of shape \({V - 1}, 4\); expected \({V}, 4\)"):
        train_glove(X, TrainConfig(dim=4, epochs=1), params=random_params(V - 1, 4))
