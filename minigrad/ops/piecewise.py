"""Piecewise ops: rounding, sign, floor division, remainder and NaN-ignoring extremes.

``sign``, ``floor``, ``ceil``, ``round`` and ``floor_divide`` are flat between their
jumps: their derivative is 0 everywhere (at a jump too, as PyTorch; NumPy has no
derivative). ``remainder`` (``mod``) follows the divisor's sign (Python's ``%``), its
derivative in ``b`` is ``-floor(a / b)``. Integer operands keep their integer dtype in
both, as NumPy (``7 // -2 == -4``, ``7 % -2 == -1``). ``fmax``/``fmin`` ignore a NaN
operand; at a tie the whole gradient goes to ``a`` (PyTorch's convention; ``maximum``
splits ties evenly).
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import binary_operands, record, to_tensor
from .elementwise import div, mul
from .pointwise import define_binary, define_unary
from .registry import composite, names, primitive, reflected
from .select import where

_M = __name__


def _flat(xp: Any, x: Any, y: Any) -> float:
    return 0.0


sign = define_unary(
    _M, "sign", np.sign, _flat, "-1, 0 or 1 by the sign of a. vjp: 0.", integers=True
)
floor = define_unary(
    _M, "floor", np.floor, _flat, "The largest integer <= a. vjp: 0.", integers=True
)
ceil = define_unary(_M, "ceil", np.ceil, _flat, "The smallest integer >= a. vjp: 0.", integers=True)


def _round_vjp(g: np.ndarray) -> tuple:
    return (g * 0.0,)


def _round_jvp(dx: tuple, y: np.ndarray) -> np.ndarray:
    (da,) = dx
    return da * 0.0


def _round_tensor_vjp(g: Tensor) -> tuple:
    return (mul(g, 0.0),)


@primitive(
    _round_vjp,
    jvp=_round_jvp,
    tensor_vjp=_round_tensor_vjp,
    methods=("round",),
    top_level=True,
)
def round(a: Any, decimals: int = 0) -> Tensor:
    """a rounded to ``decimals`` decimal places (negative: to tens, hundreds...), halves
    to even, as NumPy's and PyTorch's ``round``. vjp: 0.

    With decimals d it is NumPy's own computation, round(a 10^d) / 10^d (a / 10^-d
    and a product for d < 0), written with ``mul``, ``div`` and this op at d = 0, so
    the values match NumPy's bit for bit.
    """
    a = to_tensor(a, None, "round")
    if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
        raise TypeError(f"round: decimals must be an integer, got {decimals!r}")
    if a.data.dtype.kind != "f":
        return Tensor._wrap(np.round(a.data, int(decimals)))  # no gradient to carry
    if decimals:
        scale = float(10.0 ** builtins.abs(int(decimals)))
        if decimals > 0:
            return div(round(mul(a, scale)), scale)
        return mul(round(div(a, scale)), scale)
    return record("round", np.rint(a.data), (a,), _round_vjp)


remainder = define_binary(
    _M,
    "remainder",
    np.remainder,
    lambda xp, a, b, y: 1.0,
    lambda xp, a, b, y: -xp.floor(a / b),
    "a - floor(a / b) b, with the sign of b (``a % b``). vjp: (g, -g floor(a / b)).",
    methods=("__mod__", ("__rmod__", reflected), "remainder"),
    integers=True,
)


@composite(top_level=True)
def mod(a: Any, b: Any) -> Tensor:
    """NumPy's other name for :func:`remainder`: a - floor(a / b) b, with the sign of b.
    vjp: (g, -g floor(a / b)) (remainder's)."""
    if type(a) is not Tensor or type(b) is not Tensor:
        a, b = binary_operands(a, b, "mod")
    return remainder(a, b)


floor_divide = define_binary(
    _M,
    "floor_divide",
    np.floor_divide,
    lambda xp, a, b, y: 0.0,
    lambda xp, a, b, y: 0.0,
    "floor(a / b) (``a // b``; integers stay integers, as NumPy). vjp: (0, 0): flat "
    "between its jumps, as PyTorch.",
    methods=("__floordiv__", ("__rfloordiv__", reflected), "floor_divide"),
    integers=True,
)


def _pick(name: str, wins: Any, a: Any, b: Any) -> Tensor:
    a, b = binary_operands(a, b, name)
    with np.errstate(invalid="ignore"):
        take_a = wins(a.data, b.data) | np.isnan(b.data)
    return where(take_a, a, b)


@composite(top_level=True)
def fmax(a: Any, b: Any) -> Tensor:
    """Elementwise max ignoring NaN: where(a >= b or b is NaN, a, b) (a composite).
    vjp: g to the chosen input, to ``a`` at ties."""
    return _pick("fmax", np.greater_equal, a, b)


@composite(top_level=True)
def fmin(a: Any, b: Any) -> Tensor:
    """Elementwise min ignoring NaN: where(a <= b or b is NaN, a, b) (a composite).
    vjp: g to the chosen input, to ``a`` at ties."""
    return _pick("fmin", np.less_equal, a, b)


__all__ = names(__name__)
