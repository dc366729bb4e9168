"""Axis arguments: NumPy's names and PyTorch's aliases, checked where they are given.

Reductions take NumPy's ``axis``/``keepdims`` and, as keywords, PyTorch's
``dim``/``keepdim``, so that ``x.sum(axis=1, keepdims=True)`` and
``x.sum(dim=1, keepdim=True)`` are the same call; other ops take PyTorch's name of
an argument through :func:`spelled` (``tensordot(..., dims=1)``). Giving both
spellings of one argument is a ``TypeError`` (as passing an argument twice is in
Python); a :class:`Default` marks a default value, so that ``sort(x, dim=0)`` is not
taken for both. :func:`reduced_axes` and :func:`axis_index` refuse axes out of
range, named twice or not integers, naming the op, the axis and the rank.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "FIRST",
    "LAST",
    "Default",
    "axis_args",
    "axis_index",
    "one_axis",
    "reduced_axes",
    "spelled",
]


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


class Default(int):
    """An integer default that shows it was not passed, so that an alias given beside
    it is not mistaken for both spellings (``sort(x, dim=0)`` with ``axis=LAST``)."""

    def __repr__(self) -> str:
        return int.__repr__(self)


FIRST, LAST = Default(0), Default(-1)


def spelled(
    op: str, name: str, value: Any, alias: str, alias_value: Any, default: Any = None
) -> Any:
    """An argument given by NumPy's ``name`` or PyTorch's ``alias`` (not both; None or
    a :class:`Default` is "not given"), else ``default``:
    ``spelled("tensordot", "axes", None, "dims", 1, 2)`` is 1."""
    if alias_value is None:
        return default if value is None else value
    if value is not None and not isinstance(value, Default):
        raise TypeError(
            f"{op}: got {name}={value!r} and {alias}={alias_value!r}; give one of them "
            f"({alias} is PyTorch's name for {name})"
        )
    return alias_value


def axis_index(op: str, axis: Any, ndim: int, name: str = "axis", *, new: bool = False) -> int:
    """One axis of an ``ndim``-d tensor as an index in ``0..ndim-1`` (``new``: a
    position for an inserted axis, ``0..ndim``), refusing non-integers and axes out
    of range with the op, the argument and the rank."""
    span = ndim + 1 if new else ndim
    if (type(axis) is int or type(axis) is Default) and -span <= axis < span:
        return int(axis) % span  # the common call
    if not _is_int(axis):
        raise TypeError(f"{op}: {name} must be an integer, got {axis!r}")
    if not -span <= axis < span:
        where = f"a new axis of a {ndim}-d tensor" if new else f"a {ndim}-d tensor"
        raise ValueError(f"{op}: {name} {axis} is out of range for {where}")
    return int(axis) % span


def reduced_axes(axis: int | Sequence[int] | None, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` (None: all) as a sorted tuple of distinct non-negative axes of an
    ``ndim``-d tensor. A 0-d tensor takes axis 0 or -1 and reduces nothing, as
    PyTorch (NumPy refuses them). An axis out of range, named twice (``(0, 0)``,
    ``(1, -1)`` of a 2-d tensor) or not an integer is refused, as NumPy does."""
    if axis is None:
        return tuple(range(ndim))
    span = ndim or 1
    if type(axis) is int:  # the common call, checked without building a tuple
        if not -span <= axis < span:
            raise ValueError(f"{op}: axis {axis} is out of range for a {ndim}-d tensor")
        return (axis % span,) if ndim else ()
    items = (axis,) if _is_int(axis) else _axis_tuple(op, axis)
    out = []
    for ax in items:
        if type(ax) is not int and not _is_int(ax):
            raise TypeError(f"{op}: axis must be an integer or a tuple of integers, got {axis!r}")
        if not -span <= ax < span:
            raise ValueError(f"{op}: axis {ax} is out of range for a {ndim}-d tensor")
        out.append(int(ax) % span)
    if len(set(out)) != len(out):
        _refuse_repeats(op, items, out, ndim)
    return tuple(sorted(out)) if ndim else ()


def _refuse_repeats(op: str, items: tuple, out: list[int], ndim: int) -> None:
    """The error for an axis named twice, with both of its spellings."""
    first: dict[int, Any] = {}
    for ax, k in zip(items, out, strict=True):
        if k in first:
            raise ValueError(
                f"{op}: axis={tuple(items)} names axis {k} twice ({first[k]} and {ax}) of a "
                f"{ndim}-d tensor"
            )
        first[k] = ax


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _axis_tuple(op: str, axis: Any) -> tuple:
    """``axis`` as a tuple (its items are checked by the caller), or a TypeError."""
    if type(axis) is tuple:
        return axis
    if not isinstance(axis, (tuple, list, range)):
        raise TypeError(f"{op}: axis must be an integer or a tuple of integers, got {axis!r}")
    return tuple(axis)
