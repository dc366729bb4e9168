"""Elementwise ops of two operands (minigrad/ops/elementwise.py): the table-driven check
of every op, then broadcasting, ties, and where's unused branch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import CASES, check_case

from minigrad import Tensor, gradcheck, ops
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.elementwise"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every elementwise op in the registry against its row of tests/op_cases.py."""
    check_case(name, data.draw)


@pytest.mark.parametrize(
    ("sa", "sb"),
    [((3, 2), (2,)), ((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ()), ((4, 1, 3), (2, 1))],
)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_named_broadcast_pairs(name, sa, sb):
    op, ref = getattr(ops, name), CASES[name].ref
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 2.0, sa)
    b = rng.uniform(0.5, 2.0, sb)
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    op(x, y).sum().backward()
    assert x.grad.shape == sa and y.grad.shape == sb
    np.testing.assert_allclose(op(Tensor(a), Tensor(b)).data, ref(a, b))
    gradcheck(op, [a, b])


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum"])
def test_broadcast_error_names_op_and_shapes(name):
    op = getattr(ops, name)
    with pytest.raises(ValueError, match=rf"{name}: shapes \(3, 2\) and \(3,\)"):
        op(Tensor(np.ones((3, 2))), Tensor(np.ones(3)))


def test_maximum_ties_split_the_gradient():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = Tensor(np.array([1.0, 5.0, 0.0]), requires_grad=True)
    ops.maximum(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(y.grad, [0.5, 1.0, 0.0])


def test_pow_gradient_wrt_exponent_is_zero_for_nonpositive_base():
    base = Tensor(np.array([-2.0, 0.0, 2.0]))
    e = Tensor(np.array([2.0, 2.0, 2.0]), requires_grad=True)
    (base**e).sum().backward()
    np.testing.assert_allclose(e.grad, [0.0, 0.0, 4.0 * np.log(2.0)])


def test_where_does_not_leak_nan_from_the_unused_branch():
    x = Tensor(np.array([-2.0, 1.0, 3.0]), requires_grad=True)
    y = ops.log(x)  # nan at x = -2, which the where does not select
    z = ops.log(ops.neg(x))  # nan where x > 0, likewise unused
    out = ops.where(x > 0, y, z)
    out.sum().backward()
    assert np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(x.grad, 1.0 / x.data)


def test_where_python_scalar_keeps_float32():
    x = Tensor(np.array([-1.0, 1.0], np.float32), requires_grad=True)
    y = ops.where(x > 0, x, 0.0)
    assert y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])
