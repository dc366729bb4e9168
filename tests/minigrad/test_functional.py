"""minigrad/functional.py: softplus, linear, layer_norm and dropout, and what every
composite shares at extreme logits, against NumPy references and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from strategies import arrays

import minigrad
from minigrad import Tensor, gradcheck
from minigrad import functional as F


@given(x=arrays((3, 4)))
def test_softplus_and_bce_with_logits(x):
    y = (x > 0).astype(np.float64)
    np.testing.assert_allclose(F.softplus(Tensor(x)).data, np.log1p(np.exp(x)))
    ref = -(y * np.log(1 / (1 + np.exp(-x))) + (1 - y) * np.log(1 - 1 / (1 + np.exp(-x))))
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(Tensor(x), y, reduction="none").data, ref
    )
    gradcheck(F.softplus, [x])
    gradcheck(lambda t: F.binary_cross_entropy_with_logits(t, y), [x])


EXTREME = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_stay_finite_without_warnings(dtype):
    # pytest turns RuntimeWarning (overflow, invalid) into errors.
    x = Tensor(EXTREME.astype(dtype), requires_grad=True)
    outs = [
        x.sigmoid(),
        F.softplus(x),
        F.logsumexp(x, axis=1),
        F.log_softmax(x, axis=1),
        F.softmax(x, axis=1),
        F.binary_cross_entropy_with_logits(x, np.ones((2, 3), dtype), reduction="none"),
        F.cross_entropy(x, np.array([0, 2]), reduction="none"),
        F.cross_entropy(x, np.array([1, 0]), reduction="none"),
    ]
    for out in outs:
        assert np.all(np.isfinite(out.data)), out
        assert out.dtype == dtype
        x.grad = None
        out.sum().backward()
        assert np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(outs[0].data, [[1, 0, 0.5], [0, 0, 1]])
    np.testing.assert_allclose(outs[2].data, [1000, 1000], rtol=1e-6)
    np.testing.assert_allclose(outs[6].data, [0, 0], atol=1e-6)
    np.testing.assert_allclose(outs[7].data, [2000, 2000], rtol=1e-6)


def test_linear_matches_torch_layout():
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((4, 3)), rng.standard_normal((2, 3)), rng.standard_normal(2)
    np.testing.assert_allclose(F.linear(Tensor(x), Tensor(w), Tensor(b)).data, x @ w.T + b)
    gradcheck(F.linear, [x, w, b])


def test_dropout():
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    y = F.dropout(x, 0.25, generator=np.random.default_rng(0))
    kept = y.data != 0
    assert 0.7 < kept.mean() < 0.8
    np.testing.assert_allclose(y.data[kept], 1 / 0.75)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.75)
    assert F.dropout(x, 0.5, training=False) is x
    assert not F.dropout(x, 1.0).data.any()
    with pytest.raises(ValueError, match="dropout: p must be in"):
        F.dropout(x, 1.5)


def np_layer_norm(x, k, w=None, b=None, eps=1e-5):
    axes = tuple(range(x.ndim - k, x.ndim))
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    return y * (1 if w is None else w) + (0 if b is None else b)


@pytest.mark.parametrize(("shape", "k"), [((5,), 1), ((3, 5), 1), ((2, 3, 4), 2), ((2, 3), 2)])
@pytest.mark.parametrize("affine", [False, True])
def test_layer_norm_against_numpy_and_finite_differences(shape, k, affine):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 3 + 1
    params = [rng.standard_normal(shape[-k:]) for _ in range(2)] if affine else []
    got = F.layer_norm(Tensor(x), shape[-k:], *map(Tensor, params), eps=1e-3)
    np.testing.assert_allclose(got.data, np_layer_norm(x, k, *params, eps=1e-3), rtol=1e-12)
    gradcheck(lambda x, *p: F.layer_norm(x, shape[-k:], *p, eps=1e-3), [x, *params])


def test_layer_norm_keeps_float32_and_takes_an_int_shape():
    x = minigrad.randn(4, 6)
    y = F.layer_norm(x, 6)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.data.mean(axis=1), 0, atol=1e-6)
    np.testing.assert_allclose(y.data.var(axis=1), 1, rtol=1e-3)


def test_layer_norm_names_shapes_that_do_not_fit():
    x = minigrad.zeros(2, 3, 4)
    for bad in [(3,), (2, 3, 4, 1), ()]:
        with pytest.raises(ValueError, match=r"layer_norm: input of shape \(2, 3, 4\) does not"):
            F.layer_norm(x, bad)
    with pytest.raises(ValueError, match=r"layer_norm: bias of shape \(3,\) must have"):
        F.layer_norm(x, 4, minigrad.ones(4), minigrad.zeros(3))


@pytest.mark.torch
@pytest.mark.parametrize("shape", [(5,), (4, 5), (3, 4, 5)])
def test_layer_norm_matches_torch(shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4, 5)) * 2 - 1
    w, b = rng.standard_normal(shape), rng.standard_normal(shape)
    ours = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    u = rng.standard_normal(x.shape)
    y = F.layer_norm(ours[0], shape, ours[1], ours[2])
    (y * u).sum().backward()
    ty = torch.nn.functional.layer_norm(theirs[0], shape, theirs[1], theirs[2])
    (ty * torch.tensor(u)).sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    for a, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_softplus_takes_beta_and_threshold_as_pytorch():
    # x itself where beta x > threshold (gradient 1), log1p(e^(beta x)) / beta below.
    x = np.array([-30.0, -1.0, 0.0, 2.5, 2.6, 19.0, 21.0, 1000.0])
    t = Tensor(x, requires_grad=True)
    y = F.softplus(t, beta=2.0, threshold=5.0)
    y.backward(np.ones_like(x))
    above = 2 * x > 5
    np.testing.assert_allclose(
        y.data, np.where(above, x, np.logaddexp(2 * x, 0) / 2), rtol=1e-15, atol=1e-300
    )
    np.testing.assert_allclose(t.grad, np.where(above, 1.0, 1 / (1 + np.exp(-2 * x))), rtol=1e-15)
    assert F.softplus(Tensor(np.array([21.0]))).data[0] == 21.0  # the default threshold 20
    gradcheck(lambda v: F.softplus(v, 0.5, 1.0), [np.array([-3.0, 0.3, 1.9, 2.1, 7.0])])
    with pytest.raises(TypeError, match="softplus: beta and threshold must be numbers"):
        F.softplus(t, beta=Tensor(np.array(2.0)))


def test_compiled_softplus_picks_each_calls_branches():
    compiled = minigrad.compile(lambda v: (F.softplus(v, 2.0, 5.0) ** 2).sum())
    rng = np.random.default_rng(0)
    for _ in range(3):  # which elements are above the threshold changes from call to call
        x = rng.standard_normal(6) * 4
        a, b = Tensor(x, requires_grad=True), Tensor(x, requires_grad=True)
        got, want = compiled(a), (F.softplus(b, 2.0, 5.0) ** 2).sum()
        got.backward()
        want.backward()
        np.testing.assert_allclose(got.data, want.data, rtol=1e-14)
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-14)
    assert compiled.captures == 1


# Class weights and label smoothing (cross_entropy, nll_loss), against PyTorch. The
# logits come in each layout PyTorch takes: (C,), (N, C) and (N, C, d1, d2).


def test_linear_layer_norm_and_dropout_take_array_likes_and_name_what_they_refuse():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    w = np.array([[0.5, 1.0, -1.0], [2.0, 0.0, 1.0]])
    b = np.array([0.25, -0.5])
    lx, lw, lb = (minigrad.tensor(a.tolist()) for a in (x, w, b))  # float32, as lists give
    np.testing.assert_array_equal(
        F.linear(x.tolist(), w.tolist(), b.tolist()).data, F.linear(lx, lw, lb).data
    )
    np.testing.assert_array_equal(
        F.linear(x, w, b).data, F.linear(Tensor(x), Tensor(w), Tensor(b)).data
    )
    np.testing.assert_array_equal(F.layer_norm(x.tolist(), 3).data, F.layer_norm(lx, 3).data)
    kept = F.dropout(x.tolist(), 0.5, training=False)
    assert isinstance(kept, Tensor)
    np.testing.assert_array_equal(kept.data, lx.data)
    g1, g2 = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(
        F.dropout(x, 0.5, generator=g1).data, F.dropout(Tensor(x), 0.5, generator=g2).data
    )
    calls = [
        ("linear", lambda bad: F.linear(bad, w)),
        ("linear", lambda bad: F.linear(x, bad)),
        ("linear", lambda bad: F.linear(x, w, bad if bad is not None else "s")),
        ("layer_norm", lambda bad: F.layer_norm(bad, 3)),
        ("dropout", lambda bad: F.dropout(bad)),
    ]
    for name, call in calls:
        for bad in ("s", None, object()):
            with pytest.raises(TypeError, match=rf"^{name}: unsupported operand"):
                call(bad)
