"""Rows of the indexing ops: getitem, scatter (its adjoint), take, gather and
scatter_add; ``INDICES`` are the index forms getitem and scatter are drawn from."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import arrays, nonscalar

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


def _gather_args(draw: Any) -> tuple:
    """x (1 to 3 axes), a dim, and an index of x's rank: no longer than x on the other
    axes, any length along dim, values in range (repeats among them)."""
    shape = draw(nonscalar)
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    d = dim % len(shape)
    ishape = tuple(
        draw(st.integers(1, 4)) if k == d else draw(st.integers(1, n)) for k, n in enumerate(shape)
    )
    ids = draw(hnp.arrays(np.int64, ishape, elements=st.integers(0, shape[d] - 1)))
    return draw(arrays(shape)), dim, np.asarray(ids)


def _grid(ids: np.ndarray, dim: int) -> tuple:
    d = dim % ids.ndim
    return tuple(
        ids if k == d else np.arange(n).reshape((n,) + (1,) * (ids.ndim - 1 - k))
        for k, n in enumerate(ids.shape)
    )


def _np_gather(x: np.ndarray, dim: int, ids: np.ndarray) -> np.ndarray:
    return x[_grid(ids, dim)]


def _scatter_add_args(draw: Any) -> tuple:
    """x, dim and index as for gather, and src at least as large as the index."""
    x, dim, ids = _gather_args(draw)
    src = draw(arrays(tuple(k + draw(st.integers(0, 1)) for k in ids.shape)))
    return x, dim, ids, src


def _np_scatter_add(x: np.ndarray, dim: int, ids: np.ndarray, src: np.ndarray) -> np.ndarray:
    out = x.copy()
    np.add.at(out, _grid(ids, dim), src[tuple(slice(0, k) for k in ids.shape)])
    return out


CASES: dict[str, Case] = {
    "getitem": Case(_index_args, _np_getitem, empty=(zeros(3, 4), np.zeros(0, int))),
    "scatter": Case(_scatter_args, _np_scatter, empty=([zeros(0)], [np.zeros(0, int)], (3,))),
    "gather": Case(_gather_args, _np_gather, empty=(zeros(3, 4), 0, np.zeros((0, 4), int))),
    "scatter_add": Case(_scatter_add_args, _np_scatter_add,
                        empty=(zeros(3, 4), 1, np.zeros((3, 0), int), zeros(3, 2))),
    "take": Case(_lookup, np.take, empty=(zeros(5, 3), np.zeros((2, 0), int), 0)),
}  # fmt: skip
