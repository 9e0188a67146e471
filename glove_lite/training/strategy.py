"""Strategies: the ways an epoch can visit X, behind one small protocol, and their registry.

A strategy is built for one X and config (it lays X out as its steps read it) and then:

* ``state_from(params, opt_state)``: its training state from parameters and the optax state of
  :func:`~glove_lite.training.optim.make_optimizer` for them (a fresh start is
  ``opt_state = tx.init(params)``);
* ``epoch(state, key)``: one compiled epoch, ``(new state, summed loss)``; the state may be
  donated (updated in place);
* ``params(state)``: the parameters, in vocabulary order;
* ``state_to(state)``: ``(params, opt_state)`` again, the form checkpoints store, so a
  checkpoint does not depend on how a strategy lays out its state.

Each also describes the steps of an epoch in plain terms (:meth:`Strategy.steps`: which
non-zeros each step reads and which parameters it moves), so one test checks every strategy
against plain optax steps over the same visiting order (``tests/training_reference.py``).

The driver (:mod:`glove_lite.training.driver`) knows nothing else about a strategy.
A new strategy is a class with these methods, decorated with :func:`register`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Iterator, NamedTuple

import jax
import numpy as np

from glove_lite.errors import GloveLiteError

if TYPE_CHECKING:  # only for annotations: the strategies import these modules, not the other way round
    import scipy.sparse as sp

    from glove_lite.training.config import GloveParams, TrainConfig
    from glove_lite.training.plan import Plan

__all__ = ["Strategy", "STRATEGIES", "register", "Step", "Part"]


class Part(NamedTuple):
    """Terms f(x)(w_i . w~_j + b_i + b~_j - log x)^2 of one step, for non-zeros (i, j, x) (each (n,)), times
    ``scale``, and the parameters whose gradient they give: ``moves``, a subset of ("W", "b", "W_tilde", "b_tilde")."""

    i: np.ndarray
    j: np.ndarray
    x: np.ndarray
    moves: tuple[str, ...]
    scale: float = 1.0


class Step(NamedTuple):
    """One optimizer step of an epoch, as plain arithmetic (see :meth:`Strategy.steps`).

    parts: its terms and what they move; the step's gradient is the sum of the parts'.
    rows: for each of W, W_tilde, b, b_tilde (GloveParams' order), the rows that step ((n,) ids, or
    None: every row; the others keep their parameters and optimizer state). tx: which optimizer (0: the strategy's
    main one, 1: its second, e.g. the hybrid corner's learning rate). count: whether the step
    advances the optimizer's step count (a schedule may count steps otherwise: a step with no parts
    and ``count`` True only advances it).
    """

    parts: tuple[Part, ...]
    rows: tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None, np.ndarray | None]
    tx: int = 0
    count: bool = True


class Strategy:
    """Base class of the strategies (see the module docstring). ``name``: the registry's key and the
    command's ``--method``; ``summary``: one line for help texts and the library guide."""

    name: ClassVar[str]
    summary: ClassVar[str]
    batch_size: ClassVar[int]  # the default: rows per block, non-zeros per chunk or batch
    needs_symmetric: ClassVar[bool] = True  # whether X must equal its transpose
    copies_x: ClassVar[bool] = False  # whether epochs read only the strategy's own copy of X (X may then be freed)

    def __init__(self, X: "sp.csr_matrix", config: "TrainConfig", plan: "Plan"):
        self.X, self.config, self.plan = X, config, plan

    @property
    def learning_rates(self) -> dict[str, float]:
        """The learning rates in use, by what they move (for messages), e.g. ``{"": 0.2}`` or
        ``{"corner tiles": 0.2, "sparse chunks": 0.5}``."""
        return {"": self.plan.learning_rate}

    @property
    def optimizers(self) -> tuple:
        """The optax transformations the steps use (``Step.tx`` indexes this)."""
        raise NotImplementedError

    def init_state(self, params: "GloveParams") -> Any:
        """The state of a fresh start from ``params``: ``state_from(params, tx.init(params))``."""
        return self.state_from(params, self.optimizers[0].init(params))

    def state_from(self, params: "GloveParams", opt_state: Any) -> Any:
        raise NotImplementedError

    def epoch(self, state: Any, key: jax.Array) -> tuple[Any, jax.Array]:
        raise NotImplementedError

    def params(self, state: Any) -> "GloveParams":
        return self.state_to(state)[0]

    def state_to(self, state: Any) -> tuple["GloveParams", Any]:
        raise NotImplementedError

    def steps(self, key: jax.Array) -> Iterator[Step]:
        """The epoch's steps for ``key``, in order, as plain arithmetic (for tests, on small X)."""
        raise NotImplementedError


STRATEGIES: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: add a strategy to :data:`STRATEGIES` under ``cls.name``."""
    if cls.name in STRATEGIES or cls.name == "auto":
        raise GloveLiteError(f"a strategy named {cls.name!r} is already registered")
    STRATEGIES[cls.name] = cls
    return cls
