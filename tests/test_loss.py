"""The loss and its gradients against a numpy formula and finite differences."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import enable_x64

from glove_lite.loss import dense_block_loss, glove_loss, loss_by_loop, weighting_fn


def numpy_loss(params, i, j, x, xmax=100.0, alpha=0.75):
    W, Wt, b, bt = (np.asarray(p, dtype=np.float64) for p in params)
    total = 0.0
    for a, c, v in zip(i, j, x):
        f = (v / xmax) ** alpha if v < xmax else 1.0
        total += f * (W[a] @ Wt[c] + b[a] + bt[c] - np.log(v)) ** 2
    return total


def random_problem(rng, V=6, d=4, n=15):
    params = tuple(rng.normal(size=s) * 0.3 for s in [(V, d), (V, d), (V,), (V,)])
    i, j = rng.integers(0, V, n), rng.integers(0, V, n)
    x = rng.uniform(0.1, 250.0, n)
    return params, i, j, x


@pytest.mark.parametrize("x, expected", [(0.0, 0.0), (50.0, 0.5**0.75), (100.0, 1.0), (1e6, 1.0), (1.0, 0.01**0.75)])
def test_weighting_fn_values(x, expected):
    assert float(weighting_fn(x)) == pytest.approx(expected, rel=1e-6)


def test_weighting_fn_is_monotone_and_capped():
    x = np.linspace(0, 300, 301)
    f = np.asarray(weighting_fn(x, xmax=100, alpha=0.5))
    assert (np.diff(f) >= 0).all() and f.max() == 1.0 and f[0] == 0.0


def test_glove_loss_matches_numpy():
    rng = np.random.default_rng(0)
    params, i, j, x = random_problem(rng)
    with enable_x64():
        ours = float(glove_loss(tuple(jnp.asarray(p) for p in params), i, j, x))
    assert ours == pytest.approx(numpy_loss(params, i, j, x), rel=1e-10)


@pytest.mark.parametrize("xmax, alpha", [(100.0, 0.75), (10.0, 0.5)])
def test_loss_by_loop_is_the_formula(xmax, alpha):
    """The library's loop (chapter 3's reference) is the formula, to float64 rounding."""
    params, i, j, x = random_problem(np.random.default_rng(3))
    assert loss_by_loop(params, i, j, x, xmax, alpha) == pytest.approx(numpy_loss(params, i, j, x, xmax, alpha), rel=1e-12)
    with enable_x64():
        vectorised = float(glove_loss(tuple(jnp.asarray(p) for p in params), i, j, x, xmax, alpha))
    assert loss_by_loop(params, i, j, x, xmax, alpha) == pytest.approx(vectorised, rel=1e-10)


def test_glove_loss_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    params, i, j, x = random_problem(rng)
    eps = 1e-6
    with enable_x64():
        grads = jax.grad(glove_loss)(tuple(jnp.asarray(p) for p in params), i, j, x)
    for k, (p, g) in enumerate(zip(params, grads)):
        for idx in list(np.ndindex(p.shape))[:12]:
            up = [q.copy() for q in params]
            dn = [q.copy() for q in params]
            up[k][idx] += eps
            dn[k][idx] -= eps
            fd = (numpy_loss(up, i, j, x) - numpy_loss(dn, i, j, x)) / (2 * eps)
            assert float(g[idx]) == pytest.approx(fd, rel=1e-5, abs=1e-7), (k, idx)


def test_dense_block_loss_equals_pair_loss_on_the_block():
    rng = np.random.default_rng(2)
    V, d = 9, 3
    W, Wt, b, bt = (rng.normal(size=s) for s in [(V, d), (V, d), (V,), (V,)])
    X = np.where(rng.random((V, V)) < 0.4, rng.uniform(0.5, 200, (V, V)), 0.0)
    rows = np.array([1, 4, 7])
    i, j = np.nonzero(X[rows])
    with enable_x64():
        f = np.asarray(weighting_fn(X[rows]))
        logx = np.where(X[rows] > 0, np.log(np.where(X[rows] > 0, X[rows], 1.0)), 0.0)
        dense = float(dense_block_loss(W[rows], Wt, b[rows], bt, f, logx))
        pairs = float(glove_loss((W, Wt, b, bt), rows[i], j, X[rows][i, j]))
    assert dense == pytest.approx(pairs, rel=1e-12)
