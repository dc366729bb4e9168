"""Rows of the pointwise maps of one tensor: negation, exponentials and logarithms, roots, abs,
activations and clip."""

from __future__ import annotations

from typing import Any

import numpy as np
from strategies import arrays, away_from_kinks, positive_arrays, shapes

from op_cases.case import EMPTY, Case, inside, unary


def off_bounds(draw: Any) -> tuple:
    """x away from the clip bounds -1 and 1, where the derivative jumps."""
    x = draw(arrays(draw(shapes)))
    return np.where(np.abs(np.abs(x) - 1.0) < 1e-2, x + 0.05, x), -1.0, 1.0


CASES: dict[str, Case] = {
    "neg": Case(unary(), np.negative),
    "exp": Case(unary(), np.exp),
    "log": Case(unary(positive_arrays), np.log),
    "sqrt": Case(unary(positive_arrays), np.sqrt),
    "abs": Case(unary(away_from_kinks), np.abs),
    "tanh": Case(unary(), np.tanh),
    "sigmoid": Case(unary(), lambda x: 1 / (1 + np.exp(-x))),
    "relu": Case(unary(away_from_kinks), lambda x: np.maximum(x, 0)),
    "clip": Case(off_bounds, np.clip, empty=(*EMPTY, -1.0, 1.0)),
    "log1p": Case(inside(-0.9, 3.0), np.log1p),
    "expm1": Case(unary(), np.expm1),
    "log2": Case(unary(positive_arrays), np.log2),
    "log10": Case(unary(positive_arrays), np.log10),
    "exp2": Case(unary(), np.exp2),
}  # fmt: skip
