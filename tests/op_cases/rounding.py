"""Rows of the piecewise-constant ops: sign, rounding, and remainders with floor division."""

from __future__ import annotations

from typing import Any

import numpy as np
from strategies import arrays, away_from_kinks, shapes

from op_cases.case import EMPTY2, Case, unary


def _off_steps(x: np.ndarray) -> np.ndarray:
    """x moved to k + f, f in [0.1, 0.4) or [0.6, 0.9): away from integers and halves,
    where rounding jumps."""
    f = x - np.floor(x)
    return np.asarray(np.floor(x) + np.where(f < 0.5, 0.1 + 0.6 * f, 0.6 + 0.6 * (f - 0.5)))


def _remainder_args(draw: Any) -> tuple:
    shape = draw(shapes)
    b = draw(away_from_kinks(shape, -2.0, 2.0, gap=0.05))
    return _off_steps(draw(arrays(shape))) * b, b


CASES: dict[str, Case] = {
    "sign": Case(unary(away_from_kinks), np.sign),
    "floor": Case(lambda d: (_off_steps(d(arrays(d(shapes)))),), np.floor),
    "ceil": Case(lambda d: (_off_steps(d(arrays(d(shapes)))),), np.ceil),
    "round": Case(lambda d: (_off_steps(d(arrays(d(shapes)))),), np.round),
    "remainder": Case(_remainder_args, np.remainder, empty=EMPTY2),
    "mod": Case(_remainder_args, np.mod, empty=EMPTY2),
    "floor_divide": Case(_remainder_args, np.floor_divide, empty=EMPTY2),
}  # fmt: skip
