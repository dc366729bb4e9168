"""Orthogonal recurrent weights (rnn/constraints.py), Henaff's initialisation
(rnn.init.henaff_) and the modReLU nonlinearity (rnn.cells.modrelu), each against
its formula, the manual reference and the errors a user meets."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import rnn
from minigrad import Tensor
from rnn.cells import modrelu
from rnn.compare import compare, compare_layer
from rnn.constraints import orthogonal_recurrence, recurrent_weight_names
from rnn.init import henaff_, initialise


def _orthogonal(w: np.ndarray) -> bool:
    return bool(np.allclose(w @ w.T, np.eye(w.shape[0]), atol=1e-12))


def test_every_recurrent_weight_of_a_layer_becomes_orthogonal():
    minigrad.manual_seed(0)
    layer = rnn.RNN(3, 6, num_layers=2, bidirectional=True, dtype=np.float64)
    orthogonal_recurrence(layer)
    names = recurrent_weight_names(layer)
    assert names == ["weight_hh_l0", "weight_hh_l0_reverse", "weight_hh_l1", "weight_hh_l1_reverse"]
    for name in names:
        assert _orthogonal(getattr(layer, name).numpy())
    params = dict(layer.named_parameters())
    assert "parametrizations.weight_hh_l1_reverse.original" in params
    assert "weight_hh_l0" not in params
    out, _ = layer(np.random.default_rng(0).normal(size=(4, 2, 3)))
    out.sum().backward()
    assert params["parametrizations.weight_hh_l0.original"].grad is not None


def test_a_cell_can_be_constrained_and_gated_kinds_are_refused():
    cell = orthogonal_recurrence(rnn.RNNCell(3, 4, dtype=np.float64))
    assert _orthogonal(cell.weight_hh.numpy())
    with pytest.raises(ValueError, match=r"lstm stacks 4 gate blocks in weight_hh \(32, 8\)"):
        orthogonal_recurrence(rnn.LSTM(3, 8))
    with pytest.raises(TypeError, match="expected a recurrent layer or cell"):
        orthogonal_recurrence(minigrad.nn.Linear(3, 3))


def test_henaff_writes_rotations_or_their_generator():
    minigrad.manual_seed(1)
    plain = henaff_(rnn.RNN(2, 5, dtype=np.float64), np.random.default_rng(2))
    constrained = orthogonal_recurrence(rnn.RNN(2, 5, dtype=np.float64))
    henaff_(constrained, np.random.default_rng(2))
    w = plain.weight_hh_l0.numpy()
    # Same angles: exp of the skew-symmetric blocks is the rotation matrix written directly.
    np.testing.assert_allclose(constrained.weight_hh_l0.numpy(), w, atol=1e-14)
    a = constrained.parametrizations.weight_hh_l0.original.numpy()
    np.testing.assert_array_equal(a, -a.T)
    theta = np.arctan2(w[0, 1], w[0, 0])
    assert a[0, 1] == pytest.approx(theta) and -np.pi <= theta <= np.pi
    assert w[4, 4] == 1.0 and np.count_nonzero(w) == 9  # two 2x2 blocks and a 1
    with pytest.raises(ValueError, match=r"henaff_: .*need a square weight_hh .*got \(9, 3\)"):
        initialise(rnn.GRU(2, 3), "henaff")


def test_modrelu_is_its_formula_with_its_derivatives():
    z = np.array([[-2.0, -0.05, 0.3, 1.5]])
    b = np.array([0.1, 0.1, -0.5, -0.2])
    zt, bt = Tensor(z, requires_grad=True), Tensor(b, requires_grad=True)
    out = modrelu(zt, bt)
    np.testing.assert_allclose(out.numpy(), np.sign(z) * np.maximum(np.abs(z) + b, 0))
    out.sum().backward()
    on = np.abs(z) + b > 0
    np.testing.assert_array_equal(zt.grad, on.astype(float))
    np.testing.assert_array_equal(bt.grad, (np.sign(z) * on).sum(axis=0))


@pytest.mark.parametrize("bias", [True, False])
def test_modrelu_layer_matches_manual_bptt(bias):
    """Autodiff against the hand-derived reference, thresholds large enough that units
    fall on both sides of the dead band, with padding and both directions."""
    minigrad.manual_seed(3)
    layer = rnn.RNN(3, 5, num_layers=2, bidirectional=True, nonlinearity="modrelu",
                    bias=bias, dtype=np.float64)  # fmt: skip
    if bias:
        for k in range(2):
            for d in range(2):
                b = layer.layer_parameters(k, d)[3]
                with minigrad.no_grad():
                    b.copy_(np.random.default_rng(10 * k + d).uniform(-0.6, 0.3, 5))
    x = np.random.default_rng(4).normal(size=(6, 3, 3))
    report = compare_layer(layer, x, lengths=[6, 4, 1])
    assert report.ok, report
    assert compare("rnn", nonlinearity="modrelu", bias=bias).ok


def test_modrelu_thresholds_start_small_and_are_the_layers_bias_hh():
    minigrad.manual_seed(5)
    layer = rnn.RNN(4, 64, nonlinearity="modrelu")
    b = layer.bias_hh_l0.numpy()
    assert np.abs(b).max() <= 0.01 and np.abs(b).max() > 0.005
    assert np.abs(layer.bias_ih_l0.numpy()).max() > 0.05  # the input bias keeps its init
    assert "nonlinearity='modrelu'" in repr(rnn.RNNCell(2, 3, nonlinearity="modrelu"))
    assert np.abs(rnn.RNNCell(2, 64, nonlinearity="modrelu").bias_hh.numpy()).max() <= 0.01


def test_modrelu_step_of_a_cell_and_a_layer_agree():
    minigrad.manual_seed(6)
    layer = rnn.RNN(3, 4, nonlinearity="modrelu", dtype=np.float64)
    cell = rnn.RNNCell(3, 4, nonlinearity="modrelu", dtype=np.float64)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = np.random.default_rng(7).normal(size=(3, 2, 3))
    out, _ = layer(x)
    h = None
    for t in range(3):
        h = cell(x[t], h)
        np.testing.assert_allclose(h.numpy(), out.numpy()[t], rtol=1e-13)


@pytest.mark.parametrize("init", ["orthogonal_", "identity_"])
def test_inits_that_write_w_hh_refuse_a_parametrized_weight(init):
    layer = rnn.RNN(3, 4, dtype=np.float64)
    orthogonal_recurrence(layer)
    before = layer.weight_hh_l0.numpy().copy()
    with pytest.raises(ValueError, match=rf"{init}: .*weight_hh_l0 is parametrized"):
        getattr(rnn.init, init)(layer)
    np.testing.assert_array_equal(layer.weight_hh_l0.numpy(), before)


def test_rnn_submodules_are_attributes_after_import_rnn():
    assert rnn.init.henaff_ is henaff_
    assert rnn.constraints.orthogonal_recurrence is orthogonal_recurrence
