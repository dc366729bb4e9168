"""Helpers for jvp rules: tangents carry a leading batch axis, (B, *shape)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["lift", "tangent_sum", "zeros_tangent"]


def lift(dx: np.ndarray | None, ndim: int) -> np.ndarray | None:
    """Tangent ``(B, *s)`` reshaped to ``(B, 1, ..., 1, *s)`` with ``ndim`` axes after B,
    so it broadcasts against primal values of ``ndim`` axes the way the value did."""
    if dx is None:
        return None
    extra = ndim + 1 - dx.ndim
    if extra <= 0:
        return dx
    return dx.reshape((dx.shape[0],) + (1,) * extra + dx.shape[1:])


def tangent_sum(y: np.ndarray, *terms: np.ndarray | None) -> np.ndarray | None:
    """The sum of the present ``terms``, as a tangent of the output ``y``: shape
    ``(B, *y.shape)`` (a broadcast view when a term is smaller), None if all are None."""
    total = None
    for t in terms:
        if t is not None:
            total = t if total is None else total + t
    if total is None:
        return None
    want = (total.shape[0], *y.shape)
    if total.shape != want:
        total = np.broadcast_to(lift(total, y.ndim), want)
    return total


def zeros_tangent(batch: int, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """An all-zero tangent (for an input without one, where a rule needs every input's)."""
    return np.zeros((batch, *shape), dtype)
