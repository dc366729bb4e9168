"""Arithmetic shorthands and sequences, written from the primitives (composites):
``square``, ``reciprocal``, ``diff`` and ``linspace`` with tensor endpoints."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..axes import LAST, axis_index, spelled
from ..tensor import Tensor
from .core import binary_operands, floating, to_tensor
from .elementwise import add, div, mul, sub
from .indexing import getitem
from .registry import composite, names
from .shape import reshape


@composite(methods=("square",), top_level=True)
def square(a: Any) -> Tensor:
    """a * a (a composite). vjp: 2 g a."""
    a = to_tensor(a, None, "square")
    return mul(a, a)


@composite(methods=("reciprocal",), top_level=True)
def reciprocal(a: Any) -> Tensor:
    """1 / a (a composite). vjp: -g / a^2."""
    return div(1.0, to_tensor(a, None, "reciprocal"))


@composite(methods=("diff",), top_level=True)
def diff(a: Tensor, n: int = 1, axis: int = LAST, *, dim: int | None = None) -> Tensor:
    """The n-th forward difference along ``axis`` (the last by default; ``dim`` is
    PyTorch's name): a[1:] - a[:-1], n times (a composite of slices). vjp: the adjoint
    differences of g."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "diff")
    if a.ndim == 0:
        raise ValueError("diff: needs at least a 1-d tensor, got a 0-d one")
    axis = axis_index("diff", spelled("diff", "axis", axis, "dim", dim), a.ndim)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError(f"diff: order n must be an integer, got {n!r}")
    if n < 0:
        raise ValueError(f"diff: order n must be >= 0, got {n}")
    lead = (slice(None),) * axis
    for _ in range(n):
        after, before = getitem(a, (*lead, slice(1, None))), getitem(a, (*lead, slice(None, -1)))
        # booleans have no subtraction: NumPy's diff of them is "changed" (after != before)
        a = (after != before) if a.dtype == np.bool_ else sub(after, before)
    return a


@composite(top_level=True)
def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` along a new first axis:
    start + t (stop - start), t = k / (num - 1) (or k / num without the endpoint).
    start and stop may be tensors (broadcast together). vjp: (g (1 - t), g t) summed
    over the new axis."""
    if not isinstance(num, (int, np.integer)) or isinstance(num, bool):
        raise TypeError(f"linspace: num must be an integer, got {num!r}")
    if num < 0:
        raise ValueError(f"linspace: num must be >= 0, got {num}")
    if not isinstance(start, Tensor) and not isinstance(stop, Tensor):
        start = to_tensor(float(start) if np.ndim(start) == 0 else start, None, "linspace")
    start, stop = binary_operands(start, stop, "linspace")
    start, stop = floating(start), floating(stop)  # integer endpoints: the default dtype
    div_ = (num - 1 if endpoint else num) or 1
    shape = np.broadcast_shapes(start.shape, stop.shape)
    t = (np.arange(num) / div_).astype(start.dtype)
    t = t.reshape((num,) + (1,) * len(shape))
    return add(start, mul(reshape(sub(stop, start), shape), t))


__all__ = names(__name__)
