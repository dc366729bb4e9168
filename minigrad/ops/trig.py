"""Trigonometric and hyperbolic functions and their inverses, elementwise.

Each is a primitive defined by its NumPy function and its derivative (see
:mod:`.pointwise`): the one formula gives the vjp, the jvp and the tensor vjp.
Inverse functions follow NumPy's domains (``arcsin`` of 2 is NaN, no warning).
"""

from __future__ import annotations

import math

import numpy as np

from .pointwise import define_binary, define_unary
from .registry import names

_M = __name__

sin = define_unary(_M, "sin", np.sin, lambda xp, x, y: xp.cos(x), "sin(a). vjp: g cos(a).")
cos = define_unary(_M, "cos", np.cos, lambda xp, x, y: -xp.sin(x), "cos(a). vjp: -g sin(a).")
tan = define_unary(
    _M, "tan", np.tan, lambda xp, x, y: 1 + y * y, "tan(a). vjp: g (1 + tan(a)^2), from the output."
)
arcsin = define_unary(
    _M,
    "arcsin",
    np.arcsin,
    lambda xp, x, y: 1 / xp.sqrt(1 - x * x),
    "arcsin(a), a in [-1, 1]. vjp: g / sqrt(1 - a^2).",
)
arccos = define_unary(
    _M,
    "arccos",
    np.arccos,
    lambda xp, x, y: -1 / xp.sqrt(1 - x * x),
    "arccos(a), a in [-1, 1]. vjp: -g / sqrt(1 - a^2).",
)
arctan = define_unary(
    _M, "arctan", np.arctan, lambda xp, x, y: 1 / (1 + x * x), "arctan(a). vjp: g / (1 + a^2)."
)
sinh = define_unary(_M, "sinh", np.sinh, lambda xp, x, y: xp.cosh(x), "sinh(a). vjp: g cosh(a).")
cosh = define_unary(_M, "cosh", np.cosh, lambda xp, x, y: xp.sinh(x), "cosh(a). vjp: g sinh(a).")
arcsinh = define_unary(
    _M,
    "arcsinh",
    np.arcsinh,
    lambda xp, x, y: 1 / xp.sqrt(x * x + 1),
    "arcsinh(a). vjp: g / sqrt(a^2 + 1).",
)
arccosh = define_unary(
    _M,
    "arccosh",
    np.arccosh,
    lambda xp, x, y: 1 / xp.sqrt(x * x - 1),
    "arccosh(a), a >= 1. vjp: g / sqrt(a^2 - 1).",
)
arctanh = define_unary(
    _M,
    "arctanh",
    np.arctanh,
    lambda xp, x, y: 1 / (1 - x * x),
    "arctanh(a), |a| < 1. vjp: g / (1 - a^2).",
)


def _over_radius2(xp, top, a, b):
    # top / (a^2 + b^2), and 0 at the origin (0 / 0), PyTorch's value there: the
    # angle has no limit at the origin, and 0 keeps a gradient through it a number.
    r2 = a * a + b * b
    origin = r2 == 0
    return xp.where(origin, 0.0, top / xp.where(origin, 1.0, r2))


arctan2 = define_binary(
    _M,
    "arctan2",
    np.arctan2,
    lambda xp, a, b, y: _over_radius2(xp, b, a, b),
    lambda xp, a, b, y: _over_radius2(xp, -a, a, b),
    "atan2(a, b), the angle of the point (b, a) in (-pi, pi]. "
    "vjp: (g b, -g a) / (a^2 + b^2), 0 at the origin (as PyTorch).",
)
hypot = define_binary(
    _M,
    "hypot",
    np.hypot,
    lambda xp, a, b, y: a / y,
    lambda xp, a, b, y: b / y,
    "sqrt(a^2 + b^2) without overflow. vjp: (g a, g b) / hypot(a, b).",
)


# sinc'(x) = (cos(pi x) - sinc(x)) / x cancels catastrophically as x -> 0 (at x = 1e-8
# it is 30% off), and its value 0 at x = 0 cannot be differentiated again. Below
# _SINC_NEAR the derivative is its Taylor series instead,
#     sinc'(x) = sum_k (-1)^k 2k pi^(2k) x^(2k-1) / (2k+1)!,   k = 1..7,
# whose truncation error there is below 1e-19 relative and whose own derivatives are
# the series of the higher derivatives: sinc''(0) = -pi^2 / 3 exactly.
_SINC_NEAR = 0.1
_SINC_SERIES = tuple(
    (-1) ** k * 2 * k * math.pi ** (2 * k) / math.factorial(2 * k + 1) for k in range(1, 8)
)


def _sinc_deriv(xp, x, y):
    u = x * x
    series = _SINC_SERIES[-1]
    for c in _SINC_SERIES[-2::-1]:
        series = series * u + c
    near = np.abs(getattr(x, "data", x)) < _SINC_NEAR
    # The far formula divides by a safe 1 where it is not used, so that its derivative
    # there is finite and the select drops it.
    safe = xp.where(near, 1.0, x)
    return xp.where(near, series * x, (xp.cos(np.pi * x) - y) / safe)


sinc = define_unary(
    _M,
    "sinc",
    np.sinc,
    _sinc_deriv,
    "sin(pi a) / (pi a), 1 at 0 (NumPy's normalised sinc). "
    "vjp: g (cos(pi a) - sinc(a)) / a, by its Taylor series near 0 (so sinc'(0) = 0 "
    "and sinc''(0) = -pi^2 / 3).",
)

__all__ = names(__name__)
