"""The optimizers: optax transformations, applied to whole parameters or to the rows a step touches.

Every strategy steps with the optax transformation :func:`make_optimizer` builds (gradient
clipping, as the C tool clips, then the optimizer named in the config). Dense strategies apply
it to the whole :class:`~glove_lite.training.config.GloveParams`. Sparse strategies keep the
parameters of a word and their optimizer state side by side in one row of a table and apply the
same transformation to the rows a step reads (:class:`RowOptimizer`); rows the step does not
touch keep their parameters and state ("lazy": for AdaGrad, whose update is zero where the
gradient is, this equals the dense step exactly; for Adam it is LazyAdam). That needs an
optimizer that works element by element, with no state but per-element arrays and scalars
(a step count): every entry of :data:`OPTIMIZERS` does.

Adding an optimizer is one line in :data:`OPTIMIZERS`: a function of the learning rate that
returns an optax transformation, and the default learning rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

from glove_lite.errors import GloveLiteError

__all__ = ["OPTIMIZERS", "OptimizerSpec", "make_optimizer", "RowOptimizer", "row_optimizer"]


class OptimizerSpec(NamedTuple):
    """An optimizer: ``make(learning_rate)`` gives its optax transformation; ``learning_rate`` is its default."""

    make: Callable[[float], optax.GradientTransformation]
    learning_rate: float


OPTIMIZERS: dict[str, OptimizerSpec] = {
    # The paper's. The C tool starts the squared-gradient sums at 1, which damps the first steps.
    "adagrad": OptimizerSpec(lambda lr: optax.adagrad(lr, initial_accumulator_value=1.0, eps=1e-8), 0.2),
    # The C tool's AdaGrad: its rate eta scales the gradient of 0.5 f e^2 before it is squared into sums that
    # start at 1, so its step is g / sqrt((2 / eta)^2 + sum of earlier g^2) for our gradient g of f e^2:
    # optax's AdaGrad at rate 1 with sums starting at (2 / eta)^2 (1,600 at the C tool's 0.05).
    "adagrad-c": OptimizerSpec(lambda lr: optax.adagrad(1.0, initial_accumulator_value=(2.0 / lr) ** 2, eps=1e-8),
                               0.05),
    "adam": OptimizerSpec(optax.adam, 0.01),
    "adamw": OptimizerSpec(lambda lr: optax.adamw(lr, weight_decay=1e-4), 0.01),
    "yogi": OptimizerSpec(optax.yogi, 0.01),
}


@lru_cache(maxsize=64)
def make_optimizer(
    name: str, learning_rate: float, grad_clip: float | None
) -> optax.GradientTransformation:
    """Element-wise gradient clipping (when ``grad_clip`` is set), then the optimizer
    ``name`` at ``learning_rate``.

    Cached: jitted epochs take the transformation as a static argument, so equal
    settings must give the same object for later runs to reuse the compiled epoch.
    """
    if name not in OPTIMIZERS:
        raise GloveLiteError(
            f"optimizer={name!r}; expected one of {', '.join(map(repr, OPTIMIZERS))}"
        )
    opt = OPTIMIZERS[name].make(learning_rate)
    return opt if grad_clip is None else optax.chain(optax.clip(grad_clip), opt)


@dataclass(frozen=True)
class RowOptimizer:
    """``tx`` applied to table rows of width ``w`` * (1 + k): the parameters (w columns), then each of the
    k per-element arrays of tx's state (w columns each). tx's scalar state (Adam's step count) is kept
    apart, one value for the whole table: :meth:`step` returns it advanced by one step.

    Hashable (a static argument of the jitted epochs); build it with :func:`row_optimizer`.
    """

    tx: optax.GradientTransformation
    w: int

    @property
    def _layout(self) -> tuple[Any, tuple[bool, ...]]:
        return _state_layout(self.tx, self.w)

    @property
    def k(self) -> int:
        """How many per-element state arrays a row holds."""
        return sum(self._layout[1])

    @property
    def width(self) -> int:
        """Columns of a table row: w (parameters) + k w (state)."""
        return self.w * (1 + self.k)

    def init(self, params: jax.Array) -> tuple[jax.Array, tuple]:
        """The table (n, width) for parameter rows ``params`` (n, w), and the scalar state, as tx would start."""
        leaves = jax.tree_util.tree_leaves(self.tx.init(params))
        per_row, _ = self._split(leaves)
        return jnp.concatenate([params, *per_row], axis=1), self._scalars(leaves)

    def step(self, rows: jax.Array, grad: jax.Array, scalars: tuple, touched: jax.Array | None = None):
        """One step of tx on table rows (n, width) with gradient (n, w): ``(new rows, new scalars)``.

        Rows with ``touched`` False (n,) keep their parameters and state; None: every row steps.
        """
        w = self.w
        treedef, kinds = self._layout
        it_rows = iter(rows[:, (m + 1) * w:(m + 2) * w] for m in range(self.k))
        it_scalars = iter(scalars)
        leaves = [next(it_rows) if per_row else next(it_scalars) for per_row in kinds]
        params = rows[:, :w]
        updates, state = self.tx.update(grad, jax.tree_util.tree_unflatten(treedef, leaves), params)
        new_leaves = jax.tree_util.tree_leaves(state)
        per_row, _ = self._split(new_leaves)
        new = jnp.concatenate([optax.apply_updates(params, updates), *per_row], axis=1)
        if touched is not None:
            new = jnp.where(touched[:, None], new, rows)
        return new, self._scalars(new_leaves)

    def tick(self, scalars: tuple) -> tuple:
        """The scalar state after one more step (a step on no rows): for schedules that count steps otherwise."""
        empty = jnp.zeros((0, self.width), jnp.float32)
        return self.step(empty, jnp.zeros((0, self.w), jnp.float32), scalars)[1]

    def _split(self, leaves: list) -> tuple[list, list]:
        kinds = self._layout[1]
        return [a for a, r in zip(leaves, kinds) if r], [a for a, r in zip(leaves, kinds) if not r]

    def _scalars(self, leaves: list) -> tuple:
        return tuple(self._split(leaves)[1])

    # ---- the whole-parameter view (checkpoints): tx's state for GloveParams-shaped parameters

    def full_state(self, per_row: list, scalars: tuple) -> Any:
        """tx's state for parameters of any pytree shape, from per-element arrays shaped like them
        (``per_row``: one pytree per state array, in order) and the scalars: what ``tx.init`` would hold."""
        treedef, kinds = self._layout
        it_rows, it_scalars = iter(per_row), iter(scalars)
        return jax.tree_util.tree_unflatten(treedef, [next(it_rows) if r else next(it_scalars) for r in kinds])

    def split_full_state(self, state: Any, like: Any) -> tuple[list, tuple]:
        """The inverse of :meth:`full_state`: (per-element pytrees shaped like ``like``, scalars)."""
        is_params = lambda x: jax.tree_util.tree_structure(x) == jax.tree_util.tree_structure(like)  # noqa: E731
        parts = jax.tree_util.tree_leaves(state, is_leaf=is_params)
        kinds = self._layout[1]
        if len(parts) != len(kinds):
            raise GloveLiteError(f"optimizer state with {len(parts)} parts; expected {len(kinds)} for this optimizer")
        return [p for p, r in zip(parts, kinds) if r], tuple(p for p, r in zip(parts, kinds) if not r)


@lru_cache(maxsize=64)
def _state_layout(tx: optax.GradientTransformation, w: int) -> tuple[Any, tuple[bool, ...]]:
    """tx's state for one (1, w) parameter array: its tree structure and, per leaf, whether it is per-element
    (shape (1, w)) or a scalar. Anything else is not an element-wise optimizer: GloveLiteError."""
    shapes = jax.eval_shape(tx.init, jax.ShapeDtypeStruct((1, w), jnp.float32))
    leaves, treedef = jax.tree_util.tree_flatten(shapes)
    kinds = []
    for leaf in leaves:
        if leaf.shape == (1, w):
            kinds.append(True)
        elif leaf.shape == ():
            kinds.append(False)
        else:
            raise GloveLiteError(f"optimizer state holds an array of shape {leaf.shape}; row-wise updates need an "
                                 "element-wise optimizer (per-element arrays and scalars only)")
    return treedef, tuple(kinds)


@lru_cache(maxsize=64)
def row_optimizer(name: str, learning_rate: float, grad_clip: float | None, w: int) -> RowOptimizer:
    """The cached :class:`RowOptimizer` of :func:`make_optimizer`'s transformation for rows of width w."""
    return RowOptimizer(make_optimizer(name, learning_rate, grad_clip), w)
