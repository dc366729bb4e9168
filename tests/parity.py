"""What the rnn tests share: the cell kinds, the parameter names and one closeness check.

Importable from any test (``pythonpath = ["tests"]``): ``from parity import assert_close``.
"""

from __future__ import annotations

import numpy as np

from rnn.manual import GATES, PARAM_NAMES

__all__ = ["GATES", "KINDS", "KIND_IDS", "PARAM_NAMES", "TOL", "assert_close"]

# (cell, nonlinearity): relu only for the vanilla cell.
KINDS = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
KIND_IDS = ["rnn-tanh", "rnn-relu", "lstm", "gru"]
TOL = 1e-10


def assert_close(actual, expected, what, tol=TOL):
    """Max absolute error, relative to the larger of 1 and the reference's magnitude."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
    err = float(np.abs(actual - expected).max(initial=0.0)) / scale
    assert err <= tol, f"{what}: error {err:.3e} > {tol:.0e}"
    return err
