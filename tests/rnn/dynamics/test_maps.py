"""rnn.dynamics.maps: the engine's step Jacobians are the hand-derived ones; bad input."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import rnn
from rnn.dynamics import step_jacobians, step_map, trajectory
from rnn.manual import jacobians

I, H, T = 3, 6, 12


def _manual(model, x: np.ndarray) -> np.ndarray:
    """J_t from rnn.manual's hand-derived formulas along the model's own trajectory."""
    f = step_map(model)
    s = trajectory(model, x)[:-1]
    xp, w, b = f.project(x), f.weight_hh, f.bias_hh
    if f.kind.name == "lstm":
        return jacobians.lstm_step_jacobians(xp, s[:, :H], s[:, H:], w, b)
    if f.kind.name == "gru":
        return jacobians.gru_step_jacobians(xp, s, w, b)
    return jacobians.rnn_step_jacobians(xp, s, w, b, f.options["nonlinearity"])


MODELS = {
    "rnn-tanh": lambda: rnn.RNNCell(I, H, dtype=np.float64),
    "rnn-relu": lambda: rnn.RNNCell(I, H, nonlinearity="relu", dtype=np.float64),
    "gru": lambda: rnn.GRUCell(I, H, dtype=np.float64),
    "lstm": lambda: rnn.LSTMCell(I, H, dtype=np.float64),
    "gru-layer": lambda: rnn.GRU(I, H, dtype=np.float64),
    "lstm-layer-float32": lambda: rnn.LSTM(I, H),
    "rnn-no-bias": lambda: rnn.RNN(I, H, bias=False, dtype=np.float64),
}


@pytest.mark.parametrize("name", MODELS)
def test_engine_jacobians_equal_the_hand_derived_ones(name: str) -> None:
    minigrad.manual_seed(3)
    model = MODELS[name]()
    for p in model.parameters():
        p.data *= 3  # large weights: saturated gates and units, not just the linear regime
    x = np.random.default_rng(4).normal(size=(T, I))
    J = step_jacobians(model, x)
    D = H * len(model.kind.state)
    assert J.shape == (T, D, D) and J.dtype == np.float64
    np.testing.assert_allclose(J, _manual(model, x), rtol=0, atol=1e-12)
    assert np.abs(J).max() > 0.1


def test_initial_state_in_either_form() -> None:
    minigrad.manual_seed(0)
    cell = rnn.LSTMCell(I, H, dtype=np.float64)
    x = np.random.default_rng(0).normal(size=(4, I))
    h, c = np.full(H, 0.3), np.full(H, -0.2)
    joint = step_jacobians(cell, x, np.concatenate([h, c]))
    np.testing.assert_array_equal(joint, step_jacobians(cell, x, (h, c)))
    assert not np.allclose(joint, step_jacobians(cell, x))


def test_trajectory_is_the_layer_output() -> None:
    minigrad.manual_seed(1)
    layer = rnn.GRU(I, H, dtype=np.float64)
    x = np.random.default_rng(1).normal(size=(T, I))
    out, _ = layer(x[:, None, :])
    np.testing.assert_allclose(trajectory(layer, x)[1:], out.data[:, 0], rtol=0, atol=1e-14)


def test_bad_input_is_a_clear_error() -> None:
    cell = rnn.GRUCell(I, H, dtype=np.float64)
    x = np.zeros((5, I))
    with pytest.raises(ValueError, match=r"state must be \(6,\).*got \(5,\)"):
        step_jacobians(cell, x, np.zeros(5))
    with pytest.raises(ValueError, match=r"state must be \(12,\) or 2 array"):
        step_jacobians(rnn.LSTMCell(I, H), x, (np.zeros(H), np.zeros(H + 1)))
    with pytest.raises(ValueError, match=r"inputs must have shape \(T, 3\).*got \(5, 4\)"):
        step_jacobians(cell, np.zeros((5, 4)))
    bad = x.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="inputs are not finite at step 2"):
        step_jacobians(cell, bad)
    with pytest.raises(ValueError, match="one-layer, one-direction GRU"):
        step_jacobians(rnn.GRU(I, H, num_layers=2), x)
    with pytest.raises(TypeError, match=r"expected a cell .* got ndarray"):
        step_jacobians(np.eye(3), x)


def test_a_diverging_trajectory_is_a_clear_error() -> None:
    cell = rnn.RNNCell(1, 2, bias=False, nonlinearity="relu", dtype=np.float64)
    cell.weight_ih.data[:] = 1.0
    cell.weight_hh.data[:] = 100 * np.eye(2)
    with pytest.raises(ValueError, match=r"trajectory is not finite at step 1[0-9]+ of 400"):
        step_jacobians(cell, np.ones((400, 1)))


@pytest.mark.parametrize("cls", [rnn.RNNCell, rnn.GRUCell, rnn.LSTMCell])
def test_forward_and_reverse_mode_agree_with_the_transforms(cls) -> None:
    """Batched forward mode (the default), batched reverse mode and minigrad.func's
    jacfwd and jacrev of one step give the same Jacobians."""
    from minigrad.func import jacfwd, jacrev
    from rnn.dynamics.maps import batched_jacobians

    minigrad.manual_seed(6)
    cell = cls(I, H, dtype=np.float64)
    fmap = step_map(cell)
    rng = np.random.default_rng(6)
    xw = fmap.project(rng.normal(size=(4, I)))
    s = rng.normal(size=(4, fmap.dim))
    fwd = batched_jacobians(fmap, xw, s)
    np.testing.assert_allclose(batched_jacobians(fmap, xw, s, "reverse"), fwd, atol=1e-14)
    for t in range(4):
        f = lambda v, t=t: fmap.step(minigrad.tensor(xw[t : t + 1]), v.reshape(1, -1))[0]  # noqa: E731
        point = minigrad.tensor(s[t])
        np.testing.assert_allclose(jacfwd(f)(point).data, fwd[t], atol=1e-14)
        np.testing.assert_allclose(jacrev(f)(point).data, fwd[t], atol=1e-14)
    with pytest.raises(ValueError, match="mode must be 'forward' or 'reverse'"):
        batched_jacobians(fmap, xw, s, "sideways")
