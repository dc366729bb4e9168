"""Rows of the activation functions: leaky_relu, elu, silu and logsigmoid."""

from __future__ import annotations

import numpy as np
from strategies import arrays, away_from_kinks

from op_cases.case import EMPTY, Case, unary


def _np_leaky_relu(x: np.ndarray, slope: float) -> np.ndarray:
    return np.where(x > 0, x, slope * x)


def _np_elu(x: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _np_silu(x: np.ndarray) -> np.ndarray:
    return x / (1 + np.exp(-x))


def _np_logsigmoid(x: np.ndarray) -> np.ndarray:
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


CASES: dict[str, Case] = {
    "leaky_relu": Case(unary(away_from_kinks, 0.2), _np_leaky_relu, empty=(*EMPTY, 0.2)),
    "elu": Case(unary(away_from_kinks, 1.3), _np_elu, empty=(*EMPTY, 1.3)),
    "silu": Case(unary(arrays), _np_silu),
    "logsigmoid": Case(unary(arrays), _np_logsigmoid),
}  # fmt: skip
