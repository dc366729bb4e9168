"""rnn.arguments: what a layer is called with is checked, and the errors name the values."""

from __future__ import annotations

import re

import numpy as np
import pytest
from parity import CELLS, has_c, make_cell, make_layer

import minigrad
import rnn

F64 = np.float64


@pytest.fixture
def lstm():
    return rnn.LSTM(3, 4, num_layers=2, dtype=F64)


def test_wrong_input_size(lstm):
    with pytest.raises(ValueError, match=r"expected input size 3, got 5.*\(6, 2, 5\)"):
        lstm(np.zeros((6, 2, 5)))


@pytest.mark.parametrize("shape", [(3,), (1, 6, 2, 3)])
def test_wrong_ndim(lstm, shape):
    with pytest.raises(
        ValueError, match=r"expected input of shape \(T, N, 3\).*got " + re.escape(str(shape))
    ):
        lstm(np.zeros(shape))


def test_wrong_h0_shape(lstm):
    x = np.zeros((6, 2, 3))
    bad = np.zeros((1, 2, 4))
    good = np.zeros((2, 2, 4))
    with pytest.raises(ValueError, match=r"expected h0 of shape \(2, 2, 4\), got \(1, 2, 4\)"):
        lstm(x, (bad, good))
    with pytest.raises(ValueError, match=r"expected c0 of shape \(2, 2, 4\), got \(2, 2, 3\)"):
        lstm(x, (good, np.zeros((2, 2, 3))))
    with pytest.raises(TypeError, match=r"tuple \(h0, c0\)"):
        lstm(x, good)
    gru = rnn.GRU(3, 4, bidirectional=True, dtype=F64)
    with pytest.raises(ValueError, match=r"expected h0 of shape \(2, 2, 4\), got \(1, 2, 4\)"):
        gru(x, bad)


@pytest.mark.parametrize(
    "lengths, message",
    [
        ([7, 2], r"between 1 and T=6, got 7"),
        ([0, 2], r"between 1 and T=6, got 0"),
        ([3, 2, 1], r"lengths must be 2 integers.*shape \(3,\)"),
        ([2.0, 1.0], r"lengths must be 2 integers.*float64"),
    ],
    ids=["too-long", "zero", "wrong-count", "not-integers"],
)
def test_bad_lengths(lstm, lengths, message):
    with pytest.raises(ValueError, match=message):
        lstm(np.zeros((6, 2, 3)), lengths=lengths)


def test_wrong_dtype():
    layer = rnn.GRU(3, 4, dtype=F64)
    x32 = minigrad.tensor(np.zeros((6, 2, 3), dtype=np.float32))
    with pytest.raises(TypeError, match=r"input has dtype float32 but the parameters are float64"):
        layer(x32)
    h32 = minigrad.tensor(np.zeros((1, 2, 4), dtype=np.float32))
    with pytest.raises(TypeError, match=r"h0 has dtype float32 but the parameters are float64"):
        layer(minigrad.tensor(np.zeros((6, 2, 3))), h32)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("shape", [(0, 2, 3), (0, 3)], ids=["batched", "unbatched"])
def test_no_time_steps_is_a_clear_error(cell, shape):
    layer = make_layer(cell, input_size=3, hidden_size=4)
    with pytest.raises(ValueError, match=r"the input has no time steps"):
        layer(np.zeros(shape))


# ------------------------------------------------------------------------------ complex values


@pytest.mark.parametrize("cell", CELLS)
def test_layer_refuses_complex_input_and_state(cell):
    layer = make_layer(cell, input_size=3, hidden_size=4)
    name = type(layer).__name__
    x = np.ones((5, 2, 3)) + 1j
    with pytest.raises(TypeError, match=rf"{name}: the input is complex \(complex128\)"):
        layer(x)
    with pytest.raises(TypeError, match=rf"{name}: the input is complex"):
        layer(x.tolist())
    h0 = np.zeros((1, 2, 4), np.complex64)
    hx = (h0, np.zeros((1, 2, 4))) if has_c(cell) else h0
    with pytest.raises(TypeError, match=rf"{name}: h0 is complex \(complex64\)"):
        layer(x.real, hx)


@pytest.mark.parametrize("cell", CELLS)
def test_cell_refuses_complex_input_and_state(cell):
    mod = make_cell(cell)
    name = type(mod).__name__
    with pytest.raises(TypeError, match=rf"{name}: the input is complex \(complex128\)"):
        mod(np.ones((2, 3)) * 1j)
    h = np.zeros((2, 4), np.complex128)
    with pytest.raises(TypeError, match=rf"{name}: the state is complex \(complex128\)"):
        mod(np.ones((2, 3)), (h, np.zeros((2, 4))) if has_c(cell) else h)
