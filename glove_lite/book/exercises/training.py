"""Self-checks for chapter 4 (training): initialising the parameters, one AdaGrad step."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from glove_lite.book.exercises._answers import forbidden
from glove_lite.book.exercises._base import CheckFailed, as_array, call_student, close, first_matching_hint, fmt, fn_name, passed


def check_init_params(fn: Callable[[Any, int, int], Any], *, hidden: bool = False) -> None:
    """Check ``fn(key, vocab_size, dim) -> (W, W_tilde, b, b_tilde)`` (a GloveParams or a 4-tuple).

    W and W_tilde: (V, dim), uniform in [-0.5/dim, 0.5/dim] as in the reference C tool,
    drawn with *independent* keys; b and b_tilde: (V,) zeros. The same key gives the
    same parameters, another key other ones. ``hidden=True`` runs the graders' other
    sizes and keys.
    """
    import jax

    name = fn_name(fn, "init_params")
    labels = ("W", "W_tilde", "b", "b_tilde")
    V, dim = (250, 40) if hidden else (400, 25)
    seeds = (7, 7, 8) if hidden else (0, 0, 1)
    results = []
    for seed in seeds:
        call = f"{name}(jax.random.PRNGKey({seed}), {V}, {dim})"
        out = call_student(fn, name, jax.random.PRNGKey(seed), V, dim, call=call, forbid=forbidden("check_init_params"))
        if not isinstance(out, (tuple, list)) or len(out) != 4:
            raise CheckFailed(f"`{call}` must return four arrays (W, W_tilde, b, b_tilde), got a {type(out).__name__}.")
        arrays = [as_array(a, f"{label} from `{call}`") for a, label in zip(out, labels)]
        for a, label, shape in zip(arrays, labels, ((V, dim), (V, dim), (V,), (V,))):
            if a.shape != shape:
                raise CheckFailed(f"`{call}`: {label} has shape {a.shape}; expected {shape}.")
        results.append(arrays)
    W, Wt, b, bt = results[0]
    call = f"{name}(jax.random.PRNGKey({seeds[0]}), {V}, {dim})"
    if np.array_equal(W, Wt):
        raise CheckFailed(
            f"`{call}`: W and W_tilde are identical, so you drew them with the same key. X is symmetric, so they "
            "would get the same gradients and stay equal for ever: give each its own key (split the key)."
        )
    if abs(np.corrcoef(W.ravel(), Wt.ravel())[0, 1]) > 0.2:
        raise CheckFailed(f"`{call}`: W and W_tilde are strongly correlated; draw them independently, from keys made by splitting the key.")
    if not all(np.array_equal(a, c) for a, c in zip(results[0], results[1])):
        raise CheckFailed(
            f"calling `{call}` twice gave different parameters: draw all random numbers from `key` "
            "(jax.random), not from numpy's or Python's global generator."
        )
    if np.array_equal(results[0][0], results[2][0]):
        raise CheckFailed(f"`{name}` gives the same W for PRNGKey({seeds[0]}) and PRNGKey({seeds[2]}): use the key you are given.")
    if np.any(b != 0) or np.any(bt != 0):
        raise CheckFailed(f"`{call}`: the biases b and b_tilde must start at zero.")
    bound = 0.5 / dim
    for a, label in ((W, "W"), (Wt, "W_tilde")):
        lo, hi = float(a.min()), float(a.max())
        if hi > 2 * bound:
            fix = "subtract 0.5 and divide by dim" if lo > -1e-6 else "divide by dim" if hi < 0.51 else "draw uniform values"
            raise CheckFailed(
                f"`{call}`: {label} lies in [{lo:.3f}, {hi:.3f}]; expected uniform values in [-0.5/dim, 0.5/dim] = "
                f"[{-bound:g}, {bound:g}]: {fix}."
            )
        if lo > -1e-6:
            raise CheckFailed(f"`{call}`: {label} has no negative values; expected uniform values in [-0.5/dim, 0.5/dim]: subtract 0.5 first.")
        if hi > bound * 1.001 or lo < -bound * 1.001:
            raise CheckFailed(f"`{call}`: {label} lies in [{fmt(lo)}, {fmt(hi)}]; expected uniform values in [-0.5/dim, 0.5/dim] = [{-bound:g}, {bound:g}].")
        if hi < 0.8 * bound or lo > -0.8 * bound or abs(float(a.std()) - bound / np.sqrt(3)) > 0.1 * bound:
            raise CheckFailed(f"`{call}`: {label} is not spread uniformly over [-0.5/dim, 0.5/dim] (std {fmt(a.std())}, expected about {fmt(bound / np.sqrt(3))}).")
    passed("check_init_params", fn, 6, hidden)


def _adagrad(param, grad, accum, lr, replace=False, before=False, sqrt=True, squares=True):
    new_accum = (0 if replace else accum) + (grad * grad if squares else np.abs(grad))
    scale = accum if before else new_accum
    denom = np.sqrt(scale) if sqrt else scale
    return param - lr * grad / denom, new_accum


def check_adagrad_step(fn: Callable[..., Any], *, hidden: bool = False) -> None:
    """Check ``fn(param, grad, accum, lr) -> (new_param, new_accum)``: one AdaGrad step.

    ``accum`` is the running sum of squared gradients (elementwise, same shape as param);
    the step adds grad^2 to it and moves param by -lr * grad / sqrt(new accum).
    ``hidden=True`` runs the graders' other cases.
    """
    name = fn_name(fn, "adagrad_step")
    rng = np.random.default_rng(1030 if hidden else 30)
    cases = []
    for shape in ((3, 2, 2), (1,), (7, 4)) if hidden else ((5,), (4, 3), (6, 2)):
        param, grad = rng.normal(0, 1, shape), rng.normal(0, 2, shape)
        accum = rng.uniform(1.0, 5.0, shape)
        cases.append((param, grad, accum, float(rng.choice([0.05, 0.2, 0.5]))))
    for param, grad, accum, lr in cases:
        call = f"{name}(param, grad, accum, lr={lr})"
        out = call_student(fn, name, param.copy(), grad.copy(), accum.copy(), lr, call=call,
                           forbid=forbidden("check_adagrad_step"))
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise CheckFailed(f"`{call}` must return two arrays (new_param, new_accum), got a {type(out).__name__}.")
        new_param, new_accum = (as_array(a, f"the result of `{call}`") for a in out)
        if new_param.shape != param.shape or new_accum.shape != accum.shape:
            raise CheckFailed(f"`{call}` returned shapes {new_param.shape} and {new_accum.shape}; expected {param.shape} for both.")
        want_param, want_accum = _adagrad(param, grad, accum, lr)
        if not close(new_accum, want_accum, rtol=1e-5):
            hint = first_matching_hint(new_accum, [
                (lambda: accum, "the sum of squared gradients did not change: add grad**2 to it and return the new sum."),
                (lambda: grad * grad, "add grad**2 to the running sum; do not replace the sum by it."),
                (lambda: accum + np.abs(grad), "the running sum is of squared gradients, not of their absolute values."),
            ], rtol=1e-5)
            raise CheckFailed(f"`{call}`: new_accum is wrong" + (f": {hint}" if hint else "."))
        if not close(new_param, want_param, rtol=1e-5):
            hint = first_matching_hint(new_param, [
                (lambda: _adagrad(param, grad, accum, lr, before=True)[0], "divide by the square root of the sum that already includes this step's grad**2."),
                (lambda: _adagrad(param, grad, accum, lr, sqrt=False)[0], "divide by the square root of the accumulated sum, not the sum itself."),
                (lambda: param + lr * grad / np.sqrt(want_accum), "step against the gradient (param - ...), not along it."),
                (lambda: param - lr * grad, "that is a plain gradient step: AdaGrad divides each component by sqrt(accumulated grad**2)."),
                (lambda: param - grad / np.sqrt(want_accum), "you forgot the learning rate."),
            ], rtol=1e-5)
            raise CheckFailed(f"`{call}`: new_param is wrong" + (f": {hint}" if hint else "."))
    passed("check_adagrad_step", fn, len(cases), hidden)
