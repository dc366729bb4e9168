"""Selection primitives of two operands: ``maximum`` and ``minimum``, which pass g to
the input that wins, and ``where``, which picks each element from one input by a
condition; each op's forward and derivative rules side by side. ``masked_fill``
(PyTorch's) is ``where`` with a number.

Like the arithmetic of :mod:`.elementwise`, they broadcast as NumPy does, reduce each
gradient to its input's shape (:func:`~.operands._fit`) and have a vjp, a jvp (tangents
with a leading batch axis, :func:`~.tangents.lift`) and a tensor vjp for
``create_graph``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import binary_operands, broadcast_error, derived, float_wins, record, to_tensor
from .operands import _apply, _fit, _target
from .registry import REGISTRY, composite, names, primitive
from .tangents import lift, tangent_sum


def _select_vjp(
    g: np.ndarray, share_a: np.ndarray, share_b: np.ndarray, ta: tuple | None, tb: tuple | None
) -> tuple:
    return (
        None if ta is None else _fit(g * share_a, ta),
        None if tb is None else _fit(g * share_b, tb),
    )


def _select_jvp(
    dx: tuple,
    y: np.ndarray,
    share_a: np.ndarray,
    share_b: np.ndarray,
    ta: tuple | None,
    tb: tuple | None,
) -> np.ndarray | None:
    da, db = dx
    n = y.ndim
    return tangent_sum(
        y,
        None if da is None else lift(da, n) * share_a,
        None if db is None else lift(db, n) * share_b,
    )


def _shares(x: np.ndarray, y: np.ndarray, beats: Any, dtype: np.dtype) -> tuple:
    """Each input's share of g: 1 unless the other input wins, 1/2 at a tie. A NaN
    operand makes the result NaN and neither input wins, so both get g (PyTorch's)."""
    tie = np.where(x == y, 0.5, 1.0)
    share_a = np.where(beats(y, x), 0.0, tie).astype(dtype, copy=False)
    share_b = np.where(beats(x, y), 0.0, tie).astype(dtype, copy=False)
    return share_a, share_b


def _select(op: str, fn: Any, beats: Any, a: Any, b: Any) -> Tensor:
    a, b = binary_operands(a, b, op)
    out = _apply(op, fn, a, b)
    share_a, share_b = _shares(a.data, b.data, beats, out.dtype)
    return record(op, out, (a, b), _select_vjp, share_a, share_b, _target(a, out), _target(b, out))


@primitive(
    _select_vjp, jvp=_select_jvp, tensor_vjp=_select_vjp, methods=("maximum",), top_level=True
)
def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max. vjp: g to the larger input; ties split it evenly (a NaN
    operand: g to both, as PyTorch)."""
    return _select("maximum", np.maximum, np.greater, a, b)


@primitive(
    _select_vjp, jvp=_select_jvp, tensor_vjp=_select_vjp, methods=("minimum",), top_level=True
)
def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min. vjp: g to the smaller input; ties split it evenly (a NaN
    operand: g to both, as PyTorch)."""
    return _select("minimum", np.minimum, np.less, a, b)


def _where_vjp(g: np.ndarray, c: np.ndarray, ta: tuple | None, tb: tuple | None) -> tuple:
    zero = g.dtype.type(0)
    return (
        None if ta is None else _fit(np.where(c, g, zero), ta),
        None if tb is None else _fit(np.where(c, zero, g), tb),
    )


def _where_jvp(
    dx: tuple, y: np.ndarray, c: np.ndarray, ta: tuple | None, tb: tuple | None
) -> np.ndarray:
    da, db = dx
    zero = y.dtype.type(0)
    a = zero if da is None else lift(da, y.ndim)
    b = zero if db is None else lift(db, y.ndim)
    batch = (db if da is None else da).shape[0]
    return np.broadcast_to(np.where(c, a, b), (batch, *y.shape))


def _where_tensor_vjp(g: Tensor, c: np.ndarray, ta: tuple | None, tb: tuple | None) -> tuple:
    return (
        None if ta is None else _fit(where(c, g, 0.0), ta),
        None if tb is None else _fit(where(c, 0.0, g), tb),
    )


def _truth(x: np.ndarray) -> np.ndarray:
    return x.astype(bool)


@primitive(_where_vjp, jvp=_where_jvp, tensor_vjp=_where_tensor_vjp, top_level=True)
def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Pick ``a`` where ``cond`` is true, else ``b``. vjp: (where(cond, g, 0),
    where(cond, 0, g)).

    The unused branch gets an exact zero (selected, not multiplied by a mask, so an inf in g
    cannot turn into NaN there).
    """
    if isinstance(cond, Tensor) and cond.data.dtype.kind != "b":
        # a mask of 0s and 1s: its truth as an op of no gradient (a compiled replay
        # computes it from each call's values)
        cond = derived("where condition", _truth, cond)
    c = np.asarray(cond.data if isinstance(cond, Tensor) else cond, dtype=bool)
    if isinstance(a, Tensor) or not isinstance(b, Tensor):
        a = to_tensor(a, None, "where")
        b = to_tensor(b, a, "where")
    else:
        a = to_tensor(a, b, "where")
    if a.data.dtype is not b.data.dtype:
        a, b = float_wins(a, b)
    try:
        out = np.where(c, a.data, b.data)
    except ValueError:
        raise broadcast_error("where", c.shape, a.shape, b.shape) from None
    return record("where", out, (a, b), _where_vjp, c, _target(a, out), _target(b, out))


@composite(methods=("masked_fill",), top_level=True)
def masked_fill(a: Any, mask: Any, value: Any) -> Tensor:
    """``a`` with ``value`` wherever ``mask`` is true, as ``torch.masked_fill``: ``mask``
    a boolean tensor or array that broadcasts with a (the result has their broadcast
    shape, as PyTorch's), ``value`` a number or a 0-d tensor, taken in a's dtype (a
    number that dtype cannot hold is refused).
    vjp: g where the mask is false, 0 where filled (the filled positions' sum of g to a
    tensor ``value``).

    It is ``where(mask, value, a)``: the filled positions are selected, not multiplied
    by the mask, so an inf or NaN in a does not leak into them or into their gradient.
    """
    a = to_tensor(a, None, "masked_fill")
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype.kind != "b":
        raise TypeError(f"masked_fill: the mask must be boolean, got dtype {m.dtype}")
    if not isinstance(value, Tensor):
        # as PyTorch: the value in a's dtype (1.7 fills an integer tensor with 1), and
        # one the dtype cannot hold (300 for uint8, NaN for int64) refused, not wrapped
        try:
            value = Tensor._wrap(np.asarray(value, dtype=a.dtype))
        except (OverflowError, ValueError) as e:
            raise type(e)(
                f"masked_fill: value {value!r} does not fit the tensor's dtype {a.dtype} ({e})"
            ) from None
    if value.ndim:
        raise ValueError(
            f"masked_fill: value must be a number or a 0-d tensor, got shape {value.shape}"
        )
    if value.dtype != a.dtype:
        value = REGISTRY["cast"].forward(value, a.dtype)
    try:
        np.broadcast_shapes(m.shape, a.shape)
    except ValueError:
        raise ValueError(
            f"masked_fill: a mask of shape {m.shape} does not broadcast with the tensor's "
            f"shape {a.shape}"
        ) from None
    return where(mask if isinstance(mask, Tensor) else m, value, a)


__all__ = names(__name__)
