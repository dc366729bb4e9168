"""rnn.manual's fast loops (the built-in kinds' path through ``forward`` / ``backward``)
against the textbook step cores run by the same sequence functions, in float64, for every
option; and ``input_grad=False``. (Against autodiff: tests/rnn/test_compare.py, 1e-10.)"""

from __future__ import annotations

import numpy as np
import pytest
from manual_cases import LENGTHS, make_case

from rnn import manual
from rnn.manual import steps

BUILT_IN = {"rnn": steps.RNN, "lstm": steps.LSTM, "gru": steps.GRU}
CASES = [("rnn", "tanh"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]


def cores_only(cell: str) -> manual.ReferenceCell:
    """The same cell under another identity: ``forward`` runs its step core at each step."""
    ref = BUILT_IN[cell]
    return manual.ReferenceCell(f"{cell}_cores", ref.gates, ref.state, ref.forward,
                                ref.backward, ref.options)  # fmt: skip


def run(cell, case, lengths, reverse, nonlinearity, input_grad=True):
    params, x, h0, c0, R, S, U = case
    out, h_n, c_n, cache = manual.forward(cell, x, params, h0, c0, lengths, reverse, nonlinearity)
    res = manual.backward(R, cache, S, U if c0 is not None else None, input_grad=input_grad)
    arrays = {"out": out, "h_n": h_n, "c_n": c_n, "dx": res.dx, "dh0": res.dh0,
              "dc0": res.dc0, "dh": res.dh, "dc": res.dc}  # fmt: skip
    arrays.update(res.grads)
    return {k: None if v is None else np.array(v) for k, v in arrays.items()}


@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "lengths"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize(("cell", "nonlinearity"), CASES, ids=["rnn", "rnn-relu", "lstm", "gru"])
def test_fast_loops_equal_the_step_cores(cell, nonlinearity, bias, lengths, reverse):
    case = make_case(cell, seed=3, bias=bias)
    fast = run(cell, case, lengths, reverse, nonlinearity)
    cores = run(cores_only(cell), case, lengths, reverse, nonlinearity)
    assert fast.keys() == cores.keys()
    for name, want in cores.items():
        got = fast[name]
        if want is None:
            assert got is None, name
            continue
        assert got.shape == want.shape and got.dtype == np.float64, name
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, err_msg=name)
    assert set(fast) >= ({"bias_ih", "bias_hh"} if bias else {"weight_ih"})


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_no_input_gradient_skips_dx_only(cell, dtype):
    case = make_case(cell, seed=4, dtype=dtype)
    full = run(cell, case, LENGTHS, False, "tanh")
    skip = run(cell, case, LENGTHS, False, "tanh", input_grad=False)
    assert full["dx"] is not None and skip["dx"] is None
    for name, want in full.items():
        if name != "dx" and want is not None:
            assert skip[name].dtype == dtype, name
            np.testing.assert_array_equal(skip[name], want, err_msg=name)


def test_extreme_pre_activations_stay_finite_without_warnings():
    # σ(a) = (tanh(a/2) + 1) / 2 never overflows; pytest turns RuntimeWarning into errors
    params, x, h0, c0, R, S, U = make_case("lstm", seed=5)
    params = {k: v * 1e4 for k, v in params.items()}
    out, _, c_n, cache = manual.forward("lstm", x, params, h0, c0)
    res = manual.backward(R, cache, S, U)
    assert np.isfinite(out).all() and np.isfinite(c_n).all()
    assert all(np.isfinite(g).all() for g in res.grads.values())
    assert np.abs(out).max() <= 1.0
