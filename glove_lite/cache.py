"""The disk cache folder shared by the stages that cache (tokens, trained vectors)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["cache_dir"]



def cache_dir() -> Path:
    """The cache folder, ``$GLOVE_LITE_CACHE`` or ``~/.cache/glove-lite`` (created on first use)."""
    path = Path(os.environ.get("GLOVE_LITE_CACHE") or Path.home() / ".cache" / "glove-lite")
    path.mkdir(parents=True, exist_ok=True)
    return path
