"""The edge cases the op set must get right, against NumPy (values) and PyTorch (first
and second derivatives, when installed): zero-size axes, 0-d inputs, negative axes,
``prod`` with one and with several zeros, ``std`` of a constant, ``einsum`` with
repeated and broadcast (``...``) letters."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import minigrad
from minigrad import Tensor, func

REDUCTIONS = ["sum", "mean", "max", "min", "prod", "var", "std", "logsumexp", "norm"]


def _torch():
    return pytest.importorskip("torch")


def _first_and_second(fn, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gradient of sum(fn(x)) and its Hessian, by minigrad."""
    t = Tensor(x, requires_grad=True)
    (g,) = minigrad.grad(fn(t).sum(), [t])
    h = func.hessian(lambda a: fn(a).sum())(Tensor(x))
    return g, h.data


def _torch_first_and_second(fn, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    torch = _torch()
    t = torch.tensor(x, requires_grad=True)
    (g,) = torch.autograd.grad(fn(t).sum(), t)
    h = torch.autograd.functional.hessian(lambda a: fn(a).sum(), torch.tensor(x))
    return g.numpy(), h.numpy()


# ------------------------------------------------------------------ 0-d inputs


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("axis", [None, 0, -1, ()])
def test_reductions_of_a_0d_tensor(name, axis):
    """A 0-d tensor reduces to itself (axis 0 and -1 name its one implicit axis, as in
    PyTorch); var is 0 and its gradient 0; the gradient of the others is their
    derivative at the point."""
    x = Tensor(np.array(1.5), requires_grad=True)
    fn = getattr(minigrad, name)
    out = fn(x, axis=axis) if name != "norm" else fn(x, None, axis)
    assert out.shape == ()
    expected = {"var": 0.0, "std": 0.0}.get(name, 1.5)
    np.testing.assert_allclose(out.data, expected, rtol=1e-7)
    out.backward()
    np.testing.assert_allclose(x.grad, {"var": 0.0, "std": 0.0}.get(name, 1.0), rtol=1e-7)


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "sort", "softmax", "log_softmax"])
def test_ops_along_an_axis_of_a_0d_tensor(name):
    x = Tensor(np.array(2.0), requires_grad=True)
    fn = getattr(minigrad.functional, name, None) or getattr(minigrad, name)
    out = fn(x) if name in ("softmax", "log_softmax") else fn(x, None)
    ref = {"softmax": 1.0, "log_softmax": 0.0}.get(name, 2.0)
    np.testing.assert_allclose(out.data.reshape(-1), [ref])
    out.sum().backward()
    assert x.grad.shape == ()


# ------------------------------------------------------------- zero-size axes


@pytest.mark.parametrize("name", ["sum", "prod", "mean", "logsumexp", "norm", "var"])
def test_reductions_over_an_empty_axis_as_numpy(name):
    """sum 0, prod 1, norm 0, logsumexp -inf, mean and var nan; the gradient has the
    input's empty shape. Other axes are kept."""
    x = Tensor(np.zeros((2, 0, 3)), requires_grad=True)
    fn = getattr(minigrad, name)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        out = fn(x, axis=-2) if name != "norm" else fn(x, None, -2)
        ref = {
            "sum": np.zeros((2, 3)),
            "prod": np.ones((2, 3)),
            "mean": np.full((2, 3), np.nan),
            "logsumexp": np.full((2, 3), -np.inf),
            "norm": np.zeros((2, 3)),
            "var": np.var(x.data, axis=1),
        }[name]
        np.testing.assert_array_equal(out.data, ref)
        out.sum().backward()
    assert x.grad.shape == (2, 0, 3)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_over_an_empty_axis_name_the_axis(name):
    x = Tensor(np.zeros((2, 0)))
    with pytest.raises(ValueError, match=rf"{name}: axis 1 of shape \(2, 0\) is empty"):
        getattr(minigrad, name)(x, dim=-1)
    assert getattr(minigrad, name)(x, axis=0).shape == (0,)


def test_contractions_and_layout_over_empty_axes():
    a = Tensor(np.zeros((2, 0)), requires_grad=True)
    b = Tensor(np.zeros((0, 3)), requires_grad=True)
    out = minigrad.einsum("ij,jk->ik", a, b)
    np.testing.assert_array_equal(out.data, np.zeros((2, 3)))
    (out + minigrad.einsum("ij->", a)).sum().backward()
    assert a.grad.shape == (2, 0) and b.grad.shape == (0, 3)
    assert minigrad.cross(Tensor(np.zeros((0, 3))), Tensor(np.ones(3))).shape == (0, 3)
    assert minigrad.cumsum(Tensor(np.zeros((0, 2))), -1).shape == (0, 2)


# ------------------------------------------------------------------ negative axes


@pytest.mark.parametrize("name", REDUCTIONS)
def test_negative_axes_name_the_same_axes_as_positive_ones(name):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4))
    fn = getattr(minigrad, name)

    def call(axis):
        t = Tensor(x, requires_grad=True)
        out = fn(t, axis=axis) if name != "norm" else fn(t, None, axis)
        out.sum().backward()
        return out.data, t.grad

    for neg, pos in ((-1, 2), (-3, 0), ((-1, -3), (2, 0))):
        for got, want in zip(call(neg), call(pos), strict=True):
            np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match=rf"{name}: axis -4 is out of range for a 3-d tensor"):
        fn(Tensor(x), axis=-4) if name != "norm" else fn(Tensor(x), None, -4)


# ------------------------------------------------------------------ prod and zeros


@pytest.mark.parametrize(
    "x",
    [
        [[2.0, 0.0, 3.0], [1.0, 2.0, 4.0]],  # one zero in a row
        [[2.0, 0.0, 0.0], [0.0, 5.0, 0.0]],  # two zeros, three zeros
        [[0.0, 0.0, 0.0], [3.0, -1.0, 0.5]],  # all zeros
    ],
)
@pytest.mark.parametrize("axis", [-1, 0, None])
def test_prod_with_zeros_is_exact_to_second_order_as_pytorch(x, axis):
    """The gradient of each element is the product of the others, exactly (no 0/0);
    the Hessian too."""
    x = np.array(x)
    g, h = _first_and_second(lambda t: minigrad.prod(t, axis=axis), x)
    if axis == -1:  # by hand: the product of the others in the row
        others = [[np.prod(np.delete(row, i)) for i in range(3)] for row in x]
        np.testing.assert_array_equal(g, others)
    torch = _torch()

    def reference(t):
        return t.prod() if axis is None else t.prod(dim=axis)

    tg, th = _torch_first_and_second(reference, x)
    np.testing.assert_array_equal(g, tg)
    np.testing.assert_allclose(h.reshape(th.shape), th, rtol=0, atol=1e-15)
    assert torch.isfinite(torch.tensor(h)).all()


# ----------------------------------------------------------- std of a constant


@pytest.mark.parametrize("correction", [0, 1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_std_of_a_constant_follows_pytorch_to_second_order(correction, keepdim):
    """PyTorch 2.13: where std is 0 (a constant row) the gradient is 0, not NaN, and
    so is the Hessian; other rows are unaffected."""
    x = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    g, h = _first_and_second(
        lambda t: minigrad.std(t, dim=-1, correction=correction, keepdim=keepdim), x
    )
    np.testing.assert_array_equal(g[0], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(h.reshape(6, 6)[:3], np.zeros((3, 6)))
    tg, th = _torch_first_and_second(
        lambda t: t.std(dim=-1, correction=correction, keepdim=keepdim), x
    )
    np.testing.assert_allclose(g, tg, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(h, th, rtol=1e-10, atol=1e-14)


def test_std_of_one_element_with_correction_is_nan_as_both():
    x = Tensor(np.array([3.0]), requires_grad=True)
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        out = minigrad.std(x, correction=1)
        out.backward()
    assert np.isnan(out.item()) and np.isnan(x.grad).all()
    torch = _torch()
    t = torch.tensor([3.0], dtype=torch.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t.std(correction=1).backward()
    assert torch.isnan(t.grad).all()


# ------------------------------------------- einsum: repeated and broadcast letters


EINSUM_EDGES = [
    ("ii->i", [(3, 3)]),  # diagonal
    ("ii", [(3, 3)]),  # trace, implicit output
    ("iij->j", [(2, 2, 3)]),  # a diagonal summed
    ("...ii->...i", [(2, 3, 3)]),  # batched diagonals
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),  # broadcast batch axes
    ("...i,i->...", [(2, 3), (3,)]),
    ("i...,i...->...", [(3, 1, 2), (3, 4, 1)]),  # '...' after letters, broadcast
    ("ij,ij,ij->", [(2, 3), (1, 3), (2, 1)]),  # size-1 letters broadcast across operands
    ("ii,i->i", [(3, 3), (3,)]),
    ("...", [(2, 3)]),
]


@pytest.mark.parametrize(("spec", "shapes"), EINSUM_EDGES)
def test_einsum_repeated_and_broadcast_letters_to_second_order_as_pytorch(spec, shapes):
    rng = np.random.default_rng(len(spec))
    xs = [rng.normal(size=s) for s in shapes]
    out = minigrad.einsum(spec, *[Tensor(x) for x in xs])
    np.testing.assert_allclose(out.data, np.einsum(spec, *xs), rtol=1e-12, atol=1e-14)
    assert minigrad.gradcheck(lambda *ts: minigrad.einsum(spec, *ts), xs).ok

    def ours(t):
        return minigrad.einsum(spec, t, *[Tensor(x) for x in xs[1:]]) ** 2

    torch = _torch()

    def theirs(t):
        return torch.einsum(spec, t, *[torch.tensor(x) for x in xs[1:]]) ** 2

    g, h = _first_and_second(ours, xs[0])
    tg, th = _torch_first_and_second(theirs, xs[0])
    np.testing.assert_allclose(g, tg, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, th, rtol=1e-10, atol=1e-12)
