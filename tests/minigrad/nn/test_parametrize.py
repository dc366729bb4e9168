"""Parametrizations (minigrad/nn/parametrize.py, parametrizations.py): the tensor is
recomputed from its original at each access; parameters, state dicts, optimizers and
minigrad.compile see the original; orthogonal() keeps a weight orthogonal through training."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import Tensor, nn, optim
from minigrad.nn.utils.parametrizations import orthogonal
from minigrad.nn.utils.parametrize import (
    is_parametrized,
    register_parametrization,
    remove_parametrizations,
)


class Symmetric(nn.Module):
    """X -> triu(X) + triu(X, 1)^T, with right_inverse W -> triu(W)."""

    def forward(self, x):
        return x.triu() + x.triu(1).swapaxes(-1, -2)

    def right_inverse(self, w):
        return np.triu(np.asarray(w))


def _linear(n=4, dtype=np.float64):
    minigrad.manual_seed(0)
    return nn.Linear(n, n, dtype=dtype)


def test_the_value_is_recomputed_from_the_original_at_each_access():
    lin = _linear()
    w0 = lin.weight.numpy().copy()
    register_parametrization(lin, "weight", Symmetric())
    w = lin.weight.numpy()
    np.testing.assert_array_equal(w, w.T)
    np.testing.assert_array_equal(np.triu(w), np.triu(w0))  # right_inverse kept the triangle
    with minigrad.no_grad():
        lin.parametrizations.weight.original.copy_(np.ones((4, 4)))
    np.testing.assert_array_equal(lin.weight.numpy(), np.ones((4, 4)))
    assert is_parametrized(lin) and is_parametrized(lin, "weight")
    assert not is_parametrized(lin, "bias")
    assert type(lin).__name__ == "ParametrizedLinear" and isinstance(lin, nn.Linear)


def test_parameters_and_state_dict_name_the_original():
    lin = register_parametrization(_linear(), "weight", Symmetric())
    names = [n for n, _ in lin.named_parameters()]
    assert names == ["bias", "parametrizations.weight.original"]
    state = lin.state_dict()
    other = register_parametrization(_linear(), "weight", Symmetric())
    with minigrad.no_grad():
        other.parametrizations.weight.original.copy_(np.zeros((4, 4)))
    other.load_state_dict(state)
    np.testing.assert_array_equal(other.weight.numpy(), lin.weight.numpy())


def test_gradients_reach_the_original_through_the_parametrization():
    lin = register_parametrization(_linear(), "weight", Symmetric())
    x = np.random.default_rng(1).normal(size=(3, 4))
    lin(Tensor(x)).sum().backward()
    g = lin.parametrizations.weight.original.grad
    # d/dW of sum(x W^T): G_ij = sum_n x_nj; through the symmetrisation
    # the upper triangle gets G + G^T off the diagonal and G on it.
    full = np.ones((3, 4)).T @ x
    want = np.triu(full + full.T) - np.diag(np.diag(full))
    np.testing.assert_allclose(g, want, rtol=1e-12)


def test_assignment_goes_through_right_inverse():
    lin = register_parametrization(_linear(), "weight", Symmetric())
    target = np.arange(16.0).reshape(4, 4)
    lin.weight = target
    sym = np.triu(target) + np.triu(target, 1).T
    np.testing.assert_array_equal(lin.weight.numpy(), sym)


def test_a_shape_changing_parametrization_is_refused_unless_unsafe():
    class Row(nn.Module):
        def forward(self, x):
            return x[0]

    with pytest.raises(ValueError, match=r"parametrized 'weight' is \(4,\).*\(4, 4\)"):
        register_parametrization(_linear(), "weight", Row())
    lin = register_parametrization(_linear(), "weight", Row(), unsafe=True)
    assert lin.weight.shape == (4,)


def test_unknown_names_and_non_modules_are_refused():
    with pytest.raises(ValueError, match="has no parameter 'nope'"):
        register_parametrization(_linear(), "nope", Symmetric())
    with pytest.raises(TypeError, match="expected a Module, got function"):
        register_parametrization(_linear(), "weight", lambda x: x)


def test_remove_leaves_a_plain_parameter():
    lin = register_parametrization(_linear(), "weight", Symmetric())
    value = lin.weight.numpy().copy()
    remove_parametrizations(lin, "weight")
    assert type(lin) is nn.Linear and not is_parametrized(lin)
    assert isinstance(lin.weight, nn.Parameter)
    np.testing.assert_array_equal(lin.weight.numpy(), value)
    assert [n for n, _ in lin.named_parameters()] == ["bias", "weight"]  # as PyTorch


def test_orthogonal_weight_stays_orthogonal_through_training():
    lin = orthogonal(_linear(6), init="henaff", generator=np.random.default_rng(2))
    opt = optim.Adam(lin.parameters(), lr=0.1)
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(2, 16, 6))
    for _ in range(20):
        opt.zero_grad()
        ((lin(Tensor(x)) - Tensor(y)) ** 2).mean().backward()
        opt.step()
    w = lin.weight.numpy()
    np.testing.assert_allclose(w @ w.T, np.eye(6), atol=1e-12)
    assert np.linalg.det(w) == pytest.approx(1.0)
    assert not np.allclose(w, np.eye(6), atol=0.1)


def test_henaff_init_makes_2x2_rotation_blocks():
    lin = orthogonal(_linear(5), init="henaff", generator=np.random.default_rng(4))
    w = lin.weight.numpy()
    for k in range(2):
        block = w[2 * k : 2 * k + 2, 2 * k : 2 * k + 2]
        c, s = block[0, 0], block[0, 1]
        np.testing.assert_allclose(block, [[c, s], [-s, c]], atol=1e-12)
        assert c * c + s * s == pytest.approx(1.0)
    off = w.copy()
    for k in range(2):
        off[2 * k : 2 * k + 2, 2 * k : 2 * k + 2] = 0
    np.testing.assert_allclose(off, np.diag([0, 0, 0, 0, 1.0]), atol=1e-12)


def test_orthogonal_without_init_is_exp_of_the_skew_part_of_the_weight():
    lin = _linear()
    x = lin.weight.numpy().copy()
    orthogonal(lin)
    low = np.tril(x, -1)
    np.testing.assert_allclose(
        lin.weight.numpy(), minigrad.matrix_exp(Tensor(low - low.T)).numpy(), rtol=1e-12
    )
    orthogonal(_linear(), init="identity")  # zeros: W = I
    assert np.allclose(orthogonal(_linear(), init="identity").weight.numpy(), np.eye(4))


def test_orthogonal_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match=r"Linear.weight must be a square matrix, got \(3, 4\)"):
        orthogonal(nn.Linear(4, 3))
    with pytest.raises(ValueError, match="orthogonal_map must be one of matrix_exp"):
        orthogonal(_linear(), orthogonal_map="householder")
    with pytest.raises(NotImplementedError, match="cannot be assigned through"):
        orthogonal(_linear()).weight = np.eye(4)
    with pytest.raises(ValueError, match="orthogonal: Linear has no parameter 'nope'"):
        orthogonal(_linear(), name="nope")


def test_a_compiled_step_equals_the_eager_one_and_binds_the_original():
    lin = orthogonal(_linear(5), init="henaff", generator=np.random.default_rng(5))
    x = np.random.default_rng(6).normal(size=(7, 5))

    def loss(inp):
        return (lin(inp).tanh() ** 2).sum()

    compiled = minigrad.compile(loss)
    original = lin.parametrizations.weight.original
    for call in range(3):
        want = loss(Tensor(x))
        want.backward()
        eager = original.grad.copy()
        original.grad = None
        got = compiled(Tensor(x))
        got.backward()
        np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)
        np.testing.assert_allclose(original.grad, eager, rtol=1e-10, atol=1e-12)
        original.grad = None
        lin.bias.grad = None
        with minigrad.no_grad():  # a new original: the replay must read it, not a copy
            original.copy_(original.numpy() + 0.1 * call)


def test_orthogonal_matches_pytorch_without_trivialization():
    """PyTorch's orthogonal(..., orthogonal_map="matrix_exp", use_trivialization=False)
    computes the same W from the same original, and the same gradient reaches it."""
    torch = pytest.importorskip("torch")
    lin = orthogonal(_linear(5), init="henaff", generator=np.random.default_rng(7))
    with minigrad.no_grad():  # a general original: the upper triangle must be ignored
        lin.parametrizations.weight.original.copy_(np.random.default_rng(8).normal(size=(5, 5)))
    theirs = torch.nn.Linear(5, 5, dtype=torch.float64)
    torch.nn.utils.parametrizations.orthogonal(
        theirs, orthogonal_map="matrix_exp", use_trivialization=False
    )
    state = {k: torch.from_numpy(v) for k, v in lin.state_dict().items()}
    theirs.load_state_dict(state)
    np.testing.assert_allclose(lin.weight.numpy(), theirs.weight.detach().numpy(), atol=1e-14)
    x = np.random.default_rng(9).normal(size=(3, 5))
    (lin(Tensor(x)) ** 2).sum().backward()
    (theirs(torch.from_numpy(x)) ** 2).sum().backward()
    np.testing.assert_allclose(
        lin.parametrizations.weight.original.grad,
        theirs.parametrizations.weight.original.grad.numpy(),
        rtol=1e-10,
        atol=1e-12,
    )
