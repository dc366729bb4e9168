"""Rows of the layout ops: flips and rotations, roll, repeat and tile, diagonals and
triangles, padding, moveaxis, atleast_*d and stacking."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import arrays, nonscalar, shapes

from op_cases.case import EMPTY, Case, Draw, along_axis, unary, zeros

matrices = hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4)


def _with_ints(shape_strategy: Any, *ints: tuple[int, int]) -> Draw:
    """x of a drawn shape, then one integer from each (lo, hi) range."""
    return lambda d: (d(arrays(d(shape_strategy))), *(d(st.integers(lo, hi)) for lo, hi in ints))


def _flip_args(draw: Any) -> tuple:
    shape = draw(nonscalar)
    return draw(arrays(shape)), draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))


def _tile_args(draw: Any) -> tuple:
    reps = tuple(draw(st.lists(st.integers(1, 2), min_size=1, max_size=3)))
    return draw(arrays(draw(shapes))), reps


def _diag_args(draw: Any) -> tuple:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))
    return draw(arrays(shape)), draw(st.integers(-2, 2))


def _pairs_of(draw: Any, ndim: int, values: st.SearchStrategy) -> Any:
    """NumPy's forms of per-axis (before, after) values: one value, one pair, a pair
    per axis."""
    form = draw(st.sampled_from(["one", "pair", "per axis"]))
    if form == "one":
        return draw(values)
    if form == "pair":
        return (draw(values), draw(values))
    return tuple((draw(values), draw(values)) for _ in range(ndim))


def _pad_args(draw: Any) -> tuple:
    shape = draw(nonscalar)
    width = _pairs_of(draw, len(shape), st.integers(0, 3))
    mode = draw(st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]))
    fill = None
    if mode == "constant" and draw(st.booleans()):
        fill = _pairs_of(draw, len(shape), st.floats(-5, 5).map(lambda v: round(v, 2)))
    return draw(arrays(shape)), width, mode, fill


def _np_pad(x: np.ndarray, width: Any, mode: str, fill: Any = None) -> np.ndarray:
    if fill is None:
        return np.pad(x, width, mode=mode)
    return np.pad(x, width, mode=mode, constant_values=fill)


def _moveaxis_args(draw: Any) -> tuple:
    shape = draw(nonscalar)
    axis = st.integers(-len(shape), len(shape) - 1)
    return draw(arrays(shape)), draw(axis), draw(axis)


def _stacked(draw: Any) -> tuple:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))
    return ([draw(arrays(shape)) for _ in range(2)],)


CASES: dict[str, Case] = {
    "flip": Case(_flip_args, np.flip),
    "flipud": Case(lambda d: (d(arrays(d(nonscalar))),), np.flipud),
    "fliplr": Case(lambda d: (d(arrays(d(matrices))),), np.fliplr),
    "rot90": Case(_with_ints(matrices, (-1, 3)), np.rot90),
    "roll": Case(along_axis(lambda d, s, a: d(st.integers(-5, 5))), np.roll, empty=(*EMPTY, 1, 0)),
    "repeat": Case(along_axis(lambda d, s, a: d(st.integers(0, 3))), np.repeat,
                   empty=(*EMPTY, 2, 0)),
    "tile": Case(_tile_args, np.tile, empty=(*EMPTY, (2,))),
    "diagonal": Case(_with_ints(matrices, (-2, 2)), np.diagonal),
    "trace": Case(_with_ints(matrices, (-2, 2)), np.trace),
    "diag": Case(_diag_args, np.diag),
    "tril": Case(_with_ints(matrices, (-2, 2)), np.tril),
    "triu": Case(_with_ints(matrices, (-2, 2)), np.triu),
    "pad": Case(_pad_args, _np_pad, empty=(*EMPTY, ((1, 2), (1, 1)), "constant", (4.0, 5.0))),
    "moveaxis": Case(_moveaxis_args, np.moveaxis, empty=(*EMPTY, 0, 1)),
    "atleast_1d": Case(unary(), np.atleast_1d),
    "atleast_2d": Case(unary(), np.atleast_2d),
    "atleast_3d": Case(unary(), np.atleast_3d),
    "vstack": Case(_stacked, np.vstack, empty=([zeros(0, 3), zeros(0, 3)],)),
    "hstack": Case(_stacked, np.hstack, empty=([zeros(0, 3), zeros(0, 3)],)),
}  # fmt: skip
