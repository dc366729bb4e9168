"""LayerNorm (minigrad/nn/normalization.py): its functional op, PyTorch's values,
gradients, repr and state_dict (both ways), and a replay under minigrad.compile."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import functional as F
from minigrad import nn

VARIANTS = [
    ((5,), {}),
    (5, {"eps": 1e-3}),
    ([4, 5], {}),
    ((5,), {"elementwise_affine": False}),
    ((4, 5), {"bias": False}),
]
IDS = [f"{s}-{kw}" for s, kw in VARIANTS]
X = np.random.default_rng(0).standard_normal((3, 4, 5)) * 2 + 0.5


def test_defaults_parameters_and_repr():
    ln = nn.LayerNorm(8)
    assert ln.normalized_shape == (8,) and ln.eps == 1e-5 and ln.elementwise_affine
    np.testing.assert_array_equal(ln.weight.data, np.ones(8, np.float32))
    np.testing.assert_array_equal(ln.bias.data, np.zeros(8, np.float32))
    assert [n for n, _ in ln.named_parameters()] == ["weight", "bias"]
    assert repr(ln) == "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)"
    plain = nn.LayerNorm([2, 3], elementwise_affine=False)
    assert plain.weight is None and plain.bias is None and not list(plain.parameters())
    assert nn.LayerNorm(3, bias=False).bias is None
    assert nn.LayerNorm(3, dtype=np.float64).weight.dtype == np.float64
    # NumPy integers, as a shape's entries often are, count as ints (as in PyTorch)
    assert nn.LayerNorm(np.int64(8)).normalized_shape == (8,)
    wide = nn.LayerNorm(np.array([2, 3]))
    assert wide.normalized_shape == (2, 3) and repr(wide).startswith("LayerNorm((2, 3), eps")
    assert F.layer_norm(minigrad.zeros(2, 3), np.int64(3)).shape == (2, 3)


@pytest.mark.parametrize(("shape", "kw"), VARIANTS, ids=IDS)
def test_module_is_its_functional_op(shape, kw):
    ln = nn.LayerNorm(shape, dtype=np.float64, **kw)
    rng = np.random.default_rng(1)
    for p in ln.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    x = minigrad.tensor(X)
    want = F.layer_norm(x, ln.normalized_shape, ln.weight, ln.bias, ln.eps)
    np.testing.assert_array_equal(ln(x).data, want.data)


@pytest.mark.torch
@pytest.mark.parametrize(("shape", "kw"), VARIANTS, ids=IDS)
def test_values_gradients_repr_and_state_dict_as_torch(shape, kw):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.LayerNorm(shape, dtype=torch.float64, **kw)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape, dtype=torch.float64))
    ours = nn.LayerNorm(shape, dtype=np.float64, **kw)
    assert repr(ours) == repr(theirs)
    assert ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()}) == (
        theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    )
    u = np.random.default_rng(2).standard_normal(X.shape)
    x, tx = minigrad.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    y, ty = ours(x), theirs(tx)
    (y * u).sum().backward()
    (ty * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    grads = {n: p.grad for n, p in ours.named_parameters()}
    assert grads.keys() == dict(theirs.named_parameters()).keys()
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.torch
def test_state_dict_round_trips_with_torch():
    torch = pytest.importorskip("torch")
    ours = nn.LayerNorm((4, 5))
    ours.weight.data[...] = np.arange(20, dtype=np.float32).reshape(4, 5)
    ours.bias.data[...] = -np.arange(20, dtype=np.float32).reshape(4, 5)
    theirs = torch.nn.LayerNorm((4, 5))
    theirs.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    back = nn.LayerNorm((4, 5))
    back.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for k, v in ours.state_dict().items():
        np.testing.assert_array_equal(back.state_dict()[k], v)
        assert back.state_dict()[k].dtype == v.dtype == np.float32


def test_compiled_layer_norm_replays_as_eager():
    ln = nn.LayerNorm(5, dtype=np.float64)
    ln.weight.data[...] = np.linspace(0.5, 2, 5)
    step = minigrad.compile(lambda x: (ln(x) * ln(x)).sum())
    rng = np.random.default_rng(3)
    for _ in range(3):
        x = minigrad.tensor(rng.standard_normal((4, 5)), requires_grad=True)
        step(x).backward()
        got = x.grad, ln.weight.grad, ln.bias.grad
        x.grad = None
        ln.zero_grad()
        (ln(x) * ln(x)).sum().backward()
        for g, w in zip(got, (x.grad, ln.weight.grad, ln.bias.grad), strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-13)
        ln.zero_grad()
    assert step.captures == 1
