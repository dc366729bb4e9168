"""Axis arguments of reductions: NumPy's names and PyTorch's aliases.

Reductions take NumPy's ``axis``/``keepdims`` and, as keywords, PyTorch's
``dim``/``keepdim``, so that ``x.sum(axis=1, keepdims=True)`` and
``x.sum(dim=1, keepdim=True)`` are the same call. Giving both spellings of one
argument is a ``TypeError`` (as passing an argument twice is in Python).
"""

from __future__ import annotations

from typing import Any

__all__ = ["axis_args", "one_axis"]


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
