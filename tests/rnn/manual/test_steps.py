"""rnn.manual's one-step textbook pairs: gradients against finite differences, agreement
with the sequence functions, and the named pairs against the generic step."""

from __future__ import annotations

import numpy as np
import pytest
from manual_cases import T, assert_close, make_case
from parity import CELLS, has_c

from minigrad.gradcheck import numerical_grad
from rnn import manual

# ----------------------------------------------------------------------------------------------
# Step functions: gradients, and agreement with the sequence functions
# ----------------------------------------------------------------------------------------------


def run_steps(cell, x, params, h0, c0):
    """Unroll the generic step pair; return outputs, final states and step caches."""
    state, outs, caches = ((h0, c0) if has_c(cell) else (h0,)), [], []
    for t in range(x.shape[0]):
        state, step_cache = manual.step_forward(cell, x[t], state, params)
        outs.append(state[0])
        caches.append(step_cache)
    return np.stack(outs), state[0], (state[1] if has_c(cell) else None), caches


def step_backward(cell, dh, dc, step_cache):
    dx, dprev, grads = manual.step_backward((dh, dc) if has_c(cell) else (dh,), step_cache)
    return dx, dprev[0], (dprev[1] if has_c(cell) else None), grads


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize("cell", CELLS)
def test_step_gradients_match_finite_differences(cell, bias):
    params, x, h0, c0, R, S, _ = make_case(cell, seed=4, bias=bias)
    names = list(params)
    x1 = np.ascontiguousarray(x[0])
    dc = S if has_c(cell) else None
    *_, (step_cache,) = run_steps(cell, x[:1], params, h0, c0)
    dx, dh_prev, dc_prev, grads = step_backward(cell, R[0], dc, step_cache)

    def f(x1, h0, c0, *ps):
        _, h, c, _ = run_steps(cell, x1[None], dict(zip(names, ps, strict=True)), h0, c0)
        return np.sum(h * R[0]) + (np.sum(c * S) if has_c(cell) else 0.0)

    c_in = c0 if has_c(cell) else np.zeros(1)  # a dummy for rnn/gru gets zero gradient
    numeric = numerical_grad(f, [x1, h0, c_in, *(params[k] for k in names)])
    assert_close(dx, numeric[0], "dx")
    assert_close(dh_prev, numeric[1], "dh_prev")
    if has_c(cell):
        assert_close(dc_prev, numeric[2], "dc_prev")
    for name, num in zip(names, numeric[3:], strict=True):
        assert_close(grads[name], num, name)


@pytest.mark.parametrize("cell", CELLS)
def test_step_functions_agree_with_sequence(cell):
    """Unrolled step functions give the same out, and stepping dh[t] back gives dh[t-1]."""
    params, x, h0, c0, R, S, U = make_case(cell, seed=5)
    out, h_n, c_n, cache = manual.forward(cell, x, params, h0, c0)
    res = manual.backward(R, cache, S, U if has_c(cell) else None)
    step_out, step_h, step_c, caches = run_steps(cell, x, params, h0, c0)
    np.testing.assert_allclose(out, step_out, rtol=1e-12)
    np.testing.assert_allclose(h_n, step_h, rtol=1e-12)
    if has_c(cell):
        np.testing.assert_allclose(c_n, step_c, rtol=1e-12)
    total = {k: np.zeros_like(v) for k, v in params.items()}
    for t in range(T - 1, -1, -1):
        dc = res.dc[t] if has_c(cell) else None
        dx, dh_prev, dc_prev, grads = step_backward(cell, res.dh[t], dc, caches[t])
        np.testing.assert_allclose(dx, res.dx[t], rtol=1e-10, atol=1e-14)
        # dL/dh_{t-1} = dL/dout_{t-1} + W_hh^T-path from step t;  at t = 0 it is dh0
        expected = res.dh[t - 1] - R[t - 1] if t > 0 else res.dh0
        np.testing.assert_allclose(dh_prev, expected, rtol=1e-10, atol=1e-14)
        if has_c(cell):
            np.testing.assert_allclose(dc_prev, res.dc[t - 1] if t > 0 else res.dc0, rtol=1e-10)
        for k in total:
            total[k] += grads[k]
    for k in total:
        np.testing.assert_allclose(res.grads[k], total[k], rtol=1e-10, atol=1e-14)


def _rnn_pair(x, h, c, params):
    h1, cache = manual.rnn_step_forward(x, h, params, "relu")
    return (h1,), cache, lambda d: manual.rnn_step_backward(d[0], cache)


def _lstm_pair(x, h, c, params):
    h1, c1, cache = manual.lstm_step_forward(x, h, c, params)
    return (h1, c1), cache, lambda d: manual.lstm_step_backward(d[0], d[1], cache)


def _gru_pair(x, h, c, params):
    h1, cache = manual.gru_step_forward(x, h, params)
    return (h1,), cache, lambda d: manual.gru_step_backward(d[0], cache)


@pytest.mark.parametrize(
    ("cell", "pair", "nonlinearity"),
    [("rnn", _rnn_pair, "relu"), ("lstm", _lstm_pair, "tanh"), ("gru", _gru_pair, "tanh")],
)
def test_textbook_pairs_are_the_generic_step(cell, pair, nonlinearity):
    params, x, h0, c0, R, S, _ = make_case(cell, seed=6)
    new, _, backward = pair(x[0], h0, c0, params)
    state = (h0, c0) if has_c(cell) else (h0,)
    ref_new, ref_cache = manual.step_forward(cell, x[0], state, params, nonlinearity)
    for a, b in zip(new, ref_new, strict=True):
        np.testing.assert_array_equal(a, b)
    dstate = (R[0], S) if has_c(cell) else (R[0],)
    got = backward(dstate)
    dx, dprev, grads = manual.step_backward(dstate, ref_cache)
    for a, b in zip(got[:-1], (dx, *dprev), strict=True):
        np.testing.assert_array_equal(a, b)
    assert got[-1].keys() == grads.keys() == params.keys()
    for k in grads:
        np.testing.assert_array_equal(got[-1][k], grads[k])


def test_step_forward_rejects_a_sequence():
    params, x, h0, *_ = make_case("gru")
    with pytest.raises(ValueError, match=r"x must have shape \(N, I\), got \(5, 3, 3\)"):
        manual.gru_step_forward(x, h0, params)
    with pytest.raises(ValueError, match=r"h_prev must have shape \(3, 4\), got \(3, 5\)"):
        manual.step_forward("gru", x[0], (np.zeros((3, 5)),), params)
