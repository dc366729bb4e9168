"""rnn.compare: the autodiff-vs-manual report agrees on correct code and catches a wrong one."""

import numpy as np
import pytest
from parity import CELLS, has_c

import rnn.compare as compare_mod
from rnn import LSTM, manual
from rnn.compare import compare, compare_layer


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("lengths", [None, [7, 4, 1]])
def test_autodiff_matches_manual_to_1e10(cell, lengths):
    report = compare(cell, input_size=3, hidden_size=5, steps=7, batch=3, lengths=lengths)
    assert report.ok, str(report)
    assert report.max_abs < 1e-10
    assert report.first_divergence is None
    names = [r.name for r in report.rows]
    assert {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "dx", "dh0"} <= set(names)
    assert ("dc0" in names) == has_c(cell)
    assert len(report.step_norms) == 7
    assert all(a > 0 and abs(a - m) < 1e-10 for _, a, m in report.step_norms)


def test_table_lists_every_gradient_and_step():
    text = str(compare("gru", steps=4))
    for word in ("weight_hh_l0", "dh0", "|dL/dh_t| autodiff", "result: MATCH"):
        assert word in text
    assert len([line for line in text.splitlines() if line.strip().startswith(("0 ", "3 "))]) >= 2


def test_float32_within_its_own_tolerance():
    report = compare("lstm", dtype=np.float32)
    assert report.ok and report.tol == 1e-4
    assert 0 < report.max_abs < 1e-4


def test_a_wrong_reference_is_reported_at_the_right_step(monkeypatch):
    real = manual.backward

    def skewed(dout, cache, dh_n=None, dc_n=None):
        res = real(dout, cache, dh_n=dh_n, dc_n=dc_n)
        res.dh[2] *= 1.01
        res.grads["weight_hh"] = res.grads["weight_hh"] * 1.01
        return res

    monkeypatch.setattr(compare_mod.manual, "backward", skewed)
    report = compare("rnn", steps=5)
    assert not report.ok
    assert report.first_divergence == 2
    assert "MISMATCH" in str(report)


def test_compare_layer_refuses_stacked_layers():
    with pytest.raises(ValueError, match="one-layer"):
        compare_layer(LSTM(2, 3, num_layers=2, dtype=np.float64), np.zeros((2, 1, 2)))
