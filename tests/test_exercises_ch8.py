"""Chapter 8's self-checks beyond the generic tests of tests/test_exercises.py.

The generic tests (reference passes, stubs say "not implemented yet", each typical wrong
answer gets its hint, hidden cases) cover these checks through
tests/exercise_references_ch8.py; here: other correct answers pass, and the reference
the sparse check compares with is the dense optax step.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import optax
import pytest

import glove_lite.book.exercises as ex
from glove_lite.book.exercises import CheckFailed
from glove_lite.book.exercises.scaling import _sparse_adagrad, _sparse_cases

from exercise_references_ch8 import dsgd_schedule


def test_reference_step_equals_dense_optax_adagrad():
    """The check's answer is what optax's AdaGrad does with the summed gradient (zero for untouched rows)."""
    for W, accum, rows, grads, lr in _sparse_cases(False) + _sparse_cases(True):
        g = np.zeros_like(W)
        np.add.at(g, rows, grads)
        opt = optax.adagrad(lr, initial_accumulator_value=0.0, eps=0.0)
        state = opt.init(jnp.asarray(W))
        state = state._replace(sum_of_squares=jnp.asarray(accum)) if hasattr(state, "sum_of_squares") else (
            state[0]._replace(sum_of_squares=jnp.asarray(accum)),) + tuple(state[1:])
        updates, _ = opt.update(jnp.asarray(g), state)
        want_W, want_accum = _sparse_adagrad(W, accum, rows, grads, lr)
        np.testing.assert_allclose(np.asarray(W + updates), want_W, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(want_accum, accum + g * g)
        untouched = np.setdiff1d(np.arange(W.shape[0]), rows)
        assert np.array_equal(want_W[untouched], W[untouched])


def jax_sparse_step(W, accum, rows, grads, lr):
    """A correct answer in JAX: segment sums, then the touched rows."""
    g = jnp.zeros(W.shape).at[rows].add(grads)
    accum = jnp.asarray(accum) + g * g
    return jnp.asarray(W) - lr * g / jnp.sqrt(accum), accum


@pytest.mark.parametrize("hidden", [False, True])
def test_other_correct_sparse_steps_pass(hidden, capsys):
    ex.check_sparse_adagrad_step(jax_sparse_step, hidden=hidden)
    assert "passed all" in capsys.readouterr().out


def schedule_backwards(G):
    return [[(p, (p - s) % G) for p in range(G)] for s in range(G)]


def schedule_shuffled_strata(G):
    order = np.random.default_rng(0).permutation(G)
    return [[(p, int((p + 3 * s) % G) if np.gcd(3, G) == 1 else (p + s) % G) for p in range(G)] for s in order]


def schedule_numpy(G):
    return np.array(dsgd_schedule(G))


@pytest.mark.parametrize("answer", [schedule_backwards, schedule_shuffled_strata, schedule_numpy])
@pytest.mark.parametrize("hidden", [False, True])
def test_any_valid_schedule_passes(answer, hidden, capsys):
    ex.check_dsgd_schedule(answer, hidden=hidden)
    assert "passed all" in capsys.readouterr().out


def test_schedule_message_names_the_devices_that_clash():
    def clash(G):
        strata = dsgd_schedule(G)
        strata[0] = [(0, 0), (1, 0)] + strata[0][2:]
        return strata

    with pytest.raises(CheckFailed, match=r"stratum 0 devices 0 and 1 both take column block 0"):
        ex.check_dsgd_schedule(clash)


def test_sparse_step_wrong_shape_is_named():
    with pytest.raises(CheckFailed, match="return the whole tables"):
        ex.check_sparse_adagrad_step(lambda W, accum, rows, grads, lr: (W[rows], accum[rows]))
