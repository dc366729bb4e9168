"""Logarithms and exponentials beyond ``exp`` and ``log``.

``log1p`` and ``expm1`` are primitives: composing them as ``log(1 + a)`` and
``exp(a) - 1`` loses every digit for small ``a``. Changes of base are composites,
exact up to one rounding: ``log2(a) = ln(a) / ln 2``, ``exp2(a) = e^(a ln 2)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import binary_operands, to_tensor
from .elementwise import logaddexp, mul
from .pointwise import define_unary
from .registry import composite, names
from .unary import exp, log

_M = __name__
LN2 = math.log(2.0)
LN10 = math.log(10.0)

log1p = define_unary(
    _M,
    "log1p",
    np.log1p,
    lambda xp, x, y: 1 / (1 + x),
    "ln(1 + a), accurate for small a. vjp: g / (1 + a).",
)
expm1 = define_unary(
    _M,
    "expm1",
    np.expm1,
    lambda xp, x, y: y + 1,
    "e^a - 1, accurate for small a. vjp: g (expm1(a) + 1), from the output.",
)


@composite(methods=("log2",), top_level=True)
def log2(a: Any) -> Tensor:
    """log2(a) = ln(a) / ln 2 (a composite). vjp: g / (a ln 2)."""
    return mul(log(to_tensor(a, None, "log2")), 1 / LN2)


@composite(methods=("log10",), top_level=True)
def log10(a: Any) -> Tensor:
    """log10(a) = ln(a) / ln 10 (a composite). vjp: g / (a ln 10)."""
    return mul(log(to_tensor(a, None, "log10")), 1 / LN10)


@composite(methods=("exp2",), top_level=True)
def exp2(a: Any) -> Tensor:
    """2^a = e^(a ln 2) (a composite). vjp: g 2^a ln 2."""
    return exp(mul(to_tensor(a, None, "exp2"), LN2))


@composite(top_level=True)
def logaddexp2(a: Any, b: Any) -> Tensor:
    """log2(2^a + 2^b) = logaddexp(a ln 2, b ln 2) / ln 2 (a composite).
    vjp: (g w, g (1 - w)), w = 2^a / (2^a + 2^b)."""
    a, b = binary_operands(a, b, "logaddexp2")
    return mul(logaddexp(mul(a, LN2), mul(b, LN2)), 1 / LN2)


__all__ = names(__name__)
