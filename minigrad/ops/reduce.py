"""Reductions: sum, mean, max, min over an axis (or axes), with ``keepdims`` (or
PyTorch's ``dim``/``keepdim``, see :mod:`minigrad.axes`).

A tangent carries a leading batch axis, so reducing axis ``k`` of a value reduces
axis ``k + 1`` of its tangent."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..axes import axis_args
from ..axes import reduced_axes as _axes
from ..tensor import Tensor
from .core import record, to_tensor
from .elementwise import mul
from .registry import composite, names, primitive
from .shape import broadcast_to, reshape

Axis = int | Sequence[int] | None


def _expand(g: np.ndarray, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
    """Re-insert reduced axes so ``g`` broadcasts against the input."""
    return g if keepdims else np.expand_dims(g, axes)


def _sum_vjp(g: np.ndarray, axes: tuple, keepdims: bool, shape: tuple) -> tuple:
    return (np.broadcast_to(_expand(g, axes, keepdims), shape),)


def _batch_axes(axes: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of a tangent (leading batch axis) that correspond to value ``axes``."""
    return tuple(ax + 1 for ax in axes)


def _kept(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with the reduced axes set to 1 (the keepdims shape)."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _sum_jvp(dx: tuple, y: np.ndarray, axes: tuple, keepdims: bool, shape: tuple) -> np.ndarray:
    (da,) = dx
    return da.sum(axis=_batch_axes(axes), keepdims=keepdims)


def _sum_tensor_vjp(g: Tensor, axes: tuple, keepdims: bool, shape: tuple) -> tuple:
    return (broadcast_to(reshape(g, _kept(shape, axes)), shape),)


@primitive(_sum_vjp, jvp=_sum_jvp, tensor_vjp=_sum_tensor_vjp, methods=("sum",), top_level=True)
def sum(
    a: Tensor,
    axis: Axis = None,
    keepdims: bool | None = None,
    *,
    dim: Axis = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Sum over ``axis`` (all axes when None; ``dim``/``keepdim`` are PyTorch's names).
    vjp: g broadcast back over the summed axes (a view)."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "sum")
    if dim is not None or keepdim is not None:
        axis, keepdims = axis_args("sum", axis, keepdims, dim, keepdim)
    keepdims = bool(keepdims)
    axes = _axes(axis, a.ndim, "sum")
    out = np.asarray(a.data.sum(axis=axes, keepdims=keepdims))
    return record("sum", out, (a,), _sum_vjp, axes, keepdims, a.shape)


@composite(methods=("mean",), top_level=True)
def mean(
    a: Tensor,
    axis: Axis = None,
    keepdims: bool | None = None,
    *,
    dim: Axis = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Mean over ``axis``: a sum times 1/count (a composite). vjp: g / count broadcast
    back over the reduced axes. The mean over an empty axis is nan, as in NumPy and
    PyTorch."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "mean")
    axis, keepdims = axis_args("mean", axis, keepdims, dim, keepdim)
    axes = _axes(axis, a.ndim, "mean")
    count = int(np.prod([a.shape[i] for i in axes])) if axes else 1
    return mul(sum(a, axes, keepdims), 1.0 / count if count else float("nan"))


def _share(x: np.ndarray, out: np.ndarray, axes: tuple, keepdims: bool) -> np.ndarray:
    """1/k at each of the k positions that attain the extreme, else 0: ties share the
    derivative evenly, so it is the average of the subgradients."""
    hit = x == _expand(out, axes, keepdims)
    return (hit / hit.sum(axis=axes, keepdims=True)).astype(x.dtype, copy=False)


def _extreme_vjp(
    g: np.ndarray, x: np.ndarray, out: np.ndarray, axes: tuple, keepdims: bool
) -> tuple:
    return (
        (_expand(g, axes, keepdims) * _share(x, out, axes, keepdims)).astype(x.dtype, copy=False),
    )


def _extreme_jvp(
    dx: tuple, y: np.ndarray, x: np.ndarray, out: np.ndarray, axes: tuple, keepdims: bool
) -> np.ndarray:
    (da,) = dx
    return (da * _share(x, out, axes, keepdims)).sum(axis=_batch_axes(axes), keepdims=keepdims)


def _extreme_tensor_vjp(
    g: Tensor, x: np.ndarray, out: np.ndarray, axes: tuple, keepdims: bool
) -> tuple:
    # The selection is piecewise constant: its own derivative is zero.
    return (reshape(g, _kept(x.shape, axes)) * _share(x, out, axes, keepdims),)


def _extreme(op: str, fn: str, a: Tensor, axis: Axis, keepdims: bool) -> Tensor:
    keepdims = bool(keepdims)
    axes = _axes(axis, a.ndim, op)
    empty = [i for i in axes if a.shape[i] == 0]
    if empty:
        raise ValueError(
            f"{op}: axis {empty[0]} of shape {a.shape} is empty, and an empty axis has no "
            f"{op}imum; reduce over other axes or give the tensor elements"
        )
    x = a.data
    out = np.asarray(getattr(x, fn)(axis=axes, keepdims=keepdims))
    return record(op, out, (a,), _extreme_vjp, x, out, axes, keepdims)


@primitive(
    _extreme_vjp,
    jvp=_extreme_jvp,
    tensor_vjp=_extreme_tensor_vjp,
    methods=("max",),
    top_level=True,
)
def max(
    a: Tensor,
    axis: Axis = None,
    keepdims: bool | None = None,
    *,
    dim: Axis = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Maximum over ``axis``: the values only, as NumPy (PyTorch's ``x.max(dim)`` also
    returns the indices; use ``x.argmax(dim)``). vjp: g to the arg-max (split evenly
    among ties)."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "max")
    if dim is not None or keepdim is not None:
        axis, keepdims = axis_args("max", axis, keepdims, dim, keepdim)
    return _extreme("max", "max", a, axis, keepdims)


@primitive(
    _extreme_vjp,
    jvp=_extreme_jvp,
    tensor_vjp=_extreme_tensor_vjp,
    methods=("min",),
    top_level=True,
)
def min(
    a: Tensor,
    axis: Axis = None,
    keepdims: bool | None = None,
    *,
    dim: Axis = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Minimum over ``axis``: the values only, as NumPy (PyTorch's ``x.min(dim)`` also
    returns the indices; use ``x.argmin(dim)``). vjp: g to the arg-min (split evenly
    among ties)."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "min")
    if dim is not None or keepdim is not None:
        axis, keepdims = axis_args("min", axis, keepdims, dim, keepdim)
    return _extreme("min", "min", a, axis, keepdims)


__all__ = names(__name__)
