"""Rows of the conversions: cast (NumPy's ``astype``), PyTorch's ``to`` and ``type_as``,
and ``clone``."""

from __future__ import annotations

from typing import Any

import numpy as np
from strategies import arrays, shapes

from op_cases.case import EMPTY, Case, unary, zeros


def _np_cast(x: np.ndarray, dtype: Any) -> np.ndarray:
    return x.astype(dtype)


def _like(draw: Any) -> tuple:
    """x, and another float tensor whose dtype to take (it gets no gradient)."""
    return draw(arrays(draw(shapes))), draw(arrays(draw(shapes)))


def _np_type_as(x: np.ndarray, other: np.ndarray) -> np.ndarray:
    return x.astype(other.dtype)


CASES: dict[str, Case] = {
    "cast": Case(unary(arrays, np.float64), _np_cast, False, (*EMPTY, np.float64)),
    "to": Case(unary(arrays, np.float64), _np_cast, False, (*EMPTY, np.float64)),
    "type_as": Case(_like, _np_type_as, empty=(*EMPTY, zeros(2))),
    "clone": Case(unary(), np.copy),
}  # fmt: skip
