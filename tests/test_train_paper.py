"""The paper's recipe (glove_lite.sparse_train.paper_*): AdaGrad on the rows a batch of
shuffled non-zeros touches, checked against a plain NumPy loop and the textbook optax port."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import scipy.sparse as sp

from glove_lite.errors import GloveLiteError
from glove_lite.sparse_train import init_paper_state, paper_epoch, paper_pairs, paper_step, train_paper
from glove_lite.train import _pairs_epoch, init_params


def small_X(V=9, seed=0, density=0.5):
    rng = np.random.default_rng(seed)
    A = sp.random(V, V, density=density, random_state=rng, data_rvs=lambda n: rng.uniform(0.2, 150.0, n))
    return sp.csr_matrix(A + A.T)


def numpy_step(params, sums, batch, lr, clip):
    """The same step, written out: sum each row's gradients over the batch, then AdaGrad on each row once."""
    W, Wt, b, bt = (np.array(p, np.float64) for p in params)
    sW, sWt, sb, sbt = (np.array(s, np.float64) for s in sums)
    i, j, f_x, log_x = (np.asarray(a) for a in batch)
    gW, gWt, gb, gbt = {}, {}, {}, {}
    loss = 0.0
    for a, c, f, lx in zip(i, j, f_x, log_x):
        r = W[a] @ Wt[c] + b[a] + bt[c] - lx
        loss += f * r * r
        g = 2 * f * r
        gW[a] = gW.get(a, 0) + g * Wt[c]
        gWt[c] = gWt.get(c, 0) + g * W[a]
        gb[a] = gb.get(a, 0) + g
        gbt[c] = gbt.get(c, 0) + g
    for p, s, grads in ((W, sW, gW), (Wt, sWt, gWt), (b, sb, gb), (bt, sbt, gbt)):
        for row, g in grads.items():
            g = np.clip(g, -clip, clip)
            s[row] = s[row] + g * g
            p[row] = p[row] - lr * g / np.sqrt(s[row])
    return (W, Wt, b, bt), (sW, sWt, sb, sbt), loss


def test_step_matches_a_numpy_loop_with_repeated_rows():
    V, d = 6, 3
    params = init_params(jax.random.PRNGKey(3), V, d)
    params = params._replace(b=jnp.linspace(-1, 1, V), b_tilde=jnp.linspace(1, -0.5, V))
    state = init_paper_state(params)
    rng = np.random.default_rng(1)
    n = 40  # far more than V: every row repeats
    batch = (jnp.asarray(rng.integers(0, V, n), jnp.int32), jnp.asarray(rng.integers(0, V, n), jnp.int32),
             jnp.asarray(rng.uniform(0, 1, n), jnp.float32), jnp.asarray(rng.uniform(-1, 4, n), jnp.float32))
    for clip in (100.0, 0.05):  # the second clips most components
        new, loss = jax.jit(paper_step, static_argnames=("lr", "clip"))(state, batch, lr=0.3, clip=clip)
        want_p, want_s, want_loss = numpy_step(params, state.sums, batch, 0.3, clip)
        for got, want in zip(new.params + new.sums, want_p + want_s):
            np.testing.assert_allclose(np.asarray(got), want, rtol=2e-5, atol=2e-6)
        assert float(loss) == pytest.approx(want_loss, rel=1e-5)


def test_untouched_rows_do_not_move():
    V, d = 8, 2
    params = init_params(jax.random.PRNGKey(0), V, d)
    state = init_paper_state(params)
    batch = (jnp.array([1, 1, 2]), jnp.array([3, 3, 1]), jnp.ones(3), jnp.full(3, 2.0))
    new, _ = paper_step(state, batch, lr=0.1, clip=100.0)
    for got, old, rows in zip(new.params, state.params, ([1, 2], [3, 1], [1, 2], [3, 1])):
        keep = np.setdiff1d(np.arange(V), rows)
        np.testing.assert_array_equal(np.asarray(got)[keep], np.asarray(old)[keep])
        assert not np.allclose(np.asarray(got)[rows], np.asarray(old)[rows])


def test_epoch_matches_a_numpy_loop_over_the_shuffled_batches():
    X = small_X()
    params = init_params(jax.random.PRNGKey(1), X.shape[0], 4)
    pairs = paper_pairs(X)
    n, batch_size = X.nnz, 7  # the last batch is padded
    assert n % batch_size
    order = np.random.default_rng(5).permutation(n).astype(np.int32)
    state, total = paper_epoch(init_paper_state(params), jnp.asarray(order), pairs, lr=0.05, clip=100.0,
                               batch_size=batch_size)
    want_p, want_s = tuple(np.asarray(p, np.float64) for p in params), (np.ones((X.shape[0], 4)),) * 2 + (np.ones(X.shape[0]),) * 2
    want_total = 0.0
    host = [np.asarray(a) for a in pairs]
    for start in range(0, n, batch_size):
        take = order[start:start + batch_size]
        want_p, want_s, loss = numpy_step(want_p, want_s, [a[take] for a in host], 0.05, 100.0)
        want_total += loss
    for got, want in zip(state.params + state.sums, want_p + want_s):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-4, atol=1e-6)
    assert float(total) == pytest.approx(want_total, rel=1e-5)


def test_epoch_equals_the_textbook_optax_port():
    """Same order, same batches: the pairs method's dense AdaGrad (zero gradient off the batch) gives the same result."""
    X = small_X(V=12, seed=2)
    params = init_params(jax.random.PRNGKey(2), X.shape[0], 5)
    pairs = paper_pairs(X)
    key = jax.random.PRNGKey(7)
    order = jax.random.permutation(key, X.nnz)  # the order _pairs_epoch draws from this key
    state, total = paper_epoch(init_paper_state(params), order, pairs, lr=0.05, clip=100.0, batch_size=16)
    optimizer = optax.chain(optax.clip(100.0), optax.adagrad(0.05, initial_accumulator_value=1.0, eps=0.0))
    want, _, want_total = _pairs_epoch(params, optimizer.init(params), key, pairs, optimizer=optimizer, batch_size=16)
    for got, w in zip(state.params, want):
        np.testing.assert_allclose(np.asarray(got), np.asarray(w), rtol=1e-5, atol=1e-6)
    assert float(total) == pytest.approx(float(want_total), rel=1e-5)


def test_train_paper_lowers_the_loss_and_reports_every_epoch():
    X = small_X(V=20, seed=3, density=0.4)
    seen = []
    params, losses = train_paper(X, init_params(jax.random.PRNGKey(0), 20, 6), epochs=30, lr=0.05, batch_size=8,
                                 callback=lambda epoch, p, loss: seen.append((epoch, loss)))
    assert [e for e, _ in seen] == list(range(1, 31)) and [l for _, l in seen] == losses
    assert losses[-1] < 0.5 * losses[0]
    again, losses_again = train_paper(X, init_params(jax.random.PRNGKey(0), 20, 6), epochs=30, lr=0.05, batch_size=8)
    assert losses_again == losses  # fixed seed: the same orders
    np.testing.assert_array_equal(np.asarray(again[0]), np.asarray(params[0]))


@pytest.mark.parametrize("kwargs, message", [
    (dict(epochs=0), "epochs=0"),
    (dict(epochs=1, batch_size=0), "batch_size=0"),
    (dict(epochs=1, lr=0.0), "lr=0.0"),
])
def test_train_paper_rejects_bad_settings(kwargs, message):
    X = small_X()
    with pytest.raises(GloveLiteError, match=message):
        train_paper(X, init_params(jax.random.PRNGKey(0), X.shape[0], 2), **kwargs)


def test_train_paper_rejects_a_matrix_of_the_wrong_size():
    with pytest.raises(GloveLiteError, match="one row per word"):
        train_paper(small_X(V=9), init_params(jax.random.PRNGKey(0), 10, 2), epochs=1)
