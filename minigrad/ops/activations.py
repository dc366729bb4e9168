"""Activation functions of ``torch.nn.functional`` written from primitives:
``leaky_relu``, ``elu``, ``silu``, ``gelu``, ``logsigmoid`` (and ``relu``, ``sigmoid``
and ``tanh`` are primitives of :mod:`.unary`). Their gradients are their primitives'.

The piecewise ones pick their branch with ``where`` on a mask computed as a
``derived`` value (a compiled replay computes it anew from each call's input), the
mask PyTorch's kernels use: "not x <= 0" for elu, "x > 0" for leaky_relu, so the
derivative at 0 and at NaN is PyTorch's. The branch that is not taken is never
evaluated where it could overflow (elu's exp is taken of min(x, 0) only), so no inf
or NaN leaks into the gradient through it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import derived, floating, to_tensor
from .elementwise import add, logaddexp, mul, sub
from .explog import expm1
from .registry import composite, names
from .select import where
from .special import erf
from .unary import neg, sigmoid, tanh


def _positive(x: np.ndarray) -> np.ndarray:
    return x > 0


def _not_at_most_zero(x: np.ndarray) -> np.ndarray:
    return ~(x <= 0)


def _activation_input(x: Any, op: str) -> Tensor:
    return floating(to_tensor(x, None, op))


@composite(top_level=True)
def leaky_relu(x: Any, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope x (``torch.nn.functional.leaky_relu``).
    vjp: g where x > 0, else negative_slope g (negative_slope at 0 and at NaN, as
    PyTorch)."""
    x = _activation_input(x, "leaky_relu")
    if isinstance(negative_slope, Tensor):
        raise TypeError("leaky_relu: negative_slope must be a number, got a Tensor")
    up = derived("leaky_relu mask", _positive, x)
    return where(up, x, mul(x, float(negative_slope)))


@composite(top_level=True)
def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """x where x > 0, else alpha (e^x - 1) (``torch.nn.functional.elu``, computed with
    ``expm1``). vjp: g where x > 0 (or NaN), else alpha e^x g (alpha at 0, as
    PyTorch)."""
    x = _activation_input(x, "elu")
    if isinstance(alpha, Tensor):
        raise TypeError("elu: alpha must be a number, got a Tensor")
    up = derived("elu mask", _not_at_most_zero, x)
    below = expm1(where(up, 0.0, x))  # e^x - 1 of min(x, 0): never an overflow
    return where(up, x, mul(below, float(alpha)))


@composite(top_level=True)
def silu(x: Any) -> Tensor:
    """x sigmoid(x), the swish (``torch.nn.functional.silu``). vjp: g s (1 + x (1 - s)),
    s = sigmoid(x).

    Written x * sigmoid(x): its gradient stays finite for any x (x / (1 + e^-x) would
    give inf / inf at x = -1000). Where sigmoid rounds to 0 (x below about -37 in
    float64) the result is -0.0 rather than PyTorch's tiny x e^x.
    """
    x = _activation_input(x, "silu")
    return mul(x, sigmoid(x))


# GELU's constants, as PyTorch's kernels write them: 1/sqrt(2) for the exact form;
# sqrt(2/pi) and 0.044715 for the tanh approximation.
_SQRT1_2 = math.sqrt(0.5)
_TANH_BETA = math.sqrt(2.0) * (2.0 / math.sqrt(math.pi)) * 0.5
_TANH_KAPPA = 0.044715


@composite(top_level=True)
def gelu(x: Any, approximate: str = "none") -> Tensor:
    """x Phi(x), Phi the standard normal CDF (``torch.nn.functional.gelu``): with
    ``approximate="none"`` x/2 (1 + erf(x / sqrt(2))), with ``"tanh"``
    x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). vjp: g (Phi(x) + x phi(x)) for
    "none", phi the normal density; the tanh form's derivative for "tanh".

    Both are written as PyTorch's kernels compute them (the same products in the same
    order), from ``erf`` and ``tanh``. Far in the negative tail 1 + erf rounds to 0 and
    the result to -0.0, as PyTorch's (x = -inf gives NaN in both).
    """
    x = _activation_input(x, "gelu")
    half = mul(x, 0.5)
    if approximate == "none":
        return mul(half, add(erf(mul(x, _SQRT1_2)), 1.0))
    if approximate == "tanh":
        inner = add(x, mul(mul(mul(x, x), x), _TANH_KAPPA))
        return mul(half, add(tanh(mul(inner, _TANH_BETA)), 1.0))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


@composite(top_level=True)
def logsigmoid(x: Any) -> Tensor:
    """log sigmoid(x) = -softplus(-x) = -logaddexp(0, -x), stable for any x
    (``torch.nn.functional.logsigmoid``). vjp: g (1 - sigmoid(x))."""
    x = _activation_input(x, "logsigmoid")
    return sub(0.0, logaddexp(neg(x), 0.0))  # 0 - y: +0.0 at large x, as PyTorch


__all__ = names(__name__)
