"""Self-checks for chapter 3 (the loss): the weighting function, the loss and its gradient."""

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


def _f(x: np.ndarray, xmax: float = 100.0, alpha: float = 0.75) -> np.ndarray:
    return np.where(x < xmax, (np.asarray(x, dtype=np.float64) / xmax) ** alpha, 1.0)


def check_weighting_fn(fn: Callable[..., Any], *, hidden: bool = False, points: float | None = None) -> float | None:
    """Check ``fn(x, xmax=100, alpha=0.75)``: (x / xmax)^alpha below xmax, 1 from xmax on, elementwise.

    Three parts: the default xmax and alpha, the xmax and alpha passed in, and JAX arrays.
    ``hidden=True`` runs the graders' other cases (other values and settings, a 2-D
    array); ``points`` grades (see :func:`run_parts`).
    """
    name = fn_name(fn, "weighting_fn")
    forbid = forbidden("check_weighting_fn")
    if hidden:
        x = np.array([[0.0, 0.25, 2.0, 7.5], [19.99, 20.0, 64.0, 1e6]])
        settings = [({}, 100.0, 0.75), ({"xmax": 20.0, "alpha": 0.25}, 20.0, 0.25),
                    ({"xmax": 1.0, "alpha": 2.0}, 1.0, 2.0)]
    else:
        x = np.array([0.0, 0.5, 1.0, 3.0, 10.0, 42.0, 99.0, 100.0, 150.0, 1e4])
        settings = [({}, 100.0, 0.75), ({"xmax": 10.0, "alpha": 0.5}, 10.0, 0.5), ({"xmax": 50.0, "alpha": 1.0}, 50.0, 1.0)]

    def run(chosen: list) -> int:
        for kwargs, xmax, alpha in chosen:
            args = ", ".join(f"{k}={v:g}" for k, v in kwargs.items())
            call = f"{name}(x{', ' + args if args else ''})"
            got = as_array(call_student(fn, name, x.copy(), call=call, forbid=forbid, **kwargs), f"the result of `{call}`")
            want = _f(x, xmax, alpha)
            if got.shape != x.shape:
                raise CheckFailed(
                    f"`{call}` returned shape {got.shape} for x of shape {x.shape}: f works elementwise, one value per x."
                )
            if close(got, want, rtol=1e-5, atol=1e-7):
                continue
            where = f"`{call}` with x = {fmt(x)}"
            if abs(float(got.flat[0])) > 1e-7:
                raise CheckFailed(f"{where}: f(0) = {fmt(got.flat[0])}; f(0) must be 0, so pairs that never co-occur cost nothing.")
            hint = first_matching_hint(got, [
                (lambda: _f(x), "you ignore the xmax and alpha arguments: use the values passed in, not the defaults."),
                (lambda: (x / xmax) ** alpha, "above xmax f must stay at 1 (f(150) = 1 for xmax=100): you forgot the cap."),
                (lambda: _f(x, xmax, 1.0), "you forgot the exponent alpha."),
                (lambda: np.where(x < xmax, (x / xmax) ** (1 / alpha), 1.0), "the exponent is alpha, not 1/alpha."),
                (lambda: np.where(x < xmax, x / xmax * alpha, 1.0), "alpha is an exponent, not a factor."),
                (lambda: np.where(x > 0, np.minimum((xmax / np.maximum(x, 1e-300)) ** alpha, 1.0), 0.0), "the ratio is x / xmax, not xmax / x."),
            ], rtol=1e-5)
            if hint:
                raise CheckFailed(f"{where}: {hint}")
            k = int(np.argmax(np.abs(got - want)))
            raise CheckFailed(f"{where}: f({x.flat[k]:g}) = {fmt(got.flat[k])}, expected {fmt(want.flat[k])}.")
        return len(chosen)

    def jax_arrays() -> int:
        import jax.numpy as jnp

        call = f"{name}(jnp.array(x))"
        got = as_array(call_student(fn, name, jnp.asarray(x, dtype=jnp.float32), call=call, forbid=forbid),
                       f"the result of `{call}`")
        if got.shape != x.shape or not close(got, _f(x), rtol=1e-4, atol=1e-6):
            raise CheckFailed(f"`{call}` gives other values for a JAX array than for a numpy array: use jnp functions.")
        return 1

    defaults = "f with the default xmax and alpha"
    return run_parts("check_weighting_fn", fn, [
        Part(defaults, lambda: run(settings[:1])),
        Part("f with the xmax and alpha passed in", lambda: run(settings[1:])),
        Part("JAX arrays", jax_arrays, after=defaults),
    ], hidden, points)


# --------------------------------------------------------------------------- the loss


def _loss_case(seed: int, repeats: bool, V: int = 7, d: int = 3, n: int = 12):
    rng = np.random.default_rng(seed)
    W, Wt = rng.normal(0, 0.5, (V, d)), rng.normal(0, 0.5, (V, d))
    b, bt = rng.normal(0, 0.5, V), rng.normal(0, 0.5, V)
    if repeats:
        i, j = rng.integers(0, V, n), rng.integers(0, V, n)
    else:  # each word at most once on each side, and i != j
        i = rng.permutation(V)[:6]
        j = np.roll(i, 1)
    x = np.exp(rng.uniform(np.log(0.3), np.log(400), i.size))  # some above xmax = 100
    return (W, Wt, b, bt), i.astype(np.int32), j.astype(np.int32), x


def _loss_np(params, i, j, x, weight=True, log=True, bias=(True, True), W_for_context=False, swap_bias=False):
    W, Wt, b, bt = (np.asarray(p, dtype=np.float64) for p in params)
    ctx = W if W_for_context else Wt
    pred = np.sum(W[i] * ctx[j], axis=-1)
    bi, bj = (b[j], bt[i]) if swap_bias else (b[i], bt[j])
    pred = pred + (bi if bias[0] else 0) + (bj if bias[1] else 0)
    target = np.log(x) if log else x
    f = _f(x) if weight else 1.0
    return f * (pred - target) ** 2


def _jax_params(params):
    import jax.numpy as jnp

    return tuple(jnp.asarray(p, dtype=jnp.float32) for p in params)


def _loss_sizes(hidden: bool) -> dict[str, int]:
    return {"V": 11, "d": 5, "n": 30} if hidden else {}


def _loss_call(fn: Callable, name: str, params, i, j, x, call: str):
    import jax.numpy as jnp

    return call_student(fn, name, _jax_params(params), jnp.asarray(i), jnp.asarray(j), jnp.asarray(x, dtype=jnp.float32),
                        call=call, forbid=forbidden("check_glove_loss"))


def _right_pair_by_pair(fn: Callable, name: str, params, i, j, x) -> bool:
    """Whether ``fn`` gives each pair's own term right when called on a batch of one pair."""
    terms = _loss_np(params, i, j, x)
    for k in range(min(3, i.size)):
        try:
            one = as_array(_loss_call(fn, name, params, i[k : k + 1], j[k : k + 1], x[k : k + 1], ""), "")
        except CheckFailed:
            return False
        if one.size != 1 or not close(one.reshape(()), terms[k], rtol=1e-4):
            return False
    return True


def check_glove_loss(fn: Callable[..., Any], *, hidden: bool = False, points: float | None = None) -> float | None:
    """Check ``fn(params, cooc_i, cooc_j, X_ij) -> loss``.

    params = (W, W_tilde, b, b_tilde); the loss is the sum over the batch of
    f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2 with the default f (xmax=100, alpha=0.75),
    a scalar that ``jax.grad`` can differentiate. Two parts: the value, and its gradient by
    ``jax.grad``. ``hidden=True`` runs the graders' other cases (other sizes and seeds);
    ``points`` grades (see :func:`run_parts`).
    """
    name = fn_name(fn, "glove_loss")
    seeds = [(1010, False), (1011, True), (1012, True)] if hidden else [(10, False), (11, True), (12, True)]
    call = f"{name}(params, cooc_i, cooc_j, X_ij)"

    def value() -> int:
        for seed, repeats in seeds:
            params, i, j, x = _loss_case(seed, repeats, **_loss_sizes(hidden))
            got = as_array(_loss_call(fn, name, params, i, j, x, call), f"the result of `{call}`")
            terms = _loss_np(params, i, j, x)
            want = terms.sum()
            if got.shape == terms.shape and close(got, terms, rtol=1e-4):
                raise CheckFailed(f"`{call}` returned one value per pair (shape {got.shape}); the loss is their sum, a scalar.")
            if got.size != 1:
                raise CheckFailed(f"`{call}` returned shape {got.shape}; expected a scalar (the sum over the batch).")
            got = got.reshape(())
            if close(got, want, rtol=1e-4):
                continue
            hint = first_matching_hint(got, [
                (lambda: want / i.size, "you averaged over the batch; GloVe's loss is the sum (the mean changes the scale of every step)."),
                (lambda: _loss_np(params, i, j, x, weight=False).sum(), "you forgot the weighting f(X_ij)."),
                (lambda: _loss_np(params, i, j, x, log=False).sum(), "the target is log X_ij, not X_ij."),
                (lambda: _loss_np(params, i, j, x, bias=(False, False)).sum(), "you forgot the biases b_i and b~_j."),
                (lambda: _loss_np(params, i, j, x, bias=(True, False)).sum(), "you forgot the context bias b~_j."),
                (lambda: _loss_np(params, i, j, x, bias=(False, True)).sum(), "you forgot the word bias b_i."),
                (lambda: _loss_np(params, i, j, x, swap_bias=True).sum(), "the biases are swapped: the word's bias is b[cooc_i], the context's b_tilde[cooc_j]."),
                (lambda: _loss_np(params, i, j, x, W_for_context=True).sum(), "the context vector is W_tilde[cooc_j], not W[cooc_j]."),
                (lambda: 0.5 * want, "your loss is half the expected one: no factor 1/2 here."),
                (lambda: 2 * want, "your loss is twice the expected one."),
            ], rtol=1e-4)
            if hint is None and _right_pair_by_pair(fn, name, params, i, j, x):
                hint = ("it is right for a batch of one pair but not for several, so the pairs mix. "
                        "`W[cooc_i] @ W_tilde[cooc_j].T` is the (n, n) matrix of every word of the batch with every "
                        "context; the loss needs only the n dot products of the pairs, "
                        "`jnp.sum(W[cooc_i] * W_tilde[cooc_j], axis=1)`.")
            raise CheckFailed(f"`{call}` = {fmt(got)}, expected {fmt(want)}" + (f": {hint}" if hint else "."))
        return len(seeds)

    def gradient() -> int:
        import jax
        import jax.numpy as jnp

        from glove_lite.loss import glove_loss

        seed, repeats = seeds[-1]  # the gradient test (compiles JAX code) runs on one case
        params, i, j, x = _loss_case(seed, repeats, **_loss_sizes(hidden))
        jparams = _jax_params(params)
        args = (jnp.asarray(i), jnp.asarray(j), jnp.asarray(x, dtype=jnp.float32))
        try:
            grads = jax.grad(lambda p: jnp.sum(jnp.asarray(fn(p, *args))))(jparams)
        except Exception as exc:  # numpy inside, float(), Python control flow on traced values...
            raise CheckFailed(
                f"`{call}` gives the right value, but jax.grad cannot differentiate it ({type(exc).__name__}): "
                "use jax.numpy operations throughout (no np.asarray, float() or Python `if` on arrays)."
            ) from None
        want_grads = jax.grad(glove_loss)(jparams, *args)
        for label, g, w in zip(("W", "W_tilde", "b", "b_tilde"), grads, want_grads):
            if not close(np.asarray(g), np.asarray(w), rtol=1e-3, atol=1e-5):
                raise CheckFailed(f"`{call}` has the right value, but its gradient with respect to {label} is wrong.")
        return 1

    loss_value = "the value of the loss"
    return run_parts("check_glove_loss", fn, [
        Part(loss_value, value, weight=3),
        Part("jax.grad can differentiate it", gradient, after=loss_value),
    ], hidden, points)


def _grads_np(params, i, j, x, factor=2.0, weight=True, accumulate=True):
    W, Wt, b, bt = (np.asarray(p, dtype=np.float64) for p in params)
    resid = np.sum(W[i] * Wt[j], axis=-1) + b[i] + bt[j] - np.log(x)
    g = factor * (_f(x) if weight else 1.0) * resid
    dW, dWt, db, dbt = np.zeros_like(W), np.zeros_like(Wt), np.zeros_like(b), np.zeros_like(bt)
    if accumulate:
        np.add.at(dW, i, g[:, None] * Wt[j])
        np.add.at(dWt, j, g[:, None] * W[i])
        np.add.at(db, i, g)
        np.add.at(dbt, j, g)
    else:  # numpy's buffered `a[idx] += v` keeps one of several updates to the same row
        dW[i] += g[:, None] * Wt[j]
        dWt[j] += g[:, None] * W[i]
        db[i] += g
        dbt[j] += g
    return dW, dWt, db, dbt


def check_glove_grads(fn: Callable[..., Any], *, hidden: bool = False, points: float | None = None) -> float | None:
    """Check ``fn(params, cooc_i, cooc_j, X_ij) -> (dW, dW_tilde, db, db_tilde)``.

    The gradients of the summed GloVe loss (the one of :func:`check_glove_loss`), derived
    by hand (``jax.grad`` is rejected), with the shapes of the parameters. Four parts, one
    per gradient. ``hidden=True`` runs the graders' other cases; ``points`` grades (see
    :func:`run_parts`).
    """
    name = fn_name(fn, "glove_grads")
    labels = ("dW", "dW_tilde", "db", "db_tilde")
    seeds = [(1020, False), (1021, True), (1022, True)] if hidden else [(20, False), (21, True), (22, True)]
    call = f"{name}(params, cooc_i, cooc_j, X_ij)"
    cases = [_loss_case(seed, repeats, **_loss_sizes(hidden)) for seed, repeats in seeds]

    def answer(n: int) -> list[np.ndarray]:
        params, i, j, x = cases[n]
        out = call_student(fn, name, tuple(np.array(p) for p in params), i.copy(), j.copy(), x.copy(), call=call,
                           forbid=forbidden("check_glove_grads"))
        if not isinstance(out, (tuple, list)) or len(out) != 4:
            raise CheckFailed(f"`{call}` must return four arrays (dW, dW_tilde, db, db_tilde), got a {type(out).__name__}.")
        return [as_array(g, f"{label} from `{call}`") for g, label in zip(out, labels)]

    answers = remembered(answer)

    def gradient(k: int) -> int:
        label = labels[k]
        for n, (params, i, j, x) in enumerate(cases):
            got = answers(n)
            if got[k].shape != params[k].shape:
                raise CheckFailed(f"`{call}`: {label} has shape {got[k].shape}; expected the shape of the parameter, {params[k].shape}.")
            want = _grads_np(params, i, j, x)
            if close(got[k], want[k], rtol=1e-4, atol=1e-8):
                continue
            if close(got[k], want[k ^ 1], rtol=1e-4, atol=1e-8) and not close(want[k], want[k ^ 1], rtol=1e-4):
                raise CheckFailed(f"`{call}`: {label} holds the gradient of {labels[k ^ 1]}: they are swapped.")
            hint = first_matching_hint(got[k], [
                (lambda: 0.5 * want[k], "it is half the right gradient: the derivative of r^2 is 2 r."),
                (lambda: -want[k], "it has the wrong sign: the residual is prediction - log X_ij, and the gradient points uphill."),
                (lambda: _grads_np(params, i, j, x, weight=False)[k], "you forgot the weights f(X_ij)."),
                (lambda: _grads_np(params, i, j, x, accumulate=False)[k], "a word that appears in several pairs of the batch must get the sum of their gradients; `a[idx] += v` in numpy keeps only one of them when idx repeats (use np.add.at)."),
            ], rtol=1e-4)
            raise CheckFailed(f"`{call}`: {label} is wrong" + (f": {hint}" if hint else f" (largest error {fmt(np.max(np.abs(got[k] - want[k])))})."))
        return len(cases)

    return run_parts("check_glove_grads", fn, [
        Part(f"{label} (the gradient with respect to {label[1:]})", lambda k=k: gradient(k)) for k, label in enumerate(labels)
    ], hidden, points)
