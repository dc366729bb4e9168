"""Logarithms and exponentials beyond ``exp`` and ``log``.

``log1p`` and ``expm1`` are primitives: composing them as ``log(1 + a)`` and
``exp(a) - 1`` loses every digit for small ``a``. Changes of base are composites,
exact up to one rounding: ``log2(a) = ln(a) / ln 2``, ``exp2(a) = e^(a ln 2)``.
``logaddexp2`` is a primitive too: as ``logaddexp(a ln 2, b ln 2) / ln 2`` its
derivative, a function of a - b, would take the difference of two rounded products.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import to_tensor
from .elementwise import mul
from .pointwise import define_binary, define_unary
from .registry import composite, names
from .unary import exp, log, sigmoid_pair

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


def _weight(xp: Any, a: Any, b: Any, k: int) -> Any:
    """d log2(2^a + 2^b) / da = 2^a / (2^a + 2^b) = sigmoid((a - b) ln 2) (k = 0), and
    sigmoid((b - a) ln 2) for b (k = 1), from the difference a - b (it keeps its digits
    for large operands): to a few ulps on arrays (:func:`~.unary.sigmoid_pair`), the
    ``sigmoid`` op on tensors (a create_graph vjp)."""
    d = (a - b) * LN2
    if xp is np:
        return sigmoid_pair(d)[k]
    return xp.sigmoid(d if k == 0 else -d)


logaddexp2 = define_binary(
    _M,
    "logaddexp2",
    np.logaddexp2,
    lambda xp, a, b, y: _weight(xp, a, b, 0),
    lambda xp, a, b, y: _weight(xp, a, b, 1),
    "log2(2^a + 2^b), evaluated stably by NumPy. "
    "vjp: (g w, g (1 - w)), w = 2^a / (2^a + 2^b) = sigmoid((a - b) ln 2).",
)


__all__ = names(__name__)
