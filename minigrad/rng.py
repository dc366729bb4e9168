"""The default random generator behind ``randn``, ``rand``, dropout and init."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["default_generator", "generator", "manual_seed"]

_generator = np.random.default_rng()

#: Told of every generator passed to minigrad's random functions, while
#: ``minigrad.compile`` captures a function (it watches the default one by its state).
watch: Callable[[np.random.Generator], Any] | None = None


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the default generator (for reproducible runs); returns it."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def default_generator() -> np.random.Generator:
    """The generator used when a function is not given one."""
    return _generator


def generator(given: np.random.Generator | None) -> np.random.Generator:
    """``given``, or the default generator when it is None: the generator a random
    function draws from."""
    if given is None:
        return _generator
    if watch is not None:
        watch(given)
    return given


def restore(gen: np.random.Generator, state: dict) -> None:
    """Make ``gen`` the default generator again, in ``state`` (a capture that drew
    random numbers puts the generator back before the function runs eagerly)."""
    global _generator
    _generator = gen
    gen.bit_generator.state = state
