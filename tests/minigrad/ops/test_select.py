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


def test_masked_fill_gives_the_filled_positions_no_gradient_and_the_value_their_sum():
    x = Tensor(np.array([[1.0, np.inf], [3.0, np.nan]]), requires_grad=True)
    value = Tensor(np.array(5.0), requires_grad=True)
    mask = Tensor(np.array([False, True]))  # broadcast over the rows
    y = x.masked_fill(mask, value)
    np.testing.assert_array_equal(y.data, [[1.0, 5.0], [3.0, 5.0]])
    y.backward(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0], [3.0, 0.0]])  # selected: no inf * 0
    assert value.grad == 6.0
    assert ops.masked_fill is ops.REGISTRY["masked_fill"].forward


def test_masked_fill_takes_the_tensors_dtype_and_a_broadcast_shape_as_pytorch():
    n = Tensor(np.array([1, 2]))
    out = n.masked_fill(np.array([True, False]), 1.7)
    assert out.dtype == np.int64 and out.data.tolist() == [1, 2]
    f = Tensor(np.zeros(3, np.float32))
    assert f.masked_fill(np.array([True, False, True]), 2.0).dtype == np.float32
    big = f.masked_fill(Tensor(np.array([[True], [False]])), Tensor(np.array(2.0)))
    assert big.shape == (2, 3) and big.dtype == np.float32
    np.testing.assert_array_equal(big.data, [[2, 2, 2], [0, 0, 0]])


@pytest.mark.parametrize(
    ("mask", "value", "error", "message"),
    [
        (np.array([1.0, 0.0]), 1.0, TypeError, r"^masked_fill: the mask must be boolean, got"),
        (np.array([True, False, True]), 1.0, ValueError, r"mask of shape \(3,\) does not"),
        (np.array([True, False]), Tensor(np.ones(2)), ValueError, r"a 0-d tensor, got shape"),
        # an array or a list is no number either: it would fill position by position
        (np.array([True, False]), np.ones(2), ValueError, r"a 0-d tensor, got shape \(2,\)"),
        (np.array([True, False]), [1.0, 2.0], ValueError, r"a 0-d tensor, got shape \(2,\)"),
    ],
)
def test_masked_fill_refuses_what_pytorch_refuses(mask, value, error, message):
    with pytest.raises(error, match=message):
        Tensor(np.zeros(2)).masked_fill(mask, value)


@pytest.mark.parametrize(
    ("dtype", "value", "error"),
    [
        (np.uint8, 300, OverflowError),
        (np.int8, -129, OverflowError),
        (np.int32, 2**40, OverflowError),
        (np.int64, np.inf, OverflowError),
        (np.int64, np.nan, ValueError),
    ],
)
def test_masked_fill_refuses_a_value_the_dtype_cannot_hold(dtype, value, error):
    # as every op given a Python int (u8 + 300, where, full, fill_) and as PyTorch
    # ("value cannot be converted to type uint8_t without overflow"); NumPy's astype
    # would wrap it (300 -> 44, NaN -> the most negative int64)
    t = Tensor(np.zeros(2, dtype))
    with pytest.raises(
        error, match=rf"^masked_fill: value {value!r} does not fit .* {dtype.__name__}"
    ):
        t.masked_fill(np.array([True, False]), value)
    assert (
        t.masked_fill(np.array([True, False]), np.iinfo(dtype).max).data[0] == np.iinfo(dtype).max
    )
