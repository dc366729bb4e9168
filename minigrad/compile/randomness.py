"""The random number generators a capture watches: a draw inside the function makes a
constant of the program that eager code would draw anew at every call, so a capture
that saw one runs the function eagerly instead (``errors.Fallback``), after putting the
generators back, so that the eager run draws what eager code would.

- :class:`RandomState`: minigrad's default generator, NumPy's global state and Python's
  ``random``;
- :class:`GeneratorState`: the generators passed to minigrad's random functions
  (``rng.watch``);
- :class:`NumpyGenerators`: NumPy and Python generators the function reaches from
  outside (a name it reads, an argument, a module's attribute).
"""

from __future__ import annotations

import random
import threading
from typing import Any

import numpy as np

from .. import rng
from ..nn import Module
from .errors import where

__all__ = ["GeneratorState", "NumpyGenerators", "RandomState"]


class RandomState:
    """Whether randomness was drawn between two points: minigrad's default generator
    (a new one from ``manual_seed`` counts), NumPy's global state and Python's
    (``random.random()`` deciding a branch: teacher forcing); :meth:`restore` puts them
    back as they were."""

    def __init__(self) -> None:
        self.gen = rng.default_generator()
        self.state = self.gen.bit_generator.state
        self.np_state = np.random.get_state()  # noqa: NPY002  (the global state is what we watch)
        self.py_state = random.getstate()

    def changed(self) -> bool:
        gen = rng.default_generator()
        if gen is not self.gen or gen.bit_generator.state != self.state:
            return True
        if random.getstate() != self.py_state:
            return True
        now = np.random.get_state()  # noqa: NPY002
        # the key array and the position in it: a small draw moves the position only
        return not np.array_equal(now[1], self.np_state[1]) or now[2:] != self.np_state[2:]

    def restore(self) -> None:
        rng.restore(self.gen, self.state)
        np.random.set_state(self.np_state)  # noqa: NPY002
        random.setstate(self.py_state)


class NumpyGenerators:
    """The states of the NumPy generators a function reaches from outside (``rng`` in
    ``rng.normal(...)``: a name it reads, an argument, a module's attribute, one level
    into tuples, lists and dicts): a draw from one makes a constant of the program that
    eager code would draw anew at every call. :meth:`changed` tells whether any was
    drawn from; :meth:`restore` puts them back."""

    def __init__(self, roots: Any) -> None:
        self.states: list[tuple[Any, Any]] = []
        seen: set[int] = set()
        stack = [(r, 0) for r in roots]
        while stack:
            x, depth = stack.pop()
            if id(x) in seen:
                continue
            seen.add(id(x))
            if isinstance(x, np.random.Generator):
                self.states.append((x, x.bit_generator.state))
            elif isinstance(x, np.random.RandomState):
                self.states.append((x, x.get_state()))
            elif isinstance(x, random.Random) and not isinstance(x, random.SystemRandom):
                self.states.append((x, x.getstate()))  # (the system's has no state)
            elif depth < 4 and isinstance(x, (tuple, list)) and len(x) <= 64:
                stack.extend((v, depth + 1) for v in x)
            elif depth < 4 and isinstance(x, dict) and len(x) <= 64:
                stack.extend((v, depth + 1) for v in x.values())
            elif depth < 4 and isinstance(x, Module):
                stack.extend((v, depth + 1) for v in vars(x).values())

    def _now(self, gen: Any) -> Any:
        if isinstance(gen, np.random.Generator):
            return gen.bit_generator.state
        return gen.getstate() if isinstance(gen, random.Random) else gen.get_state()

    def changed(self) -> bool:
        return any(not _same_state(self._now(g), s) for g, s in self.states)

    def restore(self) -> None:
        for g, s in self.states:
            if isinstance(g, np.random.Generator):
                g.bit_generator.state = s
            elif isinstance(g, random.Random):
                g.setstate(s)
            else:
                g.set_state(s)


def _same_state(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_state(a[k], b[k]) for k in a)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same_state(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return a == b


class GeneratorState:
    """The states of the generators passed to minigrad's random functions during a
    capture (``rng.watch``), to put back before the function runs eagerly."""

    def __init__(self) -> None:
        self.seen: list[tuple[Any, Any]] = []
        self.first = ""  # where the first draw was made
        self.thread = threading.get_ident()

    def saw(self, gen: np.random.Generator) -> None:
        if threading.get_ident() != self.thread:
            return  # another thread's draw, not the function's
        if not self.seen:
            self.first = where()
        if all(g is not gen for g, _ in self.seen):
            self.seen.append((gen, gen.bit_generator.state))

    def restore(self) -> None:
        for gen, state in self.seen:
            gen.bit_generator.state = state
