"""The hand-derived step Jacobians agree with rnn.manual's hand-derived backward cores:
row b of J is the gradient that the core's backward sends to the previous state when the
new state's gradient is e_b."""

from __future__ import annotations

import numpy as np
import pytest

from rnn import manual
from rnn.manual import jacobians

H, I, N = 5, 3, 4


def _params(gates: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "weight_ih": rng.normal(0, 0.6, (gates * H, I)),
        "weight_hh": rng.normal(0, 0.6, (gates * H, H)),
        "bias_ih": rng.normal(0, 0.3, gates * H),
        "bias_hh": rng.normal(0, 0.3, gates * H),
    }


def _rows_from_backward(ref: manual.ReferenceCell, xp, state, p, **options) -> np.ndarray:
    """J (N, D, D) from D vector-Jacobian products per point through the core pair."""
    D = len(state) * H
    rep = tuple(np.repeat(s, D, axis=0) for s in state)
    _, cache = ref.forward(np.repeat(xp, D, axis=0), rep, p["weight_hh"], p["bias_hh"], **options)
    seed = np.tile(np.eye(D), (len(xp), 1))
    _, _, dprev = ref.backward(tuple(np.split(seed, len(state), axis=1)), cache)
    return np.concatenate(dprev, axis=1).reshape(len(xp), D, D)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_jacobian_matches_backward_core(nonlinearity: str) -> None:
    rng = np.random.default_rng(0)
    p = _params(1, rng)
    xp = rng.normal(size=(N, I)) @ p["weight_ih"].T + p["bias_ih"]
    h = rng.normal(size=(N, H))
    J = jacobians.rnn_step_jacobians(xp, h, p["weight_hh"], p["bias_hh"], nonlinearity)
    want = _rows_from_backward(manual.steps.RNN, xp, (h,), p, nonlinearity=nonlinearity)
    np.testing.assert_allclose(J, want, rtol=0, atol=1e-13)


def test_gru_jacobian_matches_backward_core() -> None:
    rng = np.random.default_rng(1)
    p = _params(3, rng)
    xp = rng.normal(size=(N, I)) @ p["weight_ih"].T + p["bias_ih"]
    h = rng.normal(size=(N, H))
    J = jacobians.gru_step_jacobians(xp, h, p["weight_hh"], p["bias_hh"])
    want = _rows_from_backward(manual.steps.GRU, xp, (h,), p)
    np.testing.assert_allclose(J, want, rtol=0, atol=1e-13)


def test_lstm_jacobian_matches_backward_core() -> None:
    rng = np.random.default_rng(2)
    p = _params(4, rng)
    xp = rng.normal(size=(N, I)) @ p["weight_ih"].T + p["bias_ih"]
    h, c = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    J = jacobians.lstm_step_jacobians(xp, h, c, p["weight_hh"], p["bias_hh"])
    want = _rows_from_backward(manual.steps.LSTM, xp, (h, c), p)
    np.testing.assert_allclose(J, want, rtol=0, atol=1e-13)
    # the c -> h block is diagonal, the c -> c block is diag(f)
    off = 1 - np.eye(H)
    assert np.all(J[:, :H, H:] * off == 0) and np.all(J[:, H:, H:] * off == 0)
    assert np.all(J[:, H:, H:].diagonal(axis1=1, axis2=2) > 0)
