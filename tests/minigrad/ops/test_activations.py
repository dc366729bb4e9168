"""Activation functions (minigrad/ops/activations.py): the table-driven check of every
op, then PyTorch's derivatives at 0 and NaN, extreme inputs without NaN gradients, and
the same functions compiled."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor, functional
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.activations"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every activation in the registry against its row of tests/op_cases/."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.activations"))
def test_zero_size_dimensions(name):
    check_empty(name)


def _grad(fn, x):
    t = Tensor(np.asarray(x, np.float64), requires_grad=True)
    fn(t).backward(np.ones(t.shape))
    return t.grad


def test_derivatives_at_0_and_nan_are_pytorchs():
    x = [0.0, -0.0, np.nan]
    np.testing.assert_array_equal(_grad(lambda t: minigrad.leaky_relu(t, 0.2), x), [0.2, 0.2, 0.2])
    np.testing.assert_array_equal(_grad(lambda t: minigrad.elu(t, 1.5), x), [1.5, 1.5, 1.0])
    np.testing.assert_array_equal(_grad(minigrad.silu, [0.0]), [0.5])
    np.testing.assert_array_equal(_grad(minigrad.logsigmoid, [0.0]), [0.5])
    np.testing.assert_array_equal(_grad(minigrad.gelu, [0.0]), [0.5])


def test_extreme_inputs_give_finite_values_and_gradients():
    x = np.array([-1000.0, -40.0, 40.0, 1000.0])
    for fn in (
        minigrad.elu,
        minigrad.silu,
        minigrad.gelu,
        minigrad.logsigmoid,
        minigrad.leaky_relu,
    ):
        t = Tensor(x, requires_grad=True)
        y = fn(t)
        y.backward(np.ones(4))
        assert np.isfinite(y.data).all() and np.isfinite(t.grad).all(), fn.__name__
    ls = minigrad.logsigmoid(Tensor(x)).data
    np.testing.assert_allclose(ls, [-1000.0, -40.0, -np.exp(-40.0), 0.0], rtol=1e-15, atol=0)
    assert not np.signbit(ls[3])  # +0.0, as PyTorch's
    np.testing.assert_array_equal(minigrad.elu(Tensor(x)).data, [-1.0, -1.0, 40.0, 1000.0])


def test_activations_are_in_functional_and_keep_float32():
    for name in ("leaky_relu", "elu", "silu", "gelu", "logsigmoid"):
        fn = getattr(functional, name)
        assert fn is getattr(minigrad, name) and name in functional.__all__
        assert fn(Tensor(np.ones(2, np.float32))).dtype == np.float32
        assert fn(Tensor(np.array([1, -2]))).dtype == minigrad.get_default_dtype()


@pytest.mark.parametrize("shape", [(4, 3), ()])
@pytest.mark.parametrize("name", names("minigrad.ops.activations"))
def test_compiled_activations_replay_each_calls_branches(name, shape):
    # a 0-d input too: its mask is a NumPy scalar (x > 0 of a 0-d array), which a
    # capture must still see as computed from x
    fn = getattr(minigrad, name)
    compiled = minigrad.compile(lambda x: (fn(x) ** 2).sum())
    rng = np.random.default_rng(0)
    for k in range(4):  # the signs (the branches taken) change from call to call
        x = rng.standard_normal(shape) * (-1) ** k
        a, b = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
        got, want = compiled(a), (fn(b) ** 2).sum()
        got.backward()
        want.backward()
        np.testing.assert_allclose(got.data, want.data, rtol=1e-14)
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-14)
    assert compiled.captures == 1


def test_exact_gelu_is_x_phi_x_to_1e_15_in_float64():
    """GELU's erf form against x/2 erfc(-x/sqrt(2)) (the same function by math.erfc,
    free of the cancellation of 1 + erf in the negative tail): error below
    1e-15 max(1, |x|) on [-10, 10] (measured: 2.2e-16), and its derivative
    Phi(x) + x phi(x) below 1e-15 (measured: 2.2e-16)."""
    x = np.linspace(-10.0, 10.0, 40001)
    erfc = np.vectorize(math.erfc)
    phi_cdf = erfc(-x / math.sqrt(2)) / 2
    t = Tensor(x, requires_grad=True)
    y = minigrad.gelu(t)
    y.backward(np.ones_like(x))
    assert (np.abs(y.data - x * phi_cdf) / np.maximum(1.0, np.abs(x))).max() < 1e-15
    density = np.exp(-x * x / 2) / math.sqrt(2 * math.pi)
    assert np.abs(t.grad - (phi_cdf + x * density)).max() < 1e-15


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_matches_pytorchs_values_and_gradients_to_1e_15(approximate):
    torch = pytest.importorskip("torch")
    x = np.concatenate([np.linspace(-10.0, 10.0, 20001), [0.0, -0.0, 40.0, -40.0]])
    t = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.gelu(t, approximate=approximate)
    ty.backward(torch.ones_like(ty))
    m = Tensor(x, requires_grad=True)
    y = minigrad.gelu(m, approximate)
    y.backward(np.ones_like(x))
    scale = np.maximum(1.0, np.abs(x))
    assert (np.abs(y.data - ty.detach().numpy()) / scale).max() < 1e-15
    assert np.abs(m.grad - t.grad.numpy()).max() < (1e-15 if approximate == "none" else 1e-14)


def test_gelu_names_its_approximations_and_the_parameters_are_numbers():
    with pytest.raises(ValueError, match=r"^gelu: approximate must be 'none' or 'tanh', got 'erf'"):
        minigrad.gelu(Tensor(np.ones(2)), "erf")
    with pytest.raises(TypeError, match=r"^leaky_relu: negative_slope must be a number"):
        minigrad.leaky_relu(Tensor(np.ones(2)), Tensor(np.array(0.1)))
    with pytest.raises(TypeError, match=r"^elu: alpha must be a number"):
        minigrad.elu(Tensor(np.ones(2)), Tensor(np.array(1.0)))
