"""Ops of minigrad/ops/arith.py: the table-driven check of every op, then edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.arith"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every op of the module against its row of tests/op_cases/."""
    check_case(name, data.draw)


# var/std of nothing are NaN with NumPy's warnings; partition needs a kth in range.
_NO_EMPTY = set()


@pytest.mark.parametrize("name", [n for n in names("minigrad.ops.arith") if n not in _NO_EMPTY])
def test_zero_size_dimensions(name):
    """Every op on inputs with a zero-length axis, as NumPy."""
    check_empty(name)


def test_linspace_with_tensor_endpoints():
    start = Tensor(np.array(1.0), requires_grad=True)
    stop = Tensor(np.array([2.0, 5.0]), requires_grad=True)
    out = minigrad.linspace(start, stop, 5)
    np.testing.assert_allclose(out.data, np.linspace(1.0, [2.0, 5.0], 5))
    out.sum().backward()
    np.testing.assert_allclose(start.grad, 2 * (1 - np.linspace(0, 1, 5)).sum())
    np.testing.assert_allclose(stop.grad, np.full(2, np.linspace(0, 1, 5).sum()))
    assert minigrad.linspace(0.0, 1.0, 0).shape == (0,)


def test_diff_zero_size_and_errors():
    x = Tensor(np.arange(4.0) ** 2, requires_grad=True)
    np.testing.assert_array_equal(x.diff(2).data, [2.0, 2.0])
    assert minigrad.diff(Tensor(np.zeros((3, 1))), axis=1).shape == (3, 0)
    with pytest.raises(ValueError, match="diff: axis 2"):
        minigrad.diff(x, axis=2)
    assert x.square().shape == (4,)


@pytest.mark.parametrize("num", [2.5, True, "3"])
def test_linspace_num_must_be_an_integer(num):
    with pytest.raises(TypeError, match=f"^linspace: num must be an integer, got {num!r}"):
        minigrad.linspace(0.0, 1.0, num)


def test_linspace_between_integer_tensors_gives_the_default_float_dtype():
    n = Tensor(np.array([3, -4]))
    out = minigrad.linspace(n, n + 2, 3)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, np.linspace(n.data, n.data + 2, 3))


def test_diff_of_booleans_is_whether_they_changed_as_numpy():
    """NumPy's diff of a bool array is after != before (bool); it was a TypeError from
    NumPy's refusal to subtract booleans."""
    b = np.array([[True, False, False, True], [False, False, True, True]])
    for n, axis in [(1, -1), (2, -1), (1, 0), (3, 1)]:
        got = minigrad.diff(Tensor(b), n=n, axis=axis)
        want = np.diff(b, n=n, axis=axis)
        assert got.dtype == want.dtype == np.bool_
        np.testing.assert_array_equal(got.data, want)
