"""An op's operands: a sequence of them as tensors, two of them applied with the
broadcast error named, and a gradient fitted back to the shape and dtype of each.

Shared by the ops of two operands (:mod:`.elementwise`, :mod:`.select`,
:mod:`.interpolate`, :mod:`.multiply_add`) and of a sequence of them (:mod:`.shape`,
:mod:`.indexing`). Conversion of a single operand is :mod:`.core`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import broadcast_error, to_tensor, unbroadcast

__all__: list[str] = []


def _apply(op: str, fn: Any, a: Tensor, b: Tensor) -> np.ndarray:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(op, a.shape, b.shape) from None
    return fn(a.data, b.data)


def _target(t: Tensor, out: np.ndarray) -> tuple | None:
    """What an input needs from a gradient of ``out``: None (no gradient), () (the
    gradient as is: same shape and dtype) or (shape, dtype) to unbroadcast to."""
    if not t._requires_grad:
        return None
    d = t.data
    return () if d.shape == out.shape and d.dtype == out.dtype else (d.shape, d.dtype)


def _fit(g: np.ndarray, target: tuple | None) -> np.ndarray | None:
    """``g`` shaped for an input, given its :func:`_target`."""
    if target is None:
        return None
    return unbroadcast(g, *target) if target else g


def _as_tensors(tensors: Sequence[Any], op: str) -> tuple[Tensor, ...]:
    ts = tuple(tensors)
    for t in ts:
        if type(t) is not Tensor:  # converted only when one is not a Tensor already
            ts = tuple(t if type(t) is Tensor else to_tensor(t, None, op) for t in ts)
            break
    if not ts:
        raise ValueError(f"{op}: needs at least one tensor")
    return ts
