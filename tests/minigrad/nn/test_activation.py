"""Activation modules (minigrad/nn/activation.py): each against its functional op and
against torch.nn's module (values and gradients in float64, repr), inplace refused, and
a Sequential MLP trained by SGD step for step as the same PyTorch MLP."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import functional as F
from minigrad import nn, ops

# (minigrad module, the op it stands for, the torch.nn module's name and arguments)
CASES = [
    (nn.ReLU(), ops.relu, "ReLU", {}),
    (nn.Tanh(), ops.tanh, "Tanh", {}),
    (nn.Sigmoid(), ops.sigmoid, "Sigmoid", {}),
    (nn.GELU(), F.gelu, "GELU", {}),
    (nn.GELU("tanh"), lambda x: F.gelu(x, "tanh"), "GELU", {"approximate": "tanh"}),
    (nn.SiLU(), F.silu, "SiLU", {}),
    (nn.ELU(), F.elu, "ELU", {}),
    (nn.ELU(alpha=0.3), lambda x: F.elu(x, 0.3), "ELU", {"alpha": 0.3}),
    (nn.LeakyReLU(), F.leaky_relu, "LeakyReLU", {}),
    (nn.LeakyReLU(0.2), lambda x: F.leaky_relu(x, 0.2), "LeakyReLU", {"negative_slope": 0.2}),
    (nn.LogSigmoid(), F.logsigmoid, "LogSigmoid", {}),
    (nn.Softplus(), F.softplus, "Softplus", {}),
    (nn.Softplus(2, 5), lambda x: F.softplus(x, 2, 5), "Softplus", {"beta": 2, "threshold": 5}),
    (nn.Softplus(0.5), lambda x: F.softplus(x, 0.5), "Softplus", {"beta": 0.5}),
    (nn.Softmax(dim=1), lambda x: F.softmax(x, dim=1), "Softmax", {"dim": 1}),
    (nn.Softmax(0), lambda x: F.softmax(x, dim=0), "Softmax", {"dim": 0}),
    (nn.LogSoftmax(dim=-1), lambda x: F.log_softmax(x, dim=-1), "LogSoftmax", {"dim": -1}),
]
IDS = [repr(c[0]) for c in CASES]
X = np.random.default_rng(0).standard_normal((4, 3, 5)) * 3
X[0, 0, :3] = [0.0, 40.0, -40.0]  # the kink, and both saturated tails
U = np.random.default_rng(1).standard_normal((4, 3, 5))


def _value_and_grad(fn, x: np.ndarray):
    """fn(x) and d<fn(x), u>/dx, u of fn(x)'s shape."""
    t = minigrad.tensor(x, requires_grad=True)
    y = fn(t)
    (y * U[: y.shape[0]].reshape(y.shape)).sum().backward()
    return y.data, t.grad


@pytest.mark.parametrize(("module", "fn", "_name", "_kw"), CASES, ids=IDS)
def test_module_is_its_functional_op(module, fn, _name, _kw):
    """The module computes exactly what its op computes, value and gradient, bit for bit."""
    got, want = _value_and_grad(module, X), _value_and_grad(fn, X)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
        assert g.dtype == np.float64


@pytest.mark.torch
@pytest.mark.parametrize(("module", "_fn", "name", "kw"), CASES, ids=IDS)
def test_module_matches_torch(module, _fn, name, kw):
    """Values and gradients in float64 as torch.nn's module, and the same repr."""
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(**kw)
    assert repr(module) == repr(theirs)
    t = torch.tensor(X, requires_grad=True)
    y = theirs(t)
    (y * torch.tensor(U).reshape(y.shape)).sum().backward()
    got_y, got_g = _value_and_grad(module, X)
    np.testing.assert_allclose(got_y, y.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(got_g, t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_reprs_as_pytorch_spells_them():
    assert repr(nn.ReLU()) == "ReLU()" and repr(nn.SiLU()) == "SiLU()"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert (
        repr(nn.Softmax()) == "Softmax(dim=None)" and repr(nn.LogSoftmax(1)) == "LogSoftmax(dim=1)"
    )
    seq = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    assert repr(seq) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=8, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=8, out_features=1, bias=True)\n"
        ")"
    )


@pytest.mark.parametrize("make", [nn.ReLU, nn.SiLU, nn.ELU, nn.LeakyReLU])
def test_inplace_is_refused_and_false_accepted(make):
    assert make(inplace=False).inplace is False
    with pytest.raises(ValueError, match=rf"{make.__name__}: inplace=True is not supported"):
        make(inplace=True)


def test_gelu_refuses_an_unknown_approximation_when_built():
    with pytest.raises(ValueError, match="GELU: approximate must be 'none' or 'tanh'"):
        nn.GELU("erf")


@pytest.mark.parametrize("make", [nn.Softmax, nn.LogSoftmax])
@pytest.mark.parametrize(
    ("shape", "axis"), [((5,), 0), ((2, 5), 1), ((2, 3, 5), 0), ((2, 3, 4, 5), 1)]
)
def test_softmax_without_dim_takes_pytorchs_implicit_axis_with_a_warning(make, shape, axis):
    x = minigrad.tensor(np.random.default_rng(2).standard_normal(shape))
    with pytest.warns(UserWarning, match="implicit dimension choice"):
        got = make()(x)
    np.testing.assert_array_equal(got.data, make(dim=axis)(x).data)


def test_the_first_model_a_pytorch_user_writes_runs():
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    y = model(minigrad.randn(5, 3))
    y.sum().backward()
    assert y.shape == (5, 1) and all(p.grad is not None for p in model.parameters())


def _mlp_pair(torch):
    """The same MLP in minigrad and in PyTorch, float64, PyTorch's initial weights."""
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(
        torch.nn.Linear(4, 16),
        torch.nn.Tanh(),
        torch.nn.Linear(16, 16),
        torch.nn.GELU(),
        torch.nn.Linear(16, 8),
        torch.nn.LeakyReLU(0.1),
        torch.nn.Linear(8, 3),
        torch.nn.ReLU(),
        torch.nn.Linear(3, 1),
    ).double()
    ours = nn.Sequential(
        nn.Linear(4, 16),
        nn.Tanh(),
        nn.Linear(16, 16),
        nn.GELU(),
        nn.Linear(16, 8),
        nn.LeakyReLU(0.1),
        nn.Linear(8, 3),
        nn.ReLU(),
        nn.Linear(3, 1),
    ).double()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


@pytest.mark.torch
def test_sequential_mlp_trains_as_pytorchs_for_50_sgd_steps():
    torch = pytest.importorskip("torch")
    ours, theirs = _mlp_pair(torch)
    opt = minigrad.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9)
    topt = torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(0)
    for _ in range(50):
        x, y = rng.standard_normal((32, 4)), rng.standard_normal((32, 1))
        opt.zero_grad()
        loss = F.mse_loss(ours(minigrad.tensor(x)), y)
        loss.backward()
        opt.step()
        topt.zero_grad()
        tloss = torch.nn.functional.mse_loss(theirs(torch.tensor(x)), torch.tensor(y))
        tloss.backward()
        topt.step()
        np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-10)
    for name, w in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name], w.numpy(), rtol=1e-10, atol=1e-12)
