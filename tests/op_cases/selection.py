"""Rows of the selection ops: elementwise maximum and minimum (NaN-propagating and not),
where and masked_fill."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import arrays, broadcast_pairs

from op_cases.case import EMPTY2, Case


def untied(draw: Any) -> tuple:
    """a on a grid of 0.1 and b halfway between grid points: never tied."""
    sa, sb = draw(broadcast_pairs())
    grid = st.integers(-30, 30)
    a = draw(hnp.arrays(np.int64, sa, elements=grid)) * 0.1
    b = draw(hnp.arrays(np.int64, sb, elements=grid)) * 0.1 + 0.05
    return np.asarray(a, np.float64), np.asarray(b, np.float64)


def where_args(draw: Any) -> tuple:
    sa, sb = draw(broadcast_pairs())
    cond = draw(arrays(np.broadcast_shapes(sa, sb))) > 0
    return cond, draw(arrays(sa)), draw(arrays(sb))


def masked_fill_args(draw: Any) -> tuple:
    """x, a boolean mask broadcasting with it (either may be the larger), and a value: a
    number or a 0-d tensor (which gets the filled positions' gradient)."""
    sa, sb = draw(broadcast_pairs())
    mask = draw(arrays(sb)) > 0
    value = draw(st.sampled_from([0.5, -2.0])) if draw(st.booleans()) else draw(arrays(()))
    return draw(arrays(sa)), mask, value


def _np_masked_fill(x: np.ndarray, mask: np.ndarray, value: Any) -> np.ndarray:
    return np.where(mask, value, x)


CASES: dict[str, Case] = {
    "maximum": Case(untied, np.maximum, empty=EMPTY2),
    "minimum": Case(untied, np.minimum, empty=EMPTY2),
    "fmax": Case(untied, np.fmax, empty=EMPTY2),
    "fmin": Case(untied, np.fmin, empty=EMPTY2),
    "where": Case(where_args, np.where, empty=(np.zeros((0, 3), bool), *EMPTY2)),
    "masked_fill": Case(masked_fill_args, _np_masked_fill,
                        empty=(EMPTY2[0], np.zeros(3, bool), np.zeros(()))),
}  # fmt: skip
