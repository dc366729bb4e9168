"""Ops of minigrad/ops/stats.py: the table-driven check of every op, then zeros in
products, constants in std, aliases, zero-size and 0-d inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor, func
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.stats"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every op of the module against its row of tests/op_cases.py."""
    check_case(name, data.draw)


# var/std of nothing are NaN with NumPy's warnings; partition needs a kth in range.
_NO_EMPTY = {"partition", "var", "std"}


@pytest.mark.parametrize("name", [n for n in names("minigrad.ops.stats") if n not in _NO_EMPTY])
def test_zero_size_dimensions(name):
    """Every op on inputs with a zero-length axis, as NumPy."""
    check_empty(name)


def _grad(f, x):
    t = Tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    f(t).sum().backward()
    return t.grad


def test_prod_with_one_zero_gives_the_product_of_the_others_there():
    np.testing.assert_array_equal(_grad(minigrad.ops.prod, [2.0, 0.0, 3.0]), [0.0, 6.0, 0.0])


def test_prod_with_two_zeros_has_zero_gradient_and_exact_hessian():
    np.testing.assert_array_equal(_grad(minigrad.ops.prod, [2.0, 0.0, 0.0]), [0.0, 0.0, 0.0])
    h = func.hessian(lambda t: t.prod())(Tensor(np.array([2.0, 0.0, 0.0])))
    np.testing.assert_array_equal(h.data, [[0, 0, 0], [0, 0, 2], [0, 2, 0]])


def test_cumprod_through_zeros():
    g = _grad(lambda t: t.cumprod(), [2.0, 0.0, 3.0])
    # d/dx0 (x0 + x0 x1 + x0 x1 x2) = 1 + x1 + x1 x2; d/dx1 = x0 + x0 x2; d/dx2 = x0 x1.
    np.testing.assert_array_equal(g, [1.0, 8.0, 0.0])


def test_std_of_a_constant_has_zero_gradient_as_pytorch():
    np.testing.assert_array_equal(_grad(lambda t: t.std(), [1.5, 1.5, 1.5]), [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(_grad(lambda t: t.norm(), [0.0, 0.0]), [0.0, 0.0])


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


def test_pytorch_aliases_and_correction():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(x.var(dim=1, keepdim=True).data, np.var(x.data, 1, keepdims=True))
    np.testing.assert_allclose(x.std(axis=0, correction=1).data, np.std(x.data, 0, ddof=1))
    np.testing.assert_allclose(x.prod(dim=-1).data, [0.0, 60.0])
    np.testing.assert_allclose(x.cumsum(dim=1).data, np.cumsum(x.data, 1))
    with pytest.raises(TypeError, match="axis=0 and dim=0"):
        x.var(axis=0, dim=0)


def test_zero_size_and_0d():
    empty = Tensor(np.zeros((2, 0)), requires_grad=True)
    out = empty.prod(axis=1)
    np.testing.assert_array_equal(out.data, [1.0, 1.0])
    out.sum().backward()
    assert empty.grad.shape == (2, 0)
    s = Tensor(np.array(3.0), requires_grad=True)
    s.prod().backward()
    assert s.grad == 1.0
    assert Tensor(np.zeros((0, 3))).cumsum(axis=0).shape == (0, 3)
    assert minigrad.sort(Tensor(np.array([3.0, 1.0, 2.0]))).data.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
def test_prod_with_zeros_matches_pytorch_to_second_order(x):
    torch = pytest.importorskip("torch")
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad(t.prod(), t, create_graph=True)
    th = torch.stack([torch.autograd.grad(tg[i], t, retain_graph=True)[0] for i in range(3)])
    m = Tensor(np.array(x), requires_grad=True)
    (g,) = minigrad.grad(m.prod(), [m], create_graph=True)
    np.testing.assert_array_equal(g.data, tg.detach().numpy())
    h = func.hessian(lambda a: a.prod())(Tensor(np.array(x)))
    np.testing.assert_array_equal(h.data, th.detach().numpy())


def test_var_and_std_with_ddof_at_least_n_follow_numpy():
    import warnings

    a = np.arange(6.0).reshape(3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_array_equal(
            minigrad.tensor(a).var(axis=0, ddof=4).data, np.var(a, axis=0, ddof=4)
        )
        ones = np.ones((3, 2))
        np.testing.assert_array_equal(
            minigrad.tensor(ones).std(axis=0, ddof=3).data, np.std(ones, axis=0, ddof=3)
        )


def test_cumsum_prod_and_cumprod_are_top_level():
    x = minigrad.tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(minigrad.cumsum(x).data, [1.0, 3.0, 6.0])
    np.testing.assert_array_equal(minigrad.cumprod(x).data, [1.0, 2.0, 6.0])
    assert minigrad.prod(x).item() == 6.0


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("keyword", ["ddof", "correction"])
@pytest.mark.parametrize("value", ["a", [1], type(None)])
def test_ddof_of_a_wrong_type_names_op_argument_and_value(name, keyword, value):
    x = Tensor(np.arange(6.0))
    with pytest.raises(TypeError) as info:
        getattr(x, name)(**{keyword: value})
    assert str(info.value) == f"{name}: {keyword} must be a number, got {value!r}"


def test_ddof_takes_any_number_as_numpy():
    x = Tensor(np.arange(6.0))
    for ddof in (1, np.int8(1), np.float32(1.0), 1.5, True):
        np.testing.assert_allclose(x.var(ddof=ddof).data, np.var(x.data, ddof=ddof))


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
