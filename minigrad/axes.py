"""Axis arguments of reductions: NumPy's names and PyTorch's aliases.

Reductions take NumPy's ``axis``/``keepdims`` and, as keywords, PyTorch's
``dim``/``keepdim``, so that ``x.sum(axis=1, keepdims=True)`` and
``x.sum(dim=1, keepdim=True)`` are the same call. Giving both spellings of one
argument is a ``TypeError`` (as passing an argument twice is in Python).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["axis_args", "one_axis", "reduced_axes"]


def axis_args(op: str, axis: Any, keepdims: Any, dim: Any, keepdim: Any) -> tuple[Any, bool]:
    """``(axis, keepdims)`` with ``dim``/``keepdim`` merged in; ``keepdims`` None is
    False. Raises ``TypeError`` when both names of one argument are given."""
    if dim is not None:
        if axis is not None:
            raise TypeError(
                f"{op}: got axis={axis!r} and dim={dim!r}; give one of them "
                "(dim is PyTorch's name for axis)"
            )
        axis = dim
    if keepdim is not None:
        if keepdims is not None:
            raise TypeError(
                f"{op}: got keepdims={keepdims!r} and keepdim={keepdim!r}; give one of them "
                "(keepdim is PyTorch's name for keepdims)"
            )
        keepdims = keepdim
    return axis, bool(keepdims)


def one_axis(op: str, axis: Any, dim: Any) -> Any:
    """``axis`` or its alias ``dim`` (not both), for ops along one axis."""
    return axis_args(op, axis, None, dim, None)[0]


def reduced_axes(axis: int | Sequence[int] | None, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` (None: all) as a sorted tuple of distinct non-negative axes of an
    ``ndim``-d tensor. A 0-d tensor takes axis 0 or -1 and reduces nothing, as
    PyTorch (NumPy refuses them)."""
    if axis is None:
        return tuple(range(ndim))
    items = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    span = max(ndim, 1)
    out = set()
    for ax in items:
        if not -span <= ax < span:
            raise ValueError(f"{op}: axis {ax} is out of range for a {ndim}-d tensor")
        out.add(int(ax) % span)
    return tuple(sorted(out)) if ndim else ()
