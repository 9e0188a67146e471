"""Training GloVe: one driver, several ways to visit X.

* :mod:`~glove_lite.training.config`: :class:`GloveParams`, :class:`TrainConfig`, :class:`TrainResult`,
  :func:`init_params`;
* :mod:`~glove_lite.training.driver`: :func:`train_glove`, the one training loop;
* :mod:`~glove_lite.training.optim`: the optimizers (optax), whole or row by row;
* :mod:`~glove_lite.training.plan`: which strategy, with what settings, at what cost;
* :mod:`~glove_lite.training.strategy`: the protocol a strategy follows and the registry
  :data:`STRATEGIES`; the strategies: :mod:`~glove_lite.training.dense` (blocks of whole rows by matrix
  products), :mod:`~glove_lite.training.sparse` (chunks that touch only their rows),
  :mod:`~glove_lite.training.hybrid` (a dense corner and sparse chunks), :mod:`~glove_lite.training.tiled`
  (tiles over several devices), :mod:`~glove_lite.training.pairs` (the paper's shuffled pairs);
* :mod:`~glove_lite.training.checkpoint`: checkpoints, written atomically.
"""

from glove_lite.training.config import EpochCallback, GloveParams, TrainConfig, TrainResult, init_params
from glove_lite.training.strategy import STRATEGIES, Strategy, register
from glove_lite.training import dense, hybrid, pairs, sparse, tiled  # noqa: F401  (each registers its strategy)
from glove_lite.training.optim import OPTIMIZERS, make_optimizer
from glove_lite.training.driver import train_glove
from glove_lite.training.plan import Plan, make_plan

__all__ = ["GloveParams", "TrainConfig", "TrainResult", "EpochCallback", "init_params", "train_glove", "STRATEGIES",
           "Strategy", "register", "OPTIMIZERS", "make_optimizer", "Plan", "make_plan"]
