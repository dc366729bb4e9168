"""Ops of minigrad/ops/stats.py: the table-driven check of every op, then zeros in
products, constants in std, aliases, zero-size and 0-d inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor, func, ops
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.stats"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every op of the module against its row of tests/op_cases/."""
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


def test_cumprod_of_integers_keeps_integers_as_numpy():
    n = Tensor(np.array([3, -4, 5]))
    out = minigrad.cumprod(n)
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out.data, np.cumprod(n.data))


def test_topk_values_indices_and_gradient_as_pytorch():
    x = np.array([[1.0, 5.0, 3.0, 2.0], [0.5, -1.0, 4.0, 4.5]])
    t = Tensor(x, requires_grad=True)
    values, indices = t.topk(2)
    np.testing.assert_array_equal(values.data, [[5.0, 3.0], [4.5, 4.0]])
    assert indices.dtype == np.int64 and indices.data.tolist() == [[1, 2], [3, 2]]
    values.backward(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(t.grad, [[0, 1, 2, 0], [0, 0, 4, 3]])
    low = ops.topk(Tensor(x), 1, dim=0, largest=False)
    np.testing.assert_array_equal(low.values.data, [[0.5, -1.0, 3.0, 2.0]])
    np.testing.assert_array_equal(low.indices.data, [[1, 1, 0, 0]])


def test_topk_takes_ties_in_index_order_and_nan_as_the_largest():
    x = Tensor(np.array([2.0, np.nan, 2.0, 7.0, 2.0]))
    np.testing.assert_array_equal(x.topk(3).indices.data, [1, 3, 0])
    np.testing.assert_array_equal(x.topk(3, largest=False).indices.data, [0, 2, 4])
    assert x.topk(5, sorted=False).values.shape == (5,)
    assert x.topk(0).values.shape == (0,)


def test_topk_of_a_0d_tensor_and_its_errors():
    r = ops.topk(Tensor(np.array(5.0)), 1)
    assert r.values.shape == () and r.values.data == 5.0 and r.indices.data == 0
    x = Tensor(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"^topk: k=4 is out of range for dim 1 of size 3"):
        x.topk(4)
    with pytest.raises(ValueError, match=r"^topk: dim 2 is out of range"):
        x.topk(1, dim=2)
    with pytest.raises(TypeError, match=r"^topk: k must be an integer, got 1.5"):
        x.topk(1.5)
