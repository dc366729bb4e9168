"""The test table of the ops: one row per registered op, and the check every row runs.

``CASES[name]`` says how to draw inputs for op ``name`` and what NumPy computes for
them. :func:`check_case` runs the op on the drawn inputs and asserts that

- the forward matches the NumPy reference (float64);
- the gradient matches finite differences (``minigrad.gradcheck``, float64);
- float32 inputs give float32 outputs (no silent upcast).

The rows live by op family, one module each (``op_cases/arithmetic.py``,
``op_cases/selection.py``, ``op_cases/shape.py``, ``op_cases/indexing.py``, ...); this
module joins them into one table. The tests of each ops module run the check for every op
that module registers (``tests/minigrad/ops/test_<module>.py``), and ``test_registry.py``
checks that this table and the registry name the same ops: a new op without a row fails
there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad import Tensor, gradcheck
from minigrad.ops.registry import REGISTRY
from op_cases import (
    activations,
    arithmetic,
    casts,
    indexing,
    layout,
    linalg,
    pointwise,
    reductions,
    rounding,
    selection,
    shape,
    softmax,
    trig,
)
from op_cases.arguments import _joined, _leaves, _with
from op_cases.case import Case, unary
from op_cases.indexing import INDICES
from op_cases.linalg import _expm_taylor

FAMILIES = (
    arithmetic,
    selection,
    pointwise,
    activations,
    casts,
    trig,
    rounding,
    reductions,
    softmax,
    shape,
    indexing,
    layout,
    linalg,
)

CASES: dict[str, Case] = {}
for _family in FAMILIES:
    _twice = set(CASES) & set(_family.CASES)
    assert not _twice, f"{_family.__name__}: rows {sorted(_twice)} already in the table"
    CASES.update(_family.CASES)

__all__ = [
    "CASES",
    "INDICES",
    "Case",
    "_expm_taylor",
    "_joined",
    "_leaves",
    "_with",
    "check_case",
    "check_empty",
    "unary",
]


def check_case(name: str, draw: Any) -> None:
    """Forward against NumPy, gradient against finite differences, float32 kept."""
    case, op = CASES[name], REGISTRY[name].forward
    args = case.draw(draw)
    leaves = _leaves(args)
    for p, r in _against_numpy(name, args, leaves):
        np.testing.assert_allclose(p.data, r, rtol=1e-12, atol=1e-12, err_msg=name)
    if leaves:
        gradcheck(lambda *ts: _joined(op(*_with(args, list(ts)))), leaves)
        if case.keeps_float32:
            small = [Tensor(v.astype(np.float32)) for v in leaves]
            out32 = op(*_with(args, small))
            pieces = out32 if isinstance(out32, list | tuple) else [out32]
            dtypes = {p.dtype for p in pieces if p.dtype.kind == "f"}
            assert dtypes <= {np.dtype(np.float32)}, f"{name}: float32 inputs gave {dtypes}"


def check_empty(name: str) -> None:
    """The op on its row's zero-size arguments: NumPy's result (shape and values),
    and a gradient of each input's shape that finite differences agree with."""
    op = REGISTRY[name].forward
    args = CASES[name].empty
    leaves = _leaves(args)
    pairs = _against_numpy(name, args, leaves)
    for p, r in pairs:
        np.testing.assert_array_equal(p.data, r, err_msg=name)
    if leaves and pairs:
        report = gradcheck(lambda *ts: _joined(op(*_with(args, list(ts)))), leaves)
        assert report.ok


def _against_numpy(name: str, args: tuple, leaves: list) -> list[tuple[Tensor, Any]]:
    """The op's outputs on ``args`` beside NumPy's, paired after checking that there are
    as many and that each pair has one shape."""
    out = REGISTRY[name].forward(*_with(args, [Tensor(v) for v in leaves]))
    ref = CASES[name].ref(*args)
    pieces = list(out) if isinstance(out, list | tuple) else [out]
    refs = ref if isinstance(out, list | tuple) else [ref]
    assert len(pieces) == len(refs), f"{name}: {len(pieces)} pieces, NumPy has {len(refs)}"
    for p, r in zip(pieces, refs, strict=True):
        assert p.shape == np.shape(r), f"{name}: shape {p.shape}, NumPy gives {np.shape(r)}"
    return list(zip(pieces, refs, strict=True))
