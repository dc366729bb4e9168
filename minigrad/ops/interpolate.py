"""Linear interpolation between two tensors: ``lerp``, one node for what is otherwise a
subtraction, a product and a sum.

A GRU's new state is ``h' = (1 - z) n + z h = n + z (h - n)``: its update gate ``z``
slides it from the candidate ``n`` to the old state ``h``. Written with ``sub``, ``mul``
and ``add`` that is three recorded ops at every time step, where ``lerp(n, h, z)`` is
one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import broadcast_error, float_wins, floating, record, to_tensor
from .operands import _fit, _target
from .registry import names, primitive
from .tangents import lift, tangent_sum


def _lerp_vjp(
    g: np.ndarray,
    s: Any,
    e: Any,
    w: np.ndarray,
    diff: np.ndarray,
    ts: tuple | None,
    te: tuple | None,
    tw: tuple | None,
) -> tuple:
    # d/dstart = 1 - w, d/dend = w, d/dweight = end - start
    gw = None if ts is None and te is None else g * w
    return (
        None if ts is None else _fit(g - gw, ts),
        None if te is None else _fit(gw, te),
        None if tw is None else _fit(g * diff, tw),
    )


def _lerp_jvp(
    dx: tuple,
    y: np.ndarray,
    s: np.ndarray,
    e: np.ndarray,
    w: np.ndarray,
    diff: np.ndarray,
    ts: tuple | None,
    te: tuple | None,
    tw: tuple | None,
) -> np.ndarray | None:
    ds, de, dw = (lift(d, y.ndim) for d in dx)
    return tangent_sum(
        y,
        None if ds is None else ds - ds * w,
        None if de is None else de * w,
        None if dw is None else dw * diff,
    )


def _lerp_tensor_vjp(
    g: Tensor,
    s: Tensor,
    e: Tensor,
    w: Tensor,
    diff: np.ndarray,
    ts: tuple | None,
    te: tuple | None,
    tw: tuple | None,
) -> tuple:
    # The array rule (operators only), with end - start rebuilt from the tensors: a
    # gradient that is differentiated again must see that it depends on them.
    return _lerp_vjp(g, s, e, w, None if tw is None else e - s, ts, te, tw)


@primitive(
    _lerp_vjp,
    jvp=_lerp_jvp,
    tensor_vjp=_lerp_tensor_vjp,
    saves=("start", "end", "weight"),
    methods=("lerp",),
    top_level=True,
)
def lerp(start: Any, end: Any, weight: Any) -> Tensor:
    """``start + weight * (end - start)``, broadcasting as NumPy, as ``torch.lerp``;
    ``weight`` is a tensor or a number. vjp: ``(g (1 - weight), g weight,
    g (end - start))``, each reduced to its input's shape.

    One node where ``start + weight * (end - start)`` records three: a GRU's state
    update ``h' = lerp(n, h, z)``.
    """
    if type(start) is not Tensor or type(end) is not Tensor or type(weight) is not Tensor:
        start, end, weight = _operands(start, end, weight)
    s, e, w = start.data, end.data, weight.data
    if not (s.dtype is e.dtype is w.dtype):
        start, end, weight = _one_dtype(start, end, weight)
        s, e, w = start.data, end.data, weight.data
    try:
        diff = e - s
        out = w * diff
        if out.shape == s.shape:
            out += s
        else:
            out = out + s
    except ValueError:
        raise broadcast_error("lerp", start.shape, end.shape, weight.shape) from None
    return record(
        "lerp",
        out,
        (start, end, weight),
        _lerp_vjp,
        s,
        e,
        w,
        diff,
        _target(start, out),
        _target(end, out),
        _target(weight, out),
    )


def _operands(start: Any, end: Any, weight: Any) -> tuple[Tensor, Tensor, Tensor]:
    """All three as tensors: lists and arrays as they are, then numbers take the dtype
    of the first tensor among them."""
    ts = [
        x if isinstance(x, Tensor | bool | int | float) else to_tensor(x, None, "lerp")
        for x in (start, end, weight)
    ]
    like = next((x for x in ts if isinstance(x, Tensor)), None)
    if like is None:
        raise TypeError("lerp: needs a Tensor operand")
    return tuple(to_tensor(x, like, "lerp") for x in ts)  # type: ignore[return-value]


def _one_dtype(start: Tensor, end: Tensor, weight: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Integer or boolean operands in the floating dtype of the others (the default
    float dtype when none is floating): an interpolation is not an integer."""
    ts = [start, end, weight]
    floats = [t for t in ts if t.data.dtype.kind == "f"]
    if not floats:
        return tuple(floating(t) for t in ts)  # type: ignore[return-value]
    ref = floats[0]
    return tuple(float_wins(ref, t)[1] if t is not ref else t for t in ts)  # type: ignore[return-value]


__all__ = names(__name__)
