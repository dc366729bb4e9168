"""What the rnn tests share: the cell kinds, the parameter names and one closeness check.

Importable from any test (``pythonpath = ["tests"]``): ``from parity import assert_close``.
Everything cell-specific is read from ``rnn.cells.CELL_KINDS``, so a registered kind is tested
like the built-in ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnn.cells import CELL_KINDS, cell_kind
from rnn.layers import layer_class
from rnn.manual import PARAM_NAMES

__all__ = [
    "CELLS",
    "GATES",
    "KINDS",
    "KIND_IDS",
    "PARAM_NAMES",
    "TOL",
    "assert_close",
    "has_c",
    "make_cell",
    "make_layer",
    "options",
    "suffix",
]

CELLS = list(CELL_KINDS)
GATES = {name: kind.gates for name, kind in CELL_KINDS.items()}
# (cell, nonlinearity): relu and modrelu only for kinds whose step takes a nonlinearity.
KINDS = [
    (name, nl)
    for name, kind in CELL_KINDS.items()
    for nl in (("tanh", "relu", "modrelu") if "nonlinearity" in kind.options else ("tanh",))
]
KIND_IDS = [name if (name, "relu") not in KINDS else f"{name}-{nl}" for name, nl in KINDS]
TOL = 1e-10


def has_c(cell: str) -> bool:
    """Whether the kind's state is (h, c) rather than h alone."""
    return len(cell_kind(cell).state) == 2


def options(cell: str, nonlinearity: str = "tanh") -> dict[str, Any]:
    """The constructor options for ``cell`` (the nonlinearity, for kinds that take one)."""
    return {"nonlinearity": nonlinearity} if "nonlinearity" in cell_kind(cell).options else {}


def make_cell(cell: str, nonlinearity: str = "tanh", I=3, H=4, bias=True, dtype=np.float64):
    """A ``*Cell`` module of the kind, from its description."""
    cls = cell_kind(cell).cell_class
    return cls(I, H, bias=bias, dtype=dtype, **options(cell, nonlinearity))


def suffix(k: int, d: int) -> str:
    """The parameter-name suffix of layer ``k``, direction ``d`` (1 = reverse): ``_l1_reverse``."""
    return f"_l{k}" + ("_reverse" if d else "")


def make_layer(cell: str, nonlinearity: str = "tanh", **kw):
    """A layer of the kind (float64 unless ``dtype`` is given)."""
    kw.setdefault("dtype", np.float64)
    return layer_class(cell)(**kw, **options(cell, nonlinearity))


def assert_close(actual, expected, what, tol=TOL):
    """Max absolute error, relative to the larger of 1 and the reference's magnitude."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    err = float(np.abs(actual - expected).max(initial=0.0)) / scale
    assert err <= tol, f"{what}: error {err:.3e} > {tol:.0e}"
    return err
