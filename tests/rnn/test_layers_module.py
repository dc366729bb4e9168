"""RNN, LSTM and GRU layers as modules: dropout only in training, the scopes their graph is
tagged with, constructor errors, state-dict names, shapes and order, the default init, and
the layer class of each kind (the layers' numbers against ``rnn.manual``:
test_layers_manual.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from parity import CELLS, GATES, PARAM_NAMES, make_layer, suffix

import minigrad
import rnn
from rnn.cells import cell_kind
from rnn.layers import layer_class

F64 = np.float64


# ------------------------------------------------------------------------------ dropout


def _two_calls(layer, x):
    return layer(minigrad.tensor(x))[0].numpy(), layer(minigrad.tensor(x))[0].numpy()


def test_dropout_only_in_training_mode():
    minigrad.manual_seed(0)
    layer = rnn.LSTM(3, 4, num_layers=2, dropout=0.5, dtype=F64)
    x = np.random.default_rng(1).normal(size=(6, 2, 3))
    layer.eval()
    a, b = _two_calls(layer, x)
    np.testing.assert_array_equal(a, b)
    layer.train()
    c, d = _two_calls(layer, x)
    assert not np.allclose(c, d)
    assert not np.allclose(c, a)


def test_dropout_not_applied_to_last_layer_output_or_states():
    minigrad.manual_seed(0)
    x = np.random.default_rng(1).normal(size=(6, 2, 3))
    with pytest.warns(UserWarning, match=r"GRU: dropout=0.5 is applied between stacked layers"):
        one = rnn.GRU(3, 4, num_layers=1, dropout=0.5, dtype=F64)
    train_a, train_b = _two_calls(one.train(), x)
    eval_out = one.eval()(minigrad.tensor(x))[0].numpy()
    np.testing.assert_array_equal(train_a, eval_out)
    np.testing.assert_array_equal(train_b, eval_out)
    # two layers: dropout sits between the layers; layer 0's final state is untouched
    two = rnn.RNN(3, 4, num_layers=2, dropout=0.5, dtype=F64)
    h_train = two.train()(minigrad.tensor(x))[1].numpy()
    h_eval = two.eval()(minigrad.tensor(x))[1].numpy()
    np.testing.assert_array_equal(h_train[0], h_eval[0])
    assert not np.allclose(h_train[1], h_eval[1])


# ------------------------------------------------------------------------------ scopes


def _nodes(root):
    """Every node reachable from a tensor, by an iterative walk."""
    seen, stack = set(), [root._node]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(p for p in node.parents if type(p) is type(node))
    return seen


def test_scopes_tag_layer_direction_and_time_step():
    T = 5
    layer = rnn.LSTM(3, 2, num_layers=2, bidirectional=True, dtype=F64)
    x = minigrad.tensor(np.random.default_rng(0).normal(size=(T, 2, 3)))
    out, (h_n, c_n) = layer(x)
    scopes = {n.scope for n in _nodes(out.sum() + h_n.sum() + c_n.sum())}
    assert ("layer=1", "dir=reverse", "t=3") in scopes
    for k in range(2):
        for d in ("forward", "reverse"):
            for t in range(T):
                assert (f"layer={k}", f"dir={d}", f"t={t}") in scopes
    # every scope with a time step sits under a layer and a direction; gate slices
    # are tagged by their gate inside the step
    for s in scopes:
        if any(p.startswith("t=") for p in s):
            assert len(s) in (3, 4) and s[0].startswith("layer=") and s[1].startswith("dir=")
            assert len(s) == 3 or s[3] in {"gate=i|f", "gate=i", "gate=f", "gate=g", "gate=o"}


def test_scopes_unidirectional_have_no_direction():
    layer = rnn.GRU(2, 2, dtype=F64)
    out, _ = layer(minigrad.tensor(np.ones((3, 1, 2))))
    scopes = {n.scope for n in _nodes(out.sum())}
    assert {("layer=0", "t=0"), ("layer=0", "t=1"), ("layer=0", "t=2")} <= scopes
    assert minigrad.current_scope() == ()


# ------------------------------------------------------------------------------ constructor


def test_bad_constructor_arguments():
    with pytest.raises(
        ValueError, match=r"nonlinearity must be one of tanh, relu, modrelu, got 'sigmoid'"
    ):
        rnn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\], got 1.5"):
        rnn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(ValueError, match=r"must be positive, got 3, 0, 1"):
        rnn.GRU(3, 0)


# ------------------------------------------------------------------------------ state dicts


def expected_names(num_layers, bidirectional, bias):
    names = []
    for k in range(num_layers):
        for d in range(2 if bidirectional else 1):
            for n in PARAM_NAMES if bias else PARAM_NAMES[:2]:
                names.append(n + suffix(k, d))
    return names


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(
    "num_layers, bidirectional, bias", [(1, False, True), (3, True, True), (2, True, False)]
)
def test_state_dict_names_shapes_and_order(cell, num_layers, bidirectional, bias):
    I, H, G = 3, 5, GATES[cell]
    layer = make_layer(
        cell,
        input_size=I,
        hidden_size=H,
        num_layers=num_layers,
        bidirectional=bidirectional,
        bias=bias,
    )
    sd = layer.state_dict()
    assert list(sd) == expected_names(num_layers, bidirectional, bias)
    D = 2 if bidirectional else 1
    for name, value in sd.items():
        k = int(name.split("_l")[1].split("_")[0])
        layer_in = I if k == 0 else D * H
        want = {
            "weight_ih": (G * H, layer_in),
            "weight_hh": (G * H, H),
            "bias_ih": (G * H,),
            "bias_hh": (G * H,),
        }[name.split("_l")[0]]
        assert value.shape == want, name
        assert value.dtype == F64


@pytest.mark.parametrize("cell", CELLS)
def test_default_init_uniform_within_bound(cell):
    minigrad.manual_seed(3)
    H = 16
    layer = make_layer(cell, input_size=8, hidden_size=H, num_layers=2, bidirectional=True)
    bound = 1 / np.sqrt(H)
    values = np.concatenate([v.ravel() for v in layer.state_dict().values()])
    assert np.abs(values).max() <= bound
    # spread over the whole interval, not a constant or a narrow normal
    assert values.max() > 0.9 * bound and values.min() < -0.9 * bound
    assert abs(values.mean()) < 0.05 * bound * 10


def test_load_state_dict_round_trip():
    a = rnn.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=F64)
    b = rnn.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=F64)
    b.load_state_dict({k: v.tolist() for k, v in a.state_dict().items()})
    x = minigrad.tensor(np.random.default_rng(0).normal(size=(4, 2, 3)))
    np.testing.assert_array_equal(a(x)[0].numpy(), b(x)[0].numpy())


def _run_lstm(layer, x, h0, c0):
    """out, h_n, c_n and every gradient (input, states, parameters by name) of a
    forward and backward of ``layer``."""
    x, h0, c0 = (minigrad.tensor(a, requires_grad=True) for a in (x, h0, c0))
    out, (h, c) = layer(x, (h0, c0))
    ((out * out).sum() + h.sum() + (c * c).sum()).backward()
    grads = {n: p.grad for n, p in layer.named_parameters()}
    return [out.numpy(), h.numpy(), c.numpy(), x.grad, h0.grad, c0.grad], grads


def test_lstm_made_float32_computes_in_float64_after_double():
    minigrad.manual_seed(0)
    layer = rnn.LSTM(3, 4, num_layers=2, bidirectional=True)
    assert layer.dtype == np.float32
    built = rnn.LSTM(3, 4, num_layers=2, bidirectional=True, dtype=F64)
    built.load_state_dict(layer.state_dict())
    assert layer.double() is layer and layer.dtype == F64
    assert {p.dtype for p in layer.parameters()} == {np.dtype(F64)}
    rng = np.random.default_rng(1)
    x, h0, c0 = rng.normal(size=(5, 2, 3)), rng.normal(size=(4, 2, 4)), rng.normal(size=(4, 2, 4))
    got, got_grads = _run_lstm(layer, x, h0, c0)
    want, want_grads = _run_lstm(built, x, h0, c0)
    for a, b in zip(got, want, strict=True):
        assert a.dtype == F64
        np.testing.assert_array_equal(a, b)
    assert list(got_grads) == list(want_grads)
    for name, g in got_grads.items():
        assert g.dtype == F64, name
        np.testing.assert_array_equal(g, want_grads[name])
    with pytest.raises(TypeError, match="input has dtype float32 but the parameters are float64"):
        layer(minigrad.tensor(x.astype(np.float32)))
    assert layer.float().dtype == np.float32 and layer(minigrad.tensor(x, dtype=np.float32))


def test_a_compiled_lstm_follows_double():
    minigrad.manual_seed(0)
    layer = rnn.LSTM(3, 4)
    step = minigrad.compile(lambda x: layer(x)[0].sum())
    x = np.random.default_rng(2).normal(size=(5, 2, 3))
    step(minigrad.tensor(x, dtype=np.float32))
    layer.double()
    got = step(minigrad.tensor(x))
    assert got.dtype == F64 and got.item() == layer(minigrad.tensor(x))[0].sum().item()


def test_layer_class_of_each_kind():
    assert [layer_class(n) for n in CELLS[:3]] == [rnn.RNN, rnn.LSTM, rnn.GRU]
    for name in CELLS:
        assert layer_class(name).cell == name
        assert make_layer(name, input_size=2, hidden_size=3).kind is cell_kind(name)
    with pytest.raises(ValueError, match=r"cell must be one of rnn, lstm, gru\b.*got 'elman'"):
        layer_class("elman")


def test_single_state_kind_given_a_pair_says_so():
    """An LSTM's (h0, c0) handed to a GRU: named as a pair, not as a shape mismatch."""
    layer = rnn.GRU(5, 3)
    x = minigrad.randn(4, 1, 5)
    with pytest.raises(TypeError, match=r"GRU: the initial state is h0 alone, got a tuple of 2"):
        layer(x, (minigrad.zeros(1, 1, 3), minigrad.zeros(1, 1, 3)))


def test_scope_restored_when_a_step_raises(monkeypatch):
    """The layer sets each step's scope and resets once at the end: an error in a step
    leaves the caller's scope as it was."""
    import rnn.cells

    calls = {"n": 0}
    real = rnn.cells.addmm

    def failing(*args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("step failed")
        return real(*args)

    monkeypatch.setattr(rnn.cells, "addmm", failing)
    layer = rnn.RNN(3, 4)
    with minigrad.scope("outer"):
        with pytest.raises(RuntimeError, match="step failed"):
            layer(minigrad.randn(5, 2, 3))
        assert minigrad.tape.current_scope() == ("outer",)
    assert minigrad.tape.current_scope() == ()


def test_options_at_their_defaults_are_not_bound():
    """A step's options equal to its own defaults are left out of the bound call (the
    tanh RNN calls its step directly); others are bound, as keywords."""
    from rnn.unrolling import bound as _bound

    step = cell_kind("rnn").step
    assert _bound(step, {"nonlinearity": "".join(["ta", "nh"])}) is step
    relu = _bound(step, {"nonlinearity": "relu"})
    assert relu.keywords == {"nonlinearity": "relu"}

    def custom(xw, state, w_hh_t, b_hh, scale=1.0):
        return state

    assert _bound(custom, {"scale": 1.0}) is custom
    assert _bound(custom, {"scale": np.float64(1.0)}).keywords == {"scale": 1.0}
    assert _bound(custom, {"scale": True}).keywords == {"scale": True}
