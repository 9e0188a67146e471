"""A toy strategy, the one the library guide's "Extending" page shows.

The smallest class that follows the protocol of glove_lite.training.strategy: an
epoch is one optax step on the gradient of the whole loss (full-batch gradient
descent). Importing this module registers it; tests/test_guide.py does so, trains
with it and runs the contract suite of tests/test_training.py on it, then removes
it from the registry.
"""

from functools import partial

import jax
import numpy as np
import optax

from glove_lite.cooccur import cooc_matrix_to_arrays
from glove_lite.loss import glove_loss
from glove_lite.training.config import GloveParams
from glove_lite.training.optim import make_optimizer
from glove_lite.training.strategy import Part, Step, Strategy, register


@partial(jax.jit, static_argnames=("tx", "x_max", "alpha"))
def full_batch_epoch(params, opt_state, pairs, tx, x_max, alpha):
    """One optax step on the loss summed over all of X: (params, state, loss)."""
    loss, grads = jax.value_and_grad(glove_loss)(params, *pairs, x_max, alpha)
    updates, opt_state = tx.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss


@register
class FullBatch(Strategy):
    """Every non-zero of X in one step per epoch."""

    name = "full-batch"
    summary = "all of X in one step per epoch (a toy)"
    batch_size = 1  # not used: the one step takes every non-zero
    needs_symmetric = False  # a step on (i, j) moves w_i and w~_j: any X will do

    def __init__(self, X, config, plan):
        super().__init__(X, config, plan)
        i, j, x = cooc_matrix_to_arrays(X)
        self.pairs = (i, j, x.astype(np.float32))
        self.tx = make_optimizer(config.optimizer, plan.learning_rate,
                                 config.grad_clip)

    @property
    def optimizers(self):
        return (self.tx,)

    def state_from(self, params, opt_state):  # the state is what optax keeps
        return GloveParams(*params), opt_state

    def state_to(self, state):
        return state

    def epoch(self, state, key):  # the visiting order is fixed: key unused
        c = self.config
        params, opt_state, loss = full_batch_epoch(*state, self.pairs, self.tx,
                                                   c.x_max, c.alpha)
        return (params, opt_state), loss

    def steps(self, key):  # the same epoch as plain arithmetic, for the tests
        i, j, x = self.pairs
        everything = ("W", "b", "W_tilde", "b_tilde")
        yield Step(parts=(Part(i, j, x, moves=everything),), rows=(None,) * 4)
