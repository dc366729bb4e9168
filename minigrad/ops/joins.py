"""Joining tensors: concatenate and stack, the adjoints of splitting (:mod:`.pieces`).

Both are linear: each jvp joins the tangents (zeros for an input without one) and each
vjp hands every input its part of the gradient. A layer stacks its T states once per
call, so stack joins small arrays as bytes where it can (:func:`_joined`).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from ..axes import FIRST, Default, axis_index, spelled
from ..gradients import join_rows
from ..tensor import Tensor
from .core import record
from .indexing import getitem
from .operands import _as_tensors
from .registry import calling_op, names, primitive
from .shape import reshape

_PLAIN_INT = (int, Default)


def _concatenate_vjp(g: np.ndarray, ax: int, ends: np.ndarray, needs: list) -> list:
    return [p if r else None for p, r in zip(np.split(g, ends, axis=ax), needs, strict=True)]


def _concatenate_jvp(
    dx: tuple, y: np.ndarray, ax: int, ends: np.ndarray, needs: list
) -> np.ndarray:
    batch = next(d for d in dx if d is not None).shape[0]
    sizes = np.diff([0, *ends, y.shape[ax]])
    pieces = [
        np.zeros((batch, *y.shape[:ax], int(n), *y.shape[ax + 1 :]), y.dtype) if d is None else d
        for d, n in zip(dx, sizes, strict=True)
    ]
    return np.concatenate(pieces, axis=ax + 1)


def _concatenate_tensor_vjp(g: Tensor, ax: int, ends: np.ndarray, needs: list) -> list:
    bounds = [0, *ends.tolist(), g.shape[ax]]
    lead = (slice(None),) * ax
    return [
        getitem(g, (*lead, slice(start, stop))) if r else None
        for start, stop, r in zip(bounds[:-1], bounds[1:], needs, strict=True)
    ]


@primitive(
    _concatenate_vjp, jvp=_concatenate_jvp, tensor_vjp=_concatenate_tensor_vjp, top_level=True
)
def concatenate(
    tensors: Sequence[Any], axis: int | None = FIRST, *, dim: int | None = None
) -> Tensor:
    """Join along an existing axis (``dim`` is PyTorch's name; None joins the
    flattened tensors, as NumPy). vjp: g split back into views, one per input."""
    ts = _as_tensors(tensors, "concatenate")
    if axis is None and dim is None:
        ts, axis = tuple(reshape(t, (-1,)) for t in ts), 0
    axis = axis_index("concatenate", spelled("concatenate", "axis", axis, "dim", dim), ts[0].ndim)
    try:
        out = np.concatenate([t.data for t in ts], axis=axis)
    except ValueError:
        raise ValueError(
            f"{calling_op() or 'concatenate'}: shapes {[t.shape for t in ts]} do not fit "
            f"along axis {axis}"
        ) from None
    ax = axis % out.ndim
    ends = np.cumsum([t.shape[ax] for t in ts])[:-1]
    needs = [t.requires_grad for t in ts]
    return record("concatenate", out, ts, _concatenate_vjp, ax, ends, needs)


def _stack_vjp(g: np.ndarray, lead: tuple, needs: list) -> list:
    if not lead:
        # Along the first axis, iterating g yields its views (made in C, not indexed
        # one by one): a layer's T outputs each get theirs. ``needs`` comes first, so
        # the zip ends on it, before g's iterator raises (and formats) an IndexError.
        return [v if r else None for r, v in zip(needs, g)]  # noqa: B905 (one per input)
    return _stack_tensor_vjp(g, lead, needs)


def _stack_tensor_vjp(g: Any, lead: tuple, needs: list) -> list:
    return [g[(*lead, i)] if r else None for i, r in enumerate(needs)]


def _stack_jvp(dx: tuple, y: np.ndarray, lead: tuple, needs: list) -> np.ndarray:
    batch = next(d for d in dx if d is not None).shape[0]
    axis = len(lead)
    shape = y.shape[:axis] + y.shape[axis + 1 :]
    pieces = [np.zeros((batch, *shape), y.dtype) if d is None else d for d in dx]
    return np.stack(pieces, axis=axis + 1)


@primitive(_stack_vjp, jvp=_stack_jvp, tensor_vjp=_stack_tensor_vjp, top_level=True)
def stack(tensors: Sequence[Any], axis: int = FIRST, *, dim: int | None = None) -> Tensor:
    """Join along a new axis (``dim`` is PyTorch's name). vjp: one view of g per input
    (O(T) for T inputs)."""
    ts = _as_tensors(tensors, "stack")
    arrays = [t.data for t in ts]
    first = arrays[0].shape
    if dim is not None or axis != 0 or type(axis) not in _PLAIN_INT:  # else axis 0, as given
        axis = axis_index("stack", spelled("stack", "axis", axis, "dim", dim), len(first), new=True)
    out = _joined(arrays, first) if axis == 0 and first else None
    if out is None:
        try:
            out = np.stack(arrays, axis=axis)
        except ValueError:
            raise ValueError(
                f"{calling_op() or 'stack'}: shapes {[t.shape for t in ts]} must all be equal"
            ) from None
    lead = (slice(None),) * axis if axis else ()
    needs = [t._requires_grad for t in ts]
    return record("stack", out, ts, _stack_vjp, lead, needs)


_shape_of = attrgetter("shape")


def _joined(arrays: list[np.ndarray], first: tuple[int, ...]) -> np.ndarray | None:
    """Arrays all of shape ``first`` (not 0-d) stacked along a new first axis: their
    rows joined once (:func:`~minigrad.gradients.join_rows`), without np.stack's
    per-array checks and views (a layer stacks T states). None when their shapes
    differ."""
    if len(arrays) == 1:
        # (a layer's h_n) a copy of the one array: a view of it, copied, joins nothing
        return arrays[0].reshape((1, *first)).copy()
    if set(map(_shape_of, arrays)) != {first}:
        return None
    return join_rows(arrays).reshape((len(arrays), *first))


__all__ = names(__name__)
