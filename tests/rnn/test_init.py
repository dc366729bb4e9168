"""rnn.init: the values follow their formulas, every layer and direction is filled, the
draws are reproducible by seed, and the gates mean in PyTorch what they mean here."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import rnn
from rnn.init import CHRONO_GATES, INITS, chrono_, identity_, initialise, orthogonal_
from rnn.layers import GRU, LSTM, RNN

F64 = np.float64


def blocks(w: np.ndarray, H: int) -> list[np.ndarray]:
    return [w[g * H : (g + 1) * H] for g in range(w.shape[0] // H)]


def all_layers(module) -> list[tuple[np.ndarray, ...]]:
    if isinstance(module, rnn.layers.RNNBase):
        return [
            tuple(p.data for p in module.layer_parameters(k, d)[1:])
            for k in range(module.num_layers)
            for d in range(module.num_directions)
        ]
    return [(module.weight_hh.data, module.bias_ih.data, module.bias_hh.data)]


MODULES = [
    lambda: RNN(3, 7, num_layers=2, bidirectional=True, dtype=F64),
    lambda: LSTM(3, 7, num_layers=2, bidirectional=True, dtype=F64),
    lambda: GRU(3, 7, num_layers=2, dtype=F64),
    lambda: rnn.LSTMCell(3, 7, dtype=F64),
    lambda: rnn.GRUCell(3, 7, dtype=F64),
    lambda: rnn.RNNCell(3, 7, nonlinearity="relu", dtype=F64),
]
IDS = ["RNN", "LSTM", "GRU", "LSTMCell", "GRUCell", "RNNCell"]


@pytest.mark.parametrize("make", MODULES, ids=IDS)
def test_orthogonal_makes_every_gate_block_orthogonal(make):
    module = orthogonal_(make(), gain=1.0, generator=np.random.default_rng(0))
    for w, _, _ in all_layers(module):
        for q in blocks(w, 7):
            np.testing.assert_allclose(q.T @ q, np.eye(7), atol=1e-12)
            np.testing.assert_allclose(q @ q.T, np.eye(7), atol=1e-12)
        gates = blocks(w, 7)
        if len(gates) > 1:  # independent draws, not one matrix repeated
            assert not np.allclose(gates[0], gates[1])


def test_orthogonal_gain_scales_the_singular_values():
    layer = orthogonal_(LSTM(2, 5, dtype=F64), gain=0.5, generator=np.random.default_rng(1))
    for q in blocks(layer.weight_hh_l0.data, 5):
        np.testing.assert_allclose(np.linalg.svd(q, compute_uv=False), 0.5, atol=1e-12)


@pytest.mark.parametrize("make", MODULES, ids=IDS)
def test_identity_fills_each_block_with_the_identity(make):
    module = identity_(make(), gain=0.9)
    for w, _, _ in all_layers(module):
        for block in blocks(w, 7):
            np.testing.assert_array_equal(block, 0.9 * np.eye(7))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_chrono_biases_follow_the_formula(cell):
    H, t_max = 1000, 120.0
    layer = (LSTM if cell == "lstm" else GRU)(2, H, dtype=F64)
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    chrono_(layer, t_max, generator=np.random.default_rng(3))
    keep, write = CHRONO_GATES[cell]
    b_ih, b_hh = layer.bias_ih_l0.data, layer.bias_hh_l0.data
    u = np.exp(b_ih[keep * H : (keep + 1) * H])
    # u ~ U(1, T_max - 1): within the range, and mean and spread of a uniform
    assert u.min() >= 1.0 and u.max() <= t_max - 1
    assert u.min() < 1.6 and u.max() > t_max - 1.6
    assert abs(u.mean() - t_max / 2) < 0.03 * t_max
    assert abs(u.std() - (t_max - 2) / np.sqrt(12)) < 0.03 * t_max
    assert np.all(b_hh[keep * H : (keep + 1) * H] == 0)
    if write is not None:
        np.testing.assert_array_equal(b_ih[write * H : (write + 1) * H], -np.log(u))
        assert np.all(b_hh[write * H : (write + 1) * H] == 0)
    # the other gates' biases and all weights are left as they were
    touched = {keep, write} - {None}
    for g in set(range(layer.kind.gates)) - touched:
        for name in ("bias_ih_l0", "bias_hh_l0"):
            sl = slice(g * H, (g + 1) * H)
            np.testing.assert_array_equal(layer.state_dict()[name][sl], before[name][sl])
    for name in ("weight_ih_l0", "weight_hh_l0"):
        np.testing.assert_array_equal(layer.state_dict()[name], before[name])


def test_chrono_fills_every_layer_and_direction_with_its_own_draw():
    layer = chrono_(LSTM(2, 6, num_layers=2, bidirectional=True), 50.0)
    forget = [b_ih[6:12] for _, b_ih, _ in all_layers(layer)]
    assert len(forget) == 4
    for f in forget:
        assert np.all((f >= 0) & (f <= np.log(49) + 1e-6))
    assert not np.allclose(forget[0], forget[1])


@pytest.mark.parametrize("name", ["chrono", "orthogonal"])
def test_the_same_seed_gives_the_same_values(name):
    def draw(seed):
        minigrad.manual_seed(seed)
        return initialise(GRU(3, 5), name, t_max=30.0).state_dict()

    a, b, c = draw(7), draw(7), draw(8)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert any(not np.array_equal(a[k], c[k]) for k in a)


def test_a_generator_makes_the_draw_independent_of_the_global_seed():
    a = orthogonal_(LSTM(2, 4), generator=np.random.default_rng(5)).weight_hh_l0.data
    minigrad.manual_seed(123)
    b = orthogonal_(LSTM(2, 4), generator=np.random.default_rng(5)).weight_hh_l0.data
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept(dtype):
    layer = initialise(LSTM(2, 4, dtype=dtype), ["chrono", "orthogonal"], t_max=10.0)
    assert all(v.dtype == dtype for v in layer.state_dict().values())


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="lstm and gru"):
        chrono_(RNN(2, 3), 10.0)
    with pytest.raises(ValueError, match="t_max must be a finite number > 2, got 2"):
        chrono_(LSTM(2, 3), 2.0)
    with pytest.raises(ValueError, match="no biases"):
        chrono_(GRU(2, 3, bias=False), 10.0)
    with pytest.raises(ValueError, match="needs t_max"):
        initialise(LSTM(2, 3), "chrono")
    with pytest.raises(ValueError, match="init must be one of default, chrono"):
        initialise(LSTM(2, 3), "xavier")
    with pytest.raises(TypeError, match="expected a recurrent layer or cell"):
        orthogonal_(minigrad.nn.Linear(2, 3))
    assert INITS[0] == "default"


def test_default_changes_nothing():
    layer = LSTM(2, 3)
    before = {k: v.copy() for k, v in layer.state_dict().items()}
    initialise(layer, "default")
    for k, v in layer.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


# ------------------------------------------------------------------ PyTorch's layout

torch = pytest.importorskip("torch")


@pytest.mark.torch
@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_chrono_keep_gate_means_the_same_in_pytorch(cell):
    """With zero weights, zero input and the candidate's biases zeroed, one step of the
    PyTorch cell from state 1 returns the keep gate itself: LSTM c' = f * 1 + i * 0,
    GRU h' = (1 - z) * 0 + z * 1. It must be sigmoid(log u) = u / (1 + u), in
    [1/2, 1 - 1/T_max]: a chrono state dict means in PyTorch what it means here."""
    H, t_max = 50, 40.0
    ours = chrono_((rnn.LSTMCell if cell == "lstm" else rnn.GRUCell)(3, H, dtype=F64), t_max)
    state = {k: torch.from_numpy(v.copy()) for k, v in ours.state_dict().items()}
    state["weight_ih"].zero_()
    state["weight_hh"].zero_()
    candidate = 2  # g of (i, f, g, o), n of (r, z, n)
    state["bias_ih"][candidate * H : (candidate + 1) * H] = 0
    state["bias_hh"][candidate * H : (candidate + 1) * H] = 0
    x = torch.zeros(1, 3, dtype=torch.float64)
    one = torch.ones(1, H, dtype=torch.float64)
    if cell == "lstm":
        tcell = torch.nn.LSTMCell(3, H, dtype=torch.float64)
        tcell.load_state_dict(state)
        keep = tcell(x, (one, one))[1]
    else:
        tcell = torch.nn.GRUCell(3, H, dtype=torch.float64)
        tcell.load_state_dict(state)
        keep = tcell(x, one)
    keep = keep.detach().numpy()[0]
    u = np.exp(ours.bias_ih.data[H : 2 * H])
    np.testing.assert_allclose(keep, u / (1 + u), rtol=1e-12)
    assert keep.min() >= 0.5 and keep.max() <= 1 - 1 / t_max + 1e-12


def test_initializers_given_a_generator_inside_a_compiled_function_run_it_eagerly() -> None:
    """rnn.init draws through minigrad's generator hook: a compiled function that
    re-initialises a layer runs eagerly (with a warning), drawing what eager code draws."""
    import warnings

    import minigrad

    x = minigrad.tensor(np.random.default_rng(0).normal(size=(3, 2, 4)))

    def run(compiled: bool) -> list[float]:
        g = np.random.default_rng(1)
        minigrad.manual_seed(0)
        layer = rnn.RNN(4, 3, dtype=np.float64)

        def f(x):
            rnn.init.orthogonal_(layer, generator=g)
            return layer(x)[0].sum()

        step = minigrad.compile(f) if compiled else f
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [step(x).item() for _ in range(3)]

    assert run(True) == run(False)
