"""The default random generator behind ``randn``, ``rand``, dropout and init."""

from __future__ import annotations

import numpy as np

__all__ = ["default_generator", "manual_seed"]

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the default generator (for reproducible runs); returns it."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The generator used when a function is not given one."""
    return _generator
