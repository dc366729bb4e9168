"""Rows of the indexing ops: getitem, scatter (its adjoint) and take; ``INDICES`` are the
index forms both are drawn from."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from strategies import arrays

from op_cases.case import Case, zeros

INDICES = [
    (slice(1, 3),),
    (slice(None, None, -1),),
    1,
    (-1, slice(None, 2)),
    (Ellipsis, 0),
    (None, slice(1, None)),
    np.array([0, 2, 0, 0]),  # repeats accumulate
    [1, 1],
    (np.array([[0, 1], [1, 0]]), slice(None)),
    (np.array([0, 1, 1]), np.array([2, 0, 2])),  # repeated pairs
]


def _index_args(draw: Any) -> tuple:
    return draw(arrays((3, 4))), draw(st.sampled_from(INDICES))


def _np_getitem(x: np.ndarray, index: Any) -> np.ndarray:
    return x[index]


def _lookup(draw: Any) -> tuple:
    """A (5, 3) table, repeated ids, and the axis to gather along."""
    return draw(arrays((5, 3))), np.array([[0, 2], [2, 2]]), draw(st.sampled_from([0, 1]))


def _scatter_args(draw: Any) -> tuple:
    """One or two sets of values for positions that indices of INDICES pick in a (3, 4)
    array (pieces may overlap: they add up)."""
    indices = [draw(st.sampled_from(INDICES)) for _ in range(draw(st.integers(1, 2)))]
    return [draw(arrays(np.zeros((3, 4))[i].shape)) for i in indices], indices, (3, 4)


def _np_scatter(values: list, indices: list, shape: tuple) -> np.ndarray:
    out = np.zeros(shape)
    for v, i in zip(values, indices, strict=True):
        np.add.at(out, i, v)
    return out


CASES: dict[str, Case] = {
    "getitem": Case(_index_args, _np_getitem, empty=(zeros(3, 4), np.zeros(0, int))),
    "scatter": Case(_scatter_args, _np_scatter, empty=([zeros(0)], [np.zeros(0, int)], (3,))),
    "take": Case(_lookup, np.take, empty=(zeros(5, 3), np.zeros((2, 0), int), 0)),
}  # fmt: skip
