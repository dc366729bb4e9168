"""Rows of the activation functions (leaky_relu, elu, silu, gelu, logsigmoid) and of erf,
GELU's special function. The erf reference is its own series, not the op's ``math.erf``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as st
from strategies import arrays, away_from_kinks, shapes

from op_cases.case import EMPTY, Case, unary


def _np_leaky_relu(x: np.ndarray, slope: float) -> np.ndarray:
    return np.where(x > 0, x, slope * x)


def _np_elu(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _np_silu(x: np.ndarray) -> np.ndarray:
    return x / (1 + np.exp(-x))


def np_erf(x: np.ndarray) -> np.ndarray:
    """erf(x) = 2/sqrt(pi) e^(-x^2) sum_n (2 x^2)^n x / (1 3 5 ... (2n+1)): positive
    terms (no cancellation), 120 of them (enough for |x| <= 5)."""
    term = np.asarray(x, np.float64).copy()
    total = term.copy()
    for k in range(1, 120):
        term = term * (2 * x * x) / (2 * k + 1)
        total = total + term
    return 2 / math.sqrt(math.pi) * np.exp(-x * x) * total


def _gelu_args(draw: Any) -> tuple:
    return draw(arrays(draw(shapes))), draw(st.sampled_from(["none", "tanh"]))


def _np_gelu(x: np.ndarray, approximate: str) -> np.ndarray:
    if approximate == "none":
        return x / 2 * (1 + np_erf(x / math.sqrt(2)))
    return x / 2 * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def _np_logsigmoid(x: np.ndarray) -> np.ndarray:
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


CASES: dict[str, Case] = {
    "leaky_relu": Case(unary(away_from_kinks, 0.2), _np_leaky_relu, empty=(*EMPTY, 0.2)),
    "elu": Case(unary(away_from_kinks, 1.3), _np_elu, empty=(*EMPTY, 1.3)),
    "silu": Case(unary(arrays), _np_silu),
    "gelu": Case(_gelu_args, _np_gelu, empty=(*EMPTY, "none")),
    "erf": Case(unary(arrays), np_erf),
    "logsigmoid": Case(unary(arrays), _np_logsigmoid),
}  # fmt: skip
