"""rnn.compare: the autodiff-vs-manual report agrees on correct code and catches a wrong one."""

import numpy as np
import pytest
from parity import CELLS, has_c, make_layer

import rnn.compare as compare_mod
from rnn import manual
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


def test_a_gradient_beyond_tolerance_is_named_when_every_step_agrees(monkeypatch):
    # the verdict came without its reason: "every step agrees within tolerance", then
    # "result: MISMATCH", with the table the only place to find the parameter at fault
    real = manual.backward

    def skewed(dout, cache, dh_n=None, dc_n=None):
        res = real(dout, cache, dh_n=dh_n, dc_n=dc_n)
        res.grads["bias_hh"] = res.grads["bias_hh"] * 1.01
        res.grads["weight_ih"] = res.grads["weight_ih"] * np.nan
        return res

    monkeypatch.setattr(compare_mod.manual, "backward", skewed)
    report = compare("gru", steps=4)
    assert report.first_divergence is None and not report.ok
    text = str(report).splitlines()
    rel = {r.name: r.max_rel for r in report.rows}
    assert text[-3:] == [
        "every step agrees within tolerance",
        f"beyond tolerance: weight_ih_l0 (nan), bias_hh_l0 ({rel['bias_hh_l0']:.2e})",
        "result: MISMATCH",
    ]
    loose = str(compare("gru", steps=4, tol=0.1)).splitlines()  # NaN is beyond any
    assert loose[-2:] == ["beyond tolerance: weight_ih_l0 (nan)", "result: MISMATCH"]
    monkeypatch.undo()
    assert "beyond tolerance:" not in str(compare("gru", steps=4))


def test_a_step_that_is_not_a_number_is_beyond_tolerance(monkeypatch):
    # NaN > tol is False: a NaN dL/dh_t on one side passed as "agrees within tolerance"
    real = manual.backward

    def broken(dout, cache, dh_n=None, dc_n=None):
        res = real(dout, cache, dh_n=dh_n, dc_n=dc_n)
        res.dh[2] = np.nan
        return res

    monkeypatch.setattr(compare_mod.manual, "backward", broken)
    report = compare("gru", steps=5)
    assert report.first_divergence == 2 and not report.ok
    assert "first step beyond tolerance: t=2" in str(report) and "MISMATCH" in str(report)


def test_inputs_that_are_not_numbers_are_not_said_to_agree():
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    x[2, 0, 1] = np.nan
    text = str(compare_layer(make_layer("gru", input_size=3, hidden_size=4), x))
    assert "every step agrees" not in text and "first step beyond tolerance: t=0" in text


CONFIGS = {
    "batch-first": dict(batch_first=True),
    "3-layers": dict(num_layers=3),
    "bidir": dict(bidirectional=True),
    "2-bidir-bf": dict(num_layers=2, bidirectional=True, batch_first=True),
}


@pytest.mark.parametrize("lengths", [None, [5, 2, 1]], ids=["full", "lengths"])
@pytest.mark.parametrize("config", list(CONFIGS.values()), ids=list(CONFIGS))
@pytest.mark.parametrize("cell", CELLS)
def test_compare_layer_accepts_any_layer(cell, config, lengths):
    layer = make_layer(cell, input_size=3, hidden_size=4, **config)
    shape = (3, 5, 3) if layer.batch_first else (5, 3, 3)
    report = compare_layer(layer, np.random.default_rng(0).normal(size=shape), lengths=lengths)
    assert report.ok, str(report)
    assert report.max_abs < 1e-10
    names = [r.name for r in report.rows]
    assert [n for n, _ in layer.named_parameters()] == [n for n in names if "_l" in n]
    assert {"output", "h_n", "dx", "dh0"} <= set(names)
    assert ("dc0" in names) == has_c(cell)
    rows = {r.name: r for r in report.rows}
    assert rows["dx"].shape == shape and rows["output"].shape[:2] == shape[:2]
    D = 2 if layer.bidirectional else 1
    keys = [(k, d) for k in range(layer.num_layers) for d in range(D)]
    assert list(report.layer_steps) == keys and report.divergences == dict.fromkeys(keys)
    for norms in report.layer_steps.values():
        assert [t for t, _, _ in norms] == list(range(5))
        assert all(abs(a - m) < 1e-10 for _, a, m in norms)
    text = str(report)
    last = f"layer {layer.num_layers - 1}, {'reverse' if D == 2 else 'forward'}:"
    assert (last in text) == (len(keys) > 1)
    assert "result: MATCH" in text


def test_a_wrong_step_in_a_deep_reverse_layer_is_located(monkeypatch):
    real = manual.backward
    calls = []

    def skewed(dout, cache, dh_n=None, dc_n=None):
        res = real(dout, cache, dh_n=dh_n, dc_n=dc_n)
        calls.append(cache.reverse)
        if len(calls) == 1:  # the top layer's forward direction is the first one back
            res.dh[3] *= 1.01
        return res

    monkeypatch.setattr(compare_mod.manual, "backward", skewed)
    layer = make_layer("gru", input_size=2, hidden_size=3, num_layers=2, bidirectional=True)
    report = compare_layer(layer, np.random.default_rng(1).normal(size=(6, 2, 2)))
    assert not report.ok
    assert report.divergences == {(0, 0): None, (0, 1): None, (1, 0): 3, (1, 1): None}
    assert report.first_divergence == 3
    assert "first step beyond tolerance in layer 1, forward: t=3" in str(report)


def test_compare_layer_refuses_random_dropout():
    layer = make_layer("lstm", input_size=2, hidden_size=3, num_layers=2, dropout=0.5)
    with pytest.raises(ValueError, match=r"dropout is random; call layer.eval\(\)"):
        compare_layer(layer, np.zeros((2, 1, 2)))
    assert compare_layer(layer.eval(), np.ones((2, 1, 2))).ok


@pytest.mark.parametrize("tol", [0.0, -1e-3, float("nan"), float("inf")])
def test_a_tolerance_that_bounds_nothing_is_refused(tol):
    # NaN reported MISMATCH under "every step agrees", inf MATCH whatever the errors
    with pytest.raises(ValueError, match=r"tol must be a finite number > 0, got"):
        compare("gru", tol=tol)


def test_per_step_errors_are_what_the_tolerance_bounds():
    report = compare("lstm", steps=4, tol=1e-300)
    (errors,) = report.step_errors.values()
    assert len(errors) == 4 and any(e > 0 for e in errors)
    assert report.first_divergence == next(t for t, e in enumerate(errors) if e > 1e-300)
    table = str(report).split("max rel err")[-1]
    assert f"{errors[0]:.2e}" in table.splitlines()[1]
