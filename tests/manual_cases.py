"""The cases the rnn.manual tests share: sizes, random parameters and inputs, the loss.

``L = sum(out * R) + sum(h_n * S) (+ sum(c_n * U))``: every output is exercised. Everything
cell-specific is read from ``rnn.cells.CELL_KINDS``.
"""

from __future__ import annotations

import numpy as np
from parity import GATES, has_c

T, N, I, H = 5, 3, 3, 4
LENGTHS = np.array([5, 2, 1])


def make_params(cell, rng, bias=True, dtype=np.float64, input_size=I, hidden=H):
    G = GATES[cell]
    params = {
        "weight_ih": rng.normal(0, 0.6, (G * hidden, input_size)),
        "weight_hh": rng.normal(0, 0.6, (G * hidden, hidden)),
    }
    if bias:
        params["bias_ih"] = rng.normal(0, 0.5, G * hidden)
        params["bias_hh"] = rng.normal(0, 0.5, G * hidden)
    return {k: v.astype(dtype) for k, v in params.items()}


def make_case(cell, seed=0, bias=True, dtype=np.float64):
    """Inputs, initial states and fixed loss weights R, S, U for L = sum(out R) + ..."""
    rng = np.random.default_rng(seed)
    params = make_params(cell, rng, bias, dtype)
    x = rng.normal(size=(T, N, I)).astype(dtype)
    h0 = rng.normal(0, 0.5, (N, H)).astype(dtype)
    c0 = rng.normal(0, 0.5, (N, H)).astype(dtype) if has_c(cell) else None
    R, S, U = (rng.normal(size=s).astype(dtype) for s in [(T, N, H), (N, H), (N, H)])
    return params, x, h0, c0, R, S, U


def loss(out, h_n, c_n, R, S, U):
    """L = sum(out * R) + sum(h_n * S) (+ sum(c_n * U)): every output is exercised."""
    total = np.sum(out * R) + np.sum(h_n * S)
    return total + (np.sum(c_n * U) if c_n is not None else 0.0)


def assert_close(actual, expected, what, rtol=1e-7):
    scale = max(np.abs(expected).max(), 1e-3)
    err = np.abs(actual - expected).max() / scale
    assert err < rtol, f"{what}: relative error {err:.2e}"
