"""Ops of minigrad/ops/norms.py: the table-driven check, then vector norms at zeros
(PyTorch's gradients), matrix norms against NumPy, finite differences and PyTorch, and
the orders that do not fit the axes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor, func
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.norms"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every op of the module against its row of tests/op_cases/."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.norms"))
def test_zero_size_dimensions(name):
    """Every op on inputs with a zero-length axis, as NumPy."""
    check_empty(name)


@pytest.mark.parametrize("ord", [None, 1, 2, 3, 1.5, 0.5, np.inf, -np.inf])
def test_every_norm_of_a_zero_vector_has_zero_gradient_as_pytorch(ord):
    """The p-norm's root has an infinite slope at 0: the gradient there is 0 (PyTorch),
    not inf * 0 = NaN, in both modes; to second order too where |a|^p is twice
    differentiable at 0 (p >= 2)."""
    x = Tensor(np.zeros(3), requires_grad=True)
    (g,) = minigrad.grad(x.norm(ord), x, create_graph=True)
    np.testing.assert_array_equal(g.data, np.zeros(3))
    if ord in (None, 2, 3):
        (h,) = minigrad.grad(g.sum(), x, allow_unused=True)
        np.testing.assert_array_equal(h, np.zeros(3))
    _, jv = func.jvp(lambda t: t.norm(ord), (x.detach(),), (Tensor(np.ones(3)),))
    assert jv.item() == 0.0


def test_norms_below_1_have_gradient_zero_at_zero_elements_as_pytorch():
    x = Tensor(np.array([0.0, 1.0, 4.0]), requires_grad=True)
    x.norm(0.5).backward()
    # d/dx_i (sum |x|^p)^(1/p) = |x_i|^(p-1) sign(x_i) norm^(1-p); norm = 9.
    np.testing.assert_allclose(x.grad, [0.0, 3.0, 1.5])


MATRIX_ORDS = ["fro", 1, -1, np.inf, -np.inf]


@pytest.mark.parametrize("ord", MATRIX_ORDS)
@pytest.mark.parametrize(
    "shape, axis", [((3, 4), None), ((3, 4), (1, 0)), ((2, 3, 4), (2, -3)), ((2, 3, 4), (-2, -1))]
)
@pytest.mark.parametrize("keepdims", [False, True])
def test_matrix_norms_are_numpys_with_finite_difference_gradients(ord, shape, axis, keepdims):
    """A 2-d tensor without axis, or two axes (in either order), is a matrix norm, as
    ``numpy.linalg.norm``: 1 is the largest column sum of |x|, inf the largest row sum."""
    x = np.random.default_rng(7).normal(size=shape)
    out = minigrad.norm(Tensor(x), ord, axis, keepdims)
    want = np.linalg.norm(x, ord, axis, keepdims)
    assert out.shape == want.shape
    np.testing.assert_allclose(out.data, want, rtol=1e-13)
    assert minigrad.gradcheck(lambda t: t.norm(ord, dim=axis, keepdim=keepdims), [x]).ok


@pytest.mark.parametrize("ord", MATRIX_ORDS)
@pytest.mark.parametrize("axis", [None, (1, 0), (0, 2)])
def test_matrix_norms_and_their_gradients_match_torch_linalg_norm(ord, axis):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(11).normal(size=(3, 4) if axis is None else (3, 4, 2))
    t = torch.tensor(x, requires_grad=True)
    want = torch.linalg.norm(t, ord, dim=axis)
    (want_grad,) = torch.autograd.grad(want.sum(), t)
    m = Tensor(x, requires_grad=True)
    out = minigrad.norm(m, ord, axis)
    out.sum().backward()
    np.testing.assert_allclose(out.data, want.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(m.grad, want_grad.numpy(), rtol=1e-12, atol=1e-15)


def test_the_matrix_one_norm_of_a_known_matrix():
    x = Tensor(np.array([[1.0, -7.0], [-2.0, 3.0]]), requires_grad=True)
    assert x.norm(1).item() == 10.0  # columns: 3 and 10
    assert x.norm(np.inf).item() == 8.0  # rows: 8 and 5
    assert x.norm(-1).item() == 3.0 and x.norm(-np.inf).item() == 5.0
    x.norm(1).backward()
    np.testing.assert_array_equal(x.grad, [[0.0, -1.0], [0.0, 1.0]])


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_norms_of_singular_values_are_not_implemented_and_say_so(ord):
    x = Tensor(np.ones((3, 4)))
    with pytest.raises(NotImplementedError, match=rf"norm: ord={ord!r} over axes \(0, 1\) is"):
        x.norm(ord)
    with pytest.raises(NotImplementedError, match="no singular value decomposition"):
        x.norm(ord, axis=(1, 0))
    assert x.norm(2, axis=1).shape == (3,)  # one axis: the vector 2-norm


@pytest.mark.parametrize(
    "shape, ord, axis, message",
    [
        ((3, 4), 3, None, r"ord=3 is not a matrix norm \(over axes \(0, 1\)\)"),
        ((2, 3, 4), 1, None, "ord=1 of a 3-d tensor without axis: a vector norm takes one"),
        ((2, 3, 4), "fro", (0, 1, 2), r"ord='fro' of axes \(0, 1, 2\)"),
        ((4,), "fro", None, "ord 'fro' is not a vector norm"),
        ((4,), "nuc", None, "ord 'nuc' is a matrix norm: give two axes"),
        ((4,), "inf", None, "ord 'inf' is not a vector norm"),
    ],
)
def test_norm_orders_that_do_not_fit_the_axes_are_named(shape, ord, axis, message):
    with pytest.raises(ValueError, match=f"^norm: {message}"):
        minigrad.norm(Tensor(np.ones(shape)), ord, axis)
    with pytest.raises(ValueError):
        np.linalg.norm(np.ones(shape), ord, axis)  # NumPy refuses them too


@pytest.mark.parametrize("ord", [0, -0.5, -1, -2, -3, 0.5, 3])
def test_vector_norms_of_every_order_are_numpys_with_pytorchs_gradient(ord):
    torch = pytest.importorskip("torch")
    for values in ([0.5, -2.0, 3.0], [0.0, 1.0, -2.0]):
        x = Tensor(np.array(values), requires_grad=True)
        out = x.norm(ord)
        out.backward()
        with np.errstate(divide="ignore"):
            np.testing.assert_allclose(out.item(), np.linalg.norm(values, ord), rtol=1e-14)
        t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        (want,) = torch.autograd.grad(torch.linalg.vector_norm(t, ord), t, materialize_grads=True)
        np.testing.assert_allclose(x.grad, want.numpy(), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize(
    "shape, ord, axis, want",
    [
        ((0, 3), np.inf, 0, np.zeros(3)),
        ((0,), np.inf, None, 0.0),
        ((0, 3), np.inf, None, 0.0),
        ((0, 3), 1, None, 0.0),
        ((0, 3), -1, None, 0.0),
        ((0, 3), np.inf, 1, np.zeros(0)),
    ],
)
def test_max_norms_of_empty_tensors_are_zero_as_numpy(shape, ord, axis, want):
    x = Tensor(np.zeros(shape), requires_grad=True)
    out = minigrad.norm(x, ord, axis)
    np.testing.assert_array_equal(out.data, np.linalg.norm(np.zeros(shape), ord, axis))
    np.testing.assert_array_equal(out.data, want)
    out.sum().backward()
    assert x.grad.shape == shape


@pytest.mark.parametrize("ord, axis", [(-np.inf, 0), (-np.inf, None)])
def test_min_norms_over_an_empty_axis_are_refused_in_norms_words(ord, axis):
    with pytest.raises(ValueError, match=r"^norm: ord=-inf takes a minimum over axis 0, which is"):
        minigrad.norm(Tensor(np.zeros((0, 3))), ord, axis)
