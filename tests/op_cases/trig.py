"""Rows of the trigonometric and hyperbolic ops, their inverses, arctan2, hypot and sinc."""

from __future__ import annotations

from typing import Any

import numpy as np
from strategies import arrays, away_from_kinks

from op_cases.case import EMPTY2, Case, binary, inside, unary


def _off_origin(shape: Any) -> Any:
    """|a| >= 0.3: arctan2's derivatives grow as 1/r^k near the origin, where central
    differences of its second derivative lose their digits."""
    return away_from_kinks(shape, gap=0.03)


CASES: dict[str, Case] = {
    "sin": Case(unary(), np.sin),
    "cos": Case(unary(), np.cos),
    "tan": Case(inside(-1.3, 1.3), np.tan),
    "arcsin": Case(inside(-0.9, 0.9), np.arcsin),
    "arccos": Case(inside(-0.9, 0.9), np.arccos),
    "arctan": Case(unary(), np.arctan),
    "sinh": Case(unary(), np.sinh),
    "cosh": Case(unary(), np.cosh),
    "arcsinh": Case(unary(), np.arcsinh),
    "arccosh": Case(inside(1.1, 3.0), np.arccosh),
    "arctanh": Case(inside(-0.9, 0.9), np.arctanh),
    "arctan2": Case(binary(_off_origin, arrays), np.arctan2, empty=EMPTY2),
    "hypot": Case(binary(away_from_kinks, away_from_kinks), np.hypot, empty=EMPTY2),
    "sinc": Case(unary(away_from_kinks), np.sinc),
}  # fmt: skip
