"""A product added to a tensor: ``addcmul``, one node for what is otherwise a product,
a scaling and a sum.

An LSTM's cell state is ``c' = f c + i g``, a GRU's candidate ``n = tanh(x_n + r h_n)``:
each adds a product of two gates to a tensor. Written with ``mul`` and ``add`` that is
two recorded ops at every time step, where ``addcmul(f * c, i, g)`` and
``addcmul(x_n, r, h_n)`` are one.
"""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import broadcast_error, float_wins, record, to_tensor
from .operands import _fit, _target
from .registry import names, primitive
from .tangents import lift, tangent_sum


def _addcmul_vjp(
    g: Any,
    x1: Any,
    x2: Any,
    value: int | float,
    ti: tuple | None,
    t1: tuple | None,
    t2: tuple | None,
) -> tuple:
    # d/dinput = 1, d/dtensor1 = value tensor2, d/dtensor2 = value tensor1. Written
    # with operators only, so the same rule runs on arrays and (create_graph) tensors.
    gv = g if value == 1 or (t1 is None and t2 is None) else g * value
    return (
        _fit(g, ti),
        None if t1 is None else _fit(gv * x2, t1),
        None if t2 is None else _fit(gv * x1, t2),
    )


def _addcmul_jvp(
    dx: tuple,
    y: np.ndarray,
    x1: np.ndarray,
    x2: np.ndarray,
    value: int | float,
    ti: tuple | None,
    t1: tuple | None,
    t2: tuple | None,
) -> np.ndarray | None:
    di, d1, d2 = (lift(d, y.ndim) for d in dx)
    prod = None if d1 is None else d1 * x2
    if d2 is not None:
        prod = x1 * d2 if prod is None else prod + x1 * d2
    if prod is not None and value != 1:
        prod = prod * value
    return tangent_sum(y, di, prod)


@primitive(
    _addcmul_vjp,
    jvp=_addcmul_jvp,
    tensor_vjp=_addcmul_vjp,
    saves=("tensor1", "tensor2"),
    methods=("addcmul",),
    top_level=True,
)
def addcmul(input: Any, tensor1: Any, tensor2: Any, *, value: int | float = 1) -> Tensor:
    """``input + value * tensor1 * tensor2``, broadcasting all three as NumPy, as
    ``torch.addcmul``; ``value`` is a number. vjp: ``(g, value g tensor2, value g
    tensor1)``, each reduced to its input's shape.

    One node where ``input + tensor1 * tensor2`` records two: an LSTM's cell update
    ``c' = addcmul(f * c, i, tanh(g))``, a GRU's candidate pre-activation
    ``addcmul(x_n, r, h_n)``.
    """
    if type(value) is not int and type(value) is not float:
        value = _number(value)
    if type(input) is not Tensor or type(tensor1) is not Tensor or type(tensor2) is not Tensor:
        input, tensor1, tensor2 = _operands(input, tensor1, tensor2)
    a, b, c = input.data, tensor1.data, tensor2.data
    if not (a.dtype is b.dtype is c.dtype):
        input, tensor1, tensor2 = _one_dtype(input, tensor1, tensor2)
        a, b, c = input.data, tensor1.data, tensor2.data
    if type(value) is float and a.dtype.kind != "f":
        raise TypeError(f"addcmul: value {value!r} is not an integer, the operands are {a.dtype}")
    try:
        out = b * c
        if value != 1:
            out *= value
        if out.shape == a.shape and out.dtype is a.dtype:
            out += a
        else:
            out = out + a
    except ValueError:
        raise broadcast_error("addcmul", a.shape, b.shape, c.shape) from None
    return record(
        "addcmul",
        out,
        (input, tensor1, tensor2),
        _addcmul_vjp,
        b,
        c,
        value,
        _target(input, out),
        _target(tensor1, out),
        _target(tensor2, out),
    )


def _number(value: Any) -> int | float:
    """``value`` as a Python int or float (a NumPy scalar would promote float32)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"addcmul: value must be a real number, got {type(value).__name__}")
    return value.item() if isinstance(value, np.generic) else float(value)


def _operands(input: Any, tensor1: Any, tensor2: Any) -> tuple[Tensor, Tensor, Tensor]:
    """All three as tensors: lists and arrays as they are, then numbers take the dtype
    of the first tensor among them."""
    ts = [
        x if isinstance(x, Tensor | bool | int | float) else to_tensor(x, None, "addcmul")
        for x in (input, tensor1, tensor2)
    ]
    like = next((x for x in ts if isinstance(x, Tensor)), None)
    if like is None:
        raise TypeError("addcmul: needs a Tensor operand")
    return tuple(to_tensor(x, like, "addcmul") for x in ts)  # type: ignore[return-value]


def _one_dtype(input: Tensor, t1: Tensor, t2: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Integer or boolean operands in the floating dtype of the first floating one
    (as PyTorch: float32 with int64 is float32); all-integer operands stay integers."""
    ts = [input, t1, t2]
    ref = next((t for t in ts if t.data.dtype.kind == "f"), None)
    if ref is None:
        return input, t1, t2
    return tuple(float_wins(ref, t)[1] if t is not ref else t for t in ts)  # type: ignore[return-value]


__all__ = names(__name__)
