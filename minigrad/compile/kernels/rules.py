"""Derivative rules of the rarely hot primitives, as plain functions of the current
arrays: each returns full-shape gradients (broadcasting is undone by the caller).

They restate the ops' own vjps for arrays the planned program holds; the tests check
every primitive's replayed gradients against eager backward.
"""

from __future__ import annotations

import numpy as np

from ...ops.elementwise import logaddexp_weights

__all__: list[str] = []  # internal to minigrad.compile.kernels


def pow(g: np.ndarray, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> tuple:
    """d(x^y) = y x^(y-1) dx + x^y log x dy (the second only where x > 0)."""
    ga = g * y * np.power(x, y - 1)
    pos = x > 0
    gb = np.where(pos, g * out * np.log(np.where(pos, x, 1)), 0)
    return ga, gb


def _select(g: np.ndarray, x: np.ndarray, y: np.ndarray, beats: np.ufunc) -> tuple:
    # ops.select._shares: 1 unless the other input wins, 1/2 at a tie (so a NaN
    # operand gives g to both).
    tie = np.where(x == y, 0.5, 1.0)
    share_a = np.where(beats(y, x), 0.0, tie).astype(g.dtype)
    share_b = np.where(beats(x, y), 0.0, tie).astype(g.dtype)
    return g * share_a, g * share_b


def maximum(g: np.ndarray, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> tuple:
    """g to the larger input; ties split evenly."""
    return _select(g, x, y, np.greater)


def minimum(g: np.ndarray, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> tuple:
    """g to the smaller input; ties split evenly."""
    return _select(g, x, y, np.less)


def logaddexp(g: np.ndarray, x: np.ndarray, y: np.ndarray, out: np.ndarray) -> tuple:
    """(g sigmoid(x - y), g sigmoid(y - x)): ops.elementwise.logaddexp_weights."""
    wa, wb = logaddexp_weights(x, y)
    return g * wa, g * wb


def extreme(
    g: np.ndarray, x: np.ndarray, out: np.ndarray, axes: tuple, keepdims: bool
) -> np.ndarray:
    """max/min: g to the arg-extremes, split evenly among ties."""
    if not keepdims:
        g, out = np.expand_dims(g, axes), np.expand_dims(out, axes)
    hit = x == out
    return (g * (hit / hit.sum(axis=axes, keepdims=True))).astype(x.dtype, copy=False)


def matmul(g: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple:
    """C = A B with NumPy's 1-D and batched rules: dA = dC B^T, dB = A^T dC, each
    reduced over broadcast batch axes and shaped back to its operand."""
    from ...ops.core import unbroadcast

    x2 = x[None, :] if x.ndim == 1 else x
    y2 = y[:, None] if y.ndim == 1 else y
    out2 = (*np.broadcast_shapes(x2.shape[:-2], y2.shape[:-2]), x2.shape[-2], y2.shape[-1])
    g = g.reshape(out2)
    ga = unbroadcast(g @ np.swapaxes(y2, -1, -2), x2.shape).reshape(x.shape)
    gb = unbroadcast(np.swapaxes(x2, -1, -2) @ g, y2.shape).reshape(y.shape)
    return ga, gb
