"""What a row of the op table is (:class:`Case`), and the input drawers that rows
of several families share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from strategies import arrays, broadcast_pairs, nonscalar, shapes

Draw = Callable[[Any], tuple]  # hypothesis draw -> the op's positional arguments


def zeros(*shape: int) -> np.ndarray:
    return np.zeros(shape)


# Zero-size arguments: a (0, 3) tensor unless the row says otherwise.
EMPTY = (zeros(0, 3),)
EMPTY2 = (zeros(0, 3), zeros(3))


@dataclass(frozen=True)
class Case:
    """How to test one op: ``draw(draw) -> args`` (float arrays become tensors; other
    values pass as they are), the NumPy reference ``ref(*args)``, and arguments with a
    zero-size dimension (``empty``) that must work as they do in NumPy and PyTorch."""

    draw: Draw
    ref: Callable[..., Any]
    keeps_float32: bool = True
    empty: tuple = EMPTY


def unary(values: Callable = arrays, *static: Any) -> Draw:
    return lambda draw: (draw(values(draw(shapes))), *static)


def binary(left: Callable = arrays, right: Callable = arrays) -> Draw:
    def drawer(draw: Any) -> tuple:
        sa, sb = draw(broadcast_pairs())
        return draw(left(sa)), draw(right(sb))

    return drawer


def reduction(values: Callable = arrays) -> Draw:
    def drawer(draw: Any) -> tuple:
        shape = draw(nonscalar)
        axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
        if draw(st.booleans()) and len(shape) > 1:
            axis = (0, len(shape) - 1)
        return draw(values(shape)), axis, draw(st.booleans())

    return drawer


def along_axis(*extra: Callable[[Any, tuple, int], Any]) -> Draw:
    """x (at least 1-d) and an axis of it, then ``extra(draw, shape, axis)`` values."""

    def drawer(draw: Any) -> tuple:
        shape = draw(nonscalar)
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        return draw(arrays(shape)), *(e(draw, shape, axis) for e in extra), axis

    return drawer


def inside(lo: float, hi: float) -> Draw:
    return unary(lambda s: arrays(s, lo, hi))
