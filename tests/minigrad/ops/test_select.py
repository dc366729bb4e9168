"""Selection ops of two operands (minigrad/ops/select.py): the table-driven check of
every op, then ties of maximum and where's unused branch. Boundary gradients of
maximum and minimum, and the dtype of mixed operands, are checked with the arithmetic
(test_elementwise.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

from minigrad import Tensor, ops
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.select"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every selection op in the registry against its row of the op table (tests/op_cases/)."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.select"))
def test_zero_size_dimensions(name):
    """Every selection op on inputs with a zero-length axis, as NumPy and PyTorch."""
    check_empty(name)


def test_maximum_ties_split_the_gradient():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = Tensor(np.array([1.0, 5.0, 0.0]), requires_grad=True)
    ops.maximum(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(y.grad, [0.5, 1.0, 0.0])


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
