"""Rows of the arithmetic ops: the four operations and powers, log-sum-exp of two numbers,
square and reciprocal, differences, evenly spaced values, lerp and addcmul."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import arrays, away_from_kinks, broadcast_pairs, nonscalar, positive_arrays

from op_cases.case import EMPTY2, Case, binary, unary, zeros


def lerp_args(draw: Any) -> tuple:
    """start, end and weight of shapes that broadcast together; the weight sometimes a
    Python number."""
    shape = draw(st.sampled_from([(3, 2), (2,), (3, 1), (), (1, 2)]))
    sa, sb = draw(broadcast_pairs())
    if draw(st.booleans()):
        return draw(arrays(sa)), draw(arrays(sb)), draw(st.floats(-1.5, 1.5))
    try:
        np.broadcast_shapes(sa, sb, shape)
    except ValueError:
        shape = ()
    return draw(arrays(sa)), draw(arrays(sb)), draw(arrays(shape))


def _np_lerp(s: np.ndarray, e: np.ndarray, w: Any) -> np.ndarray:
    return s + w * (e - s)


def addcmul_args(draw: Any) -> tuple:
    """input, tensor1 and tensor2 of three shapes that broadcast together (any of them
    may be the largest, or none alone)."""
    sh = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=4))
    return tuple(draw(arrays(s)) for s in sh.input_shapes)


def _np_addcmul(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    return a + b * c


def _divisors(shape: Any) -> Any:
    return away_from_kinks(shape, gap=0.3)


def _exponents(shape: Any) -> Any:
    return arrays(shape, -2.0, 2.0)


def _bases(shape: Any) -> Any:
    return positive_arrays(shape, 0.5, 2.0)


def _linspace_args(draw: Any) -> tuple:
    sa, sb = draw(broadcast_pairs(max_dims=2))
    return draw(arrays(sa)), draw(arrays(sb)), draw(st.integers(0, 5))


def _diff_args(draw: Any) -> tuple:
    shape = draw(nonscalar)
    return (
        draw(arrays(shape)),
        draw(st.integers(1, 2)),
        draw(st.integers(-len(shape), len(shape) - 1)),
    )


CASES: dict[str, Case] = {
    "add": Case(binary(), np.add, empty=EMPTY2),
    "sub": Case(binary(), np.subtract, empty=EMPTY2),
    "mul": Case(binary(), np.multiply, empty=EMPTY2),
    "div": Case(binary(arrays, _divisors), np.divide, empty=EMPTY2),
    "pow": Case(binary(_bases, _exponents), np.power, empty=EMPTY2),
    "logaddexp": Case(binary(), np.logaddexp, empty=EMPTY2),
    "logaddexp2": Case(binary(), np.logaddexp2, empty=EMPTY2),
    "square": Case(unary(), np.square),
    "reciprocal": Case(unary(lambda s: away_from_kinks(s, gap=0.03)), np.reciprocal),
    "diff": Case(_diff_args, np.diff),
    "linspace": Case(_linspace_args, np.linspace, empty=(zeros(0), zeros(0), 3)),
    "lerp": Case(lerp_args, _np_lerp, empty=(*EMPTY2, zeros(0, 1))),
    "addcmul": Case(addcmul_args, _np_addcmul, empty=(*EMPTY2, zeros(0, 1))),
}  # fmt: skip
