"""glove-lite: GloVe word vectors in JAX, one module per pipeline stage.

corpus -> preprocess -> cooccur -> loss -> train -> vectors; ``plotting``,
``evaluate`` and ``cli`` sit on top.
"""

__version__ = "0.1.0"

from glove_lite.errors import GloveLiteError, UnknownWordError

__all__ = ["__version__", "GloveLiteError", "UnknownWordError"]
