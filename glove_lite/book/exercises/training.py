"""Self-checks for chapter 4 (training): initialising the parameters, one AdaGrad step."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from glove_lite.book.exercises._answers import forbidden
from glove_lite.book.exercises._base import (
    CheckFailed,
    Part,
    as_array,
    call_student,
    close,
    first_matching_hint,
    fmt,
    fn_name,
    remembered,
    run_parts,
)

_LABELS = ("W", "W_tilde", "b", "b_tilde")


def _excess_kurtosis(a: np.ndarray) -> float:
    """-1.2 for a uniform distribution, 0 for a normal one."""
    a = np.asarray(a, dtype=np.float64).ravel()
    centred = a - a.mean()
    return float(np.mean(centred**4) / np.mean(centred**2) ** 2 - 3.0)


def _range_hint(lo: float, hi: float, dim: int) -> str:
    """What to change about uniform values that lie in [lo, hi] instead of [-0.5/dim, 0.5/dim]."""
    bound = 0.5 / dim
    near = lambda a, b: abs(a - b) <= 0.1 * abs(b)  # noqa: E731
    if lo > -1e-6:  # no negative values
        if near(hi, 1.0):
            return "jax.random.uniform draws from [0, 1): subtract 0.5 and divide by dim."
        if near(hi, 1.0 / dim):
            return "subtract 0.5 before dividing by dim, so that the values are centred on 0."
        return "there are no negative values: the range is centred on 0."
    half = (hi - lo) / 2
    if near(half, 0.5):
        return "divide by dim."
    if near(half, 2 * bound):
        return "the range is twice too wide: the bound is 0.5/dim, not 1/dim."
    return f"scale the values to [-0.5/dim, 0.5/dim] (here dim = {dim})."


def _init_cases(hidden: bool) -> list[tuple[str, Any, int, int]]:
    """(how the key is written, the key, V, dim): the same key twice, then another key.

    The hidden cases use JAX's typed keys (``jax.random.key``) and a one-word vocabulary.
    """
    import jax

    if hidden:
        return [("jax.random.key(7)", jax.random.key(7), 250, 40), ("jax.random.key(7)", jax.random.key(7), 250, 40),
                ("jax.random.key(8)", jax.random.key(8), 250, 40), ("jax.random.PRNGKey(3)", jax.random.PRNGKey(3), 1, 3)]
    return [("jax.random.PRNGKey(0)", jax.random.PRNGKey(0), 400, 25), ("jax.random.PRNGKey(0)", jax.random.PRNGKey(0), 400, 25),
            ("jax.random.PRNGKey(1)", jax.random.PRNGKey(1), 400, 25)]


def check_init_params(fn: Callable[[Any, int, int], Any], *, hidden: bool = False,
                      points: float | None = None) -> float | None:
    """Check ``fn(key, vocab_size, dim) -> (W, W_tilde, b, b_tilde)`` (a GloveParams or a 4-tuple).

    W and W_tilde: (V, dim), uniform in [-0.5/dim, 0.5/dim] as in the reference C tool,
    drawn with *independent* keys; b and b_tilde: (V,) zeros. The same key gives the
    same parameters, another key other ones. Three parts: shapes and zero biases, the
    range and distribution, and the keys. ``hidden=True`` runs what the visible check does
    not: JAX's typed keys (``jax.random.key``), other sizes and a one-word vocabulary;
    ``points`` grades (see :func:`run_parts`).
    """
    name = fn_name(fn, "init_params")
    cases = _init_cases(hidden)

    def call(k: int) -> str:
        shown, _, V, dim = cases[k]
        return f"{name}({shown}, {V}, {dim})"

    def answer(k: int) -> list[np.ndarray]:
        _, key, V, dim = cases[k]
        out = call_student(fn, name, key, V, dim, call=call(k), forbid=forbidden("check_init_params"))
        if not isinstance(out, (tuple, list)) or len(out) != 4:
            raise CheckFailed(f"`{call(k)}` must return four arrays (W, W_tilde, b, b_tilde), got a {type(out).__name__}.")
        return [as_array(a, f"{label} from `{call(k)}`") for a, label in zip(out, _LABELS)]

    answers = remembered(answer)

    def shapes_and_biases() -> int:
        for k, (_, _, V, dim) in enumerate(cases):
            arrays = answers(k)
            for a, label, shape in zip(arrays, _LABELS, ((V, dim), (V, dim), (V,), (V,))):
                if a.shape != shape:
                    raise CheckFailed(f"`{call(k)}`: {label} has shape {a.shape}; expected {shape}.")
            if np.any(arrays[2] != 0) or np.any(arrays[3] != 0):
                raise CheckFailed(f"`{call(k)}`: the biases b and b_tilde must start at zero.")
        return len(cases)

    def uniform_range() -> int:
        for k, (_, _, V, dim) in enumerate(cases):
            bound = 0.5 / dim
            for a, label in zip(answers(k)[:2], _LABELS):
                a = np.asarray(a, dtype=np.float64)
                lo, hi = float(a.min()), float(a.max())
                if a.size >= 1000 and _excess_kurtosis(a) > -0.6:
                    raise CheckFailed(
                        f"`{call(k)}`: the values of {label} look normally distributed (many near the centre, a few "
                        "far out); the C tool draws them uniformly: use jax.random.uniform, then shift and scale "
                        "to [-0.5/dim, 0.5/dim]."
                    )
                if hi > bound * 1.001 or lo < -bound * 1.001:
                    raise CheckFailed(
                        f"`{call(k)}`: {label} lies in [{fmt(lo)}, {fmt(hi)}]; expected uniform values in "
                        f"[-0.5/dim, 0.5/dim] = [{-bound:g}, {bound:g}]: {_range_hint(lo, hi, dim)}"
                    )
                if lo > -1e-6 and a.size >= 100:
                    raise CheckFailed(f"`{call(k)}`: {label} has no negative values; expected uniform values in "
                                      "[-0.5/dim, 0.5/dim]: subtract 0.5 first.")
                if a.size >= 1000 and (hi < 0.8 * bound or lo > -0.8 * bound
                                       or abs(float(a.std()) - bound / np.sqrt(3)) > 0.1 * bound):
                    raise CheckFailed(f"`{call(k)}`: {label} is not spread uniformly over [-0.5/dim, 0.5/dim] "
                                      f"(std {fmt(a.std())}, expected about {fmt(bound / np.sqrt(3))}).")
        return len(cases)

    def keys() -> int:
        first, again, other = answers(0), answers(1), answers(2)
        W, Wt = first[0], first[1]
        if W.shape == Wt.shape and np.array_equal(W, Wt):
            raise CheckFailed(
                f"`{call(0)}`: W and W_tilde are identical, so you drew them with the same key. X is symmetric, so "
                "they would get the same gradients and stay equal for ever: give each its own key (split the key)."
            )
        if W.shape == Wt.shape and W.size > 2 and abs(np.corrcoef(W.ravel(), Wt.ravel())[0, 1]) > 0.2:
            raise CheckFailed(f"`{call(0)}`: W and W_tilde are strongly correlated; draw them independently, "
                              "from keys made by splitting the key.")
        if not all(a.shape == c.shape and np.array_equal(a, c) for a, c in zip(first, again)):
            raise CheckFailed(
                f"calling `{call(0)}` twice gave different parameters: draw all random numbers from `key` "
                "(jax.random), not from numpy's or Python's global generator."
            )
        for k, label in ((0, "W"), (1, "W_tilde")):
            if first[k].shape == other[k].shape and np.array_equal(first[k], other[k]):
                raise CheckFailed(f"`{name}` gives the same {label} for {cases[0][0]} and {cases[2][0]}: draw "
                                  f"{label} from keys made from the key you are given, not from a fixed key.")
        return 3

    return run_parts("check_init_params", fn, [
        Part("shapes, and the biases at zero", shapes_and_biases),
        Part("W and W_tilde uniform in [-0.5/dim, 0.5/dim]", uniform_range),
        Part("independent keys for W and W_tilde, drawn from the key", keys),
    ], hidden, points)


def _adagrad(param, grad, accum, lr, replace=False, before=False, sqrt=True, squares=True):
    new_accum = (0 if replace else accum) + (grad * grad if squares else np.abs(grad))
    scale = accum if before else new_accum
    denom = np.sqrt(scale) if sqrt else scale
    return param - lr * grad / denom, new_accum


def _adagrad_cases(hidden: bool) -> list[tuple]:
    rng = np.random.default_rng(1030 if hidden else 30)
    cases = []
    for shape in ((3, 2, 2), (1,), (7, 4), ()) if hidden else ((5,), (4, 3), (6, 2)):
        param, grad = rng.normal(0, 1, shape), rng.normal(0, 2, shape)
        accum = rng.uniform(1.0, 5.0, shape)
        cases.append((np.asarray(param), np.asarray(grad), np.asarray(accum), float(rng.choice([0.05, 0.2, 0.5]))))
    return cases


def check_adagrad_step(fn: Callable[..., Any], *, hidden: bool = False, points: float | None = None) -> float | None:
    """Check ``fn(param, grad, accum, lr) -> (new_param, new_accum)``: one AdaGrad step.

    ``accum`` is the running sum of squared gradients (elementwise, same shape as param);
    the step adds grad^2 to it and moves param by -lr * grad / sqrt(new accum). Two parts:
    new_accum and new_param. ``hidden=True`` runs what the visible check does not: a
    0-d parameter, JAX arrays as inputs, and inputs that must come back unchanged (no
    ``accum += ...`` on the caller's array); ``points`` grades (see :func:`run_parts`).
    """
    name = fn_name(fn, "adagrad_step")
    cases = _adagrad_cases(hidden)

    def call(k: int) -> str:
        return f"{name}(param, grad, accum, lr={cases[k][3]})"

    def answer(k: int) -> tuple[np.ndarray, np.ndarray]:
        param, grad, accum, lr = cases[k]
        inputs = [param.copy(), grad.copy(), accum.copy()]
        if hidden and k == len(cases) - 2:  # JAX arrays, as in training
            import jax.numpy as jnp

            inputs = [jnp.asarray(a) for a in inputs]
        out = call_student(fn, name, *inputs, lr, call=call(k), forbid=forbidden("check_adagrad_step"))
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise CheckFailed(f"`{call(k)}` must return two arrays (new_param, new_accum), got a {type(out).__name__}.")
        new_param, new_accum = (as_array(a, f"the result of `{call(k)}`") for a in out)
        if new_param.shape != param.shape or new_accum.shape != accum.shape:
            raise CheckFailed(f"`{call(k)}` returned shapes {new_param.shape} and {new_accum.shape}; "
                              f"expected {param.shape} for both.")
        changed = [label for label, given, kept in zip(("param", "grad", "accum"), inputs, (param, grad, accum))
                   if isinstance(given, np.ndarray) and not np.array_equal(given, kept)]
        if hidden and changed:
            raise CheckFailed(
                f"`{call(k)}` changed the caller's {changed[0]} in place (`{changed[0]} += ...` or `-=` on a numpy "
                f"array): compute a new array (`{changed[0]} = {changed[0]} + ...`) and return it, so the caller's "
                "values stay as they were, as optax and JAX do."
            )
        return new_param, new_accum

    answers = remembered(answer)

    def accum_part() -> int:
        for k, (param, grad, accum, lr) in enumerate(cases):
            new_accum = answers(k)[1]
            want = _adagrad(param, grad, accum, lr)[1]
            if close(new_accum, want, rtol=1e-5):
                continue
            hint = first_matching_hint(new_accum, [
                (lambda: accum, "the sum of squared gradients did not change: add grad**2 to it and return the new sum."),
                (lambda: grad * grad, "add grad**2 to the running sum; do not replace the sum by it."),
                (lambda: accum + np.abs(grad), "the running sum is of squared gradients, not of their absolute values."),
            ], rtol=1e-5)
            raise CheckFailed(f"`{call(k)}`: new_accum is wrong" + (f": {hint}" if hint else "."))
        return len(cases)

    def param_part() -> int:
        for k, (param, grad, accum, lr) in enumerate(cases):
            new_param = answers(k)[0]
            want_param, want_accum = _adagrad(param, grad, accum, lr)
            if close(new_param, want_param, rtol=1e-5):
                continue
            hint = first_matching_hint(new_param, [
                (lambda: _adagrad(param, grad, accum, lr, before=True)[0], "divide by the square root of the sum that already includes this step's grad**2."),
                (lambda: _adagrad(param, grad, accum, lr, sqrt=False)[0], "divide by the square root of the accumulated sum, not the sum itself."),
                (lambda: param + lr * grad / np.sqrt(want_accum), "step against the gradient (param - ...), not along it."),
                (lambda: param - lr * grad, "that is a plain gradient step: AdaGrad divides each component by sqrt(accumulated grad**2)."),
                (lambda: param - grad / np.sqrt(want_accum), "you forgot the learning rate."),
            ], rtol=1e-5)
            raise CheckFailed(f"`{call(k)}`: new_param is wrong" + (f": {hint}" if hint else "."))
        return len(cases)

    return run_parts("check_adagrad_step", fn, [
        Part("new_accum (the running sum of squared gradients)", accum_part),
        Part("new_param (the step)", param_part),
    ], hidden, points)
