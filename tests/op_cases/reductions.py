"""Rows of the reductions along axes: sum, mean, max, min, prod, var, std, norm, and the
scans and orderings along one axis (cumsum, cumprod, sort, partition)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from strategies import arrays, away_from_kinks, distinct_arrays, nonscalar

from op_cases.case import EMPTY, Case, Draw, along_axis, reduction, zeros


def _np_mean(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of nothing is nan
        return np.mean(x, axis=axis, keepdims=keepdims)


def _np_reduce(fn: Callable) -> Callable:
    return lambda x, axis, keepdims: fn(x, axis=axis, keepdims=keepdims)


def _spread(draw: Any) -> tuple:
    """x, axis, ddof (1 only where each group has 2 or more elements), keepdims."""
    x, axis, keep = reduction(distinct_arrays)(draw)
    count = x.size if axis is None else np.prod([x.shape[a] for a in np.atleast_1d(axis)])
    return x, axis, draw(st.sampled_from([0, 1])) if count > 1 else 0, keep


def _norm_args(draw: Any) -> tuple:
    x, axis, keep = reduction(distinct_arrays)(draw)  # no ties of |x| (max/min kinks)
    count = x.ndim if axis is None else len(np.atleast_1d(axis))
    if count == 1:
        ords = [None, 0, 1, 2, 3, 0.5, -1, -2.5, np.inf, -np.inf]
        return x, draw(st.sampled_from(ords)), axis, keep
    if count == 2:
        return _untied_matrices(draw, x.shape, axis), draw(st.sampled_from(MATRIX_ORDS)), axis, keep
    return x, None, axis, keep


MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]


def _untied_matrices(draw: Any, shape: tuple, axis: Any) -> np.ndarray:
    """Values whose row sums and column sums of |x| are far apart within each matrix
    along ``axis`` (two axes; both when None): magnitudes in [0.5, 1.5] times 4^(i+j)
    at row i, column j, so the matrix 1- and inf-norms meet no max tie (a kink)."""
    rows, cols = (0, 1) if axis is None else axis
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    magnitude = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    grid = np.indices(shape)
    return magnitude * 4.0 ** (grid[rows] + grid[cols])


def _np_norm(x: np.ndarray, ord: Any, axis: Any, keep: bool) -> np.ndarray:
    if ord is None:
        return np.sqrt(np.sum(x * x, axis=axis, keepdims=keep))
    return np.linalg.norm(x, ord, axis, keep)


def _untied_along(kth: bool) -> Draw:
    """Distinct values (ties swap places under a small step), kth, an axis."""

    def drawer(draw: Any) -> tuple:
        shape = draw(nonscalar)
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        k = (draw(st.integers(0, shape[axis] - 1)),) if kth else ()
        return draw(distinct_arrays(shape)), *k, axis

    return drawer


def _topk_args(draw: Any) -> tuple:
    """Distinct values, k (0 to the axis' size), an axis and the direction."""
    shape = draw(nonscalar)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    k = draw(st.integers(0, shape[axis]))
    return draw(distinct_arrays(shape)), k, axis, draw(st.booleans())


def _np_topk(x: np.ndarray, k: int, axis: int, largest: bool) -> list:
    """The values and their indices: NumPy's stable argsort (of -x for the largest)."""
    order = np.argsort(-x if largest else x, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    return [np.take_along_axis(x, idx, axis=axis), idx]


def _small(s: Any) -> Any:
    return arrays(s, -1.5, 1.5)


def _factors(s: Any) -> Any:
    """|x| in [0.1, 1.5]: PyTorch's prod rules switch to a zero path when a product
    underflows to 0 (exact zeros are checked in test_stats.py)."""
    return away_from_kinks(s, -1.5, 1.5, gap=0.01)


def _cumprod_args(draw: Any) -> tuple:
    return draw(_small(draw(nonscalar))), draw(st.sampled_from([None, 0, -1]))


def _np_partition(x: np.ndarray, k: int, ax: int) -> np.ndarray:
    return np.take_along_axis(x, np.argpartition(x, k, ax), ax)


CASES: dict[str, Case] = {
    "sum": Case(reduction(), _np_reduce(np.sum), empty=(*EMPTY, 0, False)),
    "mean": Case(reduction(), _np_mean, empty=(*EMPTY, 0, False)),
    "max": Case(reduction(distinct_arrays), _np_reduce(np.max), empty=(*EMPTY, 1, False)),
    "min": Case(reduction(distinct_arrays), _np_reduce(np.min), empty=(*EMPTY, 1, True)),
    "prod": Case(reduction(_factors), lambda x, axis, k: np.prod(x, axis=axis, keepdims=k),
                 empty=(*EMPTY, 0, False)),
    "var": Case(_spread, lambda x, axis, dd, k: np.var(x, axis=axis, ddof=dd, keepdims=k)),
    "std": Case(_spread, lambda x, axis, dd, k: np.std(x, axis=axis, ddof=dd, keepdims=k)),
    "norm": Case(_norm_args, _np_norm, empty=(*EMPTY, None, 1, False)),
    "cumsum": Case(along_axis(), np.cumsum),
    "cumprod": Case(_cumprod_args, np.cumprod),
    "sort": Case(_untied_along(False), np.sort),
    "partition": Case(_untied_along(True), _np_partition),
    "topk": Case(_topk_args, _np_topk, empty=(zeros(3, 0), 0, 1, True)),
}  # fmt: skip
