"""Reductions: sum, mean, max, min over an axis (or axes), with ``keepdims``."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

import numpy as np

from ..tensor import Tensor
from .core import record
from .elementwise import mul
from .registry import composite, names, primitive

Axis = int | Sequence[int] | None


def _axes(axis: Axis, ndim: int, op: str) -> tuple[int, ...]:
    """Normalise ``axis`` to a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    items = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for ax in items:
        if not -ndim <= ax < builtins.max(ndim, 1):
            raise ValueError(f"{op}: axis {ax} is out of range for a {ndim}-d tensor")
        out.append(int(ax) % builtins.max(ndim, 1))
    return tuple(sorted(set(out)))


def _expand(g: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Re-insert reduced axes so ``g`` broadcasts against the input."""
    return g if keepdims else np.expand_dims(g, axes)


def _sum_vjp(g: np.ndarray, axes: tuple, keepdims: bool, shape: tuple) -> tuple:
    return (np.broadcast_to(_expand(g, axes, keepdims), shape),)


@primitive(_sum_vjp, methods=("sum",))
def sum(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis``. vjp: g broadcast back over the summed axes (a view)."""
    axes = _axes(axis, a.ndim, "sum")
    out = np.asarray(a.data.sum(axis=axes, keepdims=keepdims))
    return record("sum", out, (a,), _sum_vjp, axes, keepdims, a.shape)


@composite(methods=("mean",))
def mean(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis``: a sum times 1/count (a composite)."""
    axes = _axes(axis, a.ndim, "mean")
    count = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    if count == 0:
        raise ValueError(f"mean: empty reduction over axis {axis} of shape {a.shape}")
    return mul(sum(a, axes, keepdims), 1.0 / count)


def _extreme_vjp(
    g: np.ndarray, x: np.ndarray, out: np.ndarray, axes: tuple, keepdims: bool
) -> tuple:
    # Ties share the gradient evenly, so the result is the subgradient's average.
    hit = x == _expand(out, axes, keepdims)
    share = hit / hit.sum(axis=axes, keepdims=True)
    return ((_expand(g, axes, keepdims) * share).astype(x.dtype, copy=False),)


def _extreme(op: str, fn: str, a: Tensor, axis: Axis, keepdims: bool) -> Tensor:
    axes = _axes(axis, a.ndim, op)
    if a.size == 0:
        raise ValueError(f"{op}: reduction of an empty tensor of shape {a.shape}")
    x = a.data
    out = np.asarray(getattr(x, fn)(axis=axes, keepdims=keepdims))
    return record(op, out, (a,), _extreme_vjp, x, out, axes, keepdims)


@primitive(_extreme_vjp, methods=("max",))
def max(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis``. vjp: g to the arg-max (split evenly among ties)."""
    return _extreme("max", "max", a, axis, keepdims)


@primitive(_extreme_vjp, methods=("min",))
def min(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis``. vjp: g to the arg-min (split evenly among ties)."""
    return _extreme("min", "min", a, axis, keepdims)


__all__ = names(__name__)
