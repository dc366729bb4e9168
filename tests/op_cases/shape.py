"""Rows of the shape ops: reshape, axis order, broadcast, squeeze/unsqueeze, joining
tensors and splitting one into pieces."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from strategies import arrays, nonscalar, shapes

from op_cases.case import EMPTY, Case, Draw, along_axis, unary, zeros


def joined(count: int) -> Draw:
    def drawer(draw: Any) -> tuple:
        shape = draw(nonscalar)
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        return [draw(arrays(shape)) for _ in range(count)], axis

    return drawer


def _split_sizes(draw: Any, shape: tuple, axis: int) -> int:
    return draw(st.integers(1, shape[axis]))


def _perm(draw: Any, shape: tuple, axis: int) -> tuple:
    return tuple(draw(st.permutations(range(len(shape)))))


def _insert_axis(draw: Any) -> tuple:
    x = draw(arrays(draw(shapes)))
    return x, draw(st.integers(-x.ndim - 1, x.ndim))


def _squeezable(draw: Any) -> tuple:
    x = draw(arrays(draw(shapes)))
    return x.reshape(1, *x.shape, 1), draw(st.sampled_from([None, 0, -1]))


def _broadcast_args(draw: Any) -> tuple:
    x = draw(arrays(draw(shapes)))
    return x, (2, *x.shape)


def _np_unbind(x: np.ndarray, axis: int) -> list:
    return [np.take(x, i, axis) for i in range(x.shape[axis])]


def _np_split(x: np.ndarray, size: int, axis: int) -> list:
    return np.split(x, range(size, x.shape[axis], size), axis=axis)


def _np_chunk(x: np.ndarray, chunks: int, axis: int) -> list:
    if x.shape[axis] == 0:
        return [x] * chunks  # torch.chunk: one empty piece per chunk
    return _np_split(x, -(-x.shape[axis] // chunks), axis)


CASES: dict[str, Case] = {
    "reshape": Case(unary(arrays, (-1,)), np.reshape, empty=(*EMPTY, (3, 0))),
    "transpose": Case(lambda d: along_axis(_perm)(d)[:2], np.transpose),
    "swapaxes": Case(lambda d: (*along_axis()(d), 0), np.swapaxes, empty=(*EMPTY, 0, 1)),
    "broadcast_to": Case(_broadcast_args, np.broadcast_to, empty=(zeros(3), (0, 3))),
    "squeeze": Case(_squeezable, np.squeeze, empty=(zeros(0, 1), 1)),
    "unsqueeze": Case(_insert_axis, np.expand_dims, empty=(*EMPTY, 1)),
    "concatenate": Case(joined(3), np.concatenate, empty=([*EMPTY, zeros(2, 3)], 0)),
    "stack": Case(joined(2), np.stack, empty=([*EMPTY, *EMPTY], 1)),
    "split": Case(along_axis(_split_sizes), _np_split, empty=(*EMPTY, 2, 0)),
    "chunk": Case(along_axis(_split_sizes), _np_chunk, empty=(*EMPTY, 3, 0)),
    "unbind": Case(along_axis(), _np_unbind, empty=(*EMPTY, 0)),
}  # fmt: skip
