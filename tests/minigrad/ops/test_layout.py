"""Ops of minigrad/ops/layout.py: the table-driven check of every op, then repeats,
padding modes, zero-size and 0-d inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor
from minigrad.ops.registry import REGISTRY, names


@pytest.mark.parametrize("name", names("minigrad.ops.layout"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every op of the module against its row of tests/op_cases.py."""
    check_case(name, data.draw)


# var/std of nothing are NaN with NumPy's warnings; partition needs a kth in range.
_NO_EMPTY = set()


@pytest.mark.parametrize("name", [n for n in names("minigrad.ops.layout") if n not in _NO_EMPTY])
def test_zero_size_dimensions(name):
    """Every op on inputs with a zero-length axis, as NumPy."""
    check_empty(name)


def test_all_layout_ops_are_composites():
    assert not any(REGISTRY[n].is_primitive for n in names("minigrad.ops.layout"))


def test_repeats_accumulate_gradient():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    minigrad.repeat(x, 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    y = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    minigrad.pad(y, 2, mode="reflect").sum().backward()  # [3 2 | 1 2 3 | 2 1]
    np.testing.assert_array_equal(y.grad, [2.0, 3.0, 2.0])
    z = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    out = minigrad.pad(z, 1, constant_values=7.0)
    np.testing.assert_array_equal(out.data, [7.0, 1.0, 2.0, 7.0])
    out.sum().backward()
    np.testing.assert_array_equal(z.grad, [1.0, 1.0])


def test_zero_size_0d_and_negative_axes():
    e = Tensor(np.zeros((0, 3)), requires_grad=True)
    minigrad.flip(e, -1).sum().backward()
    assert e.grad.shape == (0, 3)
    assert minigrad.atleast_2d(Tensor(np.array(2.0))).shape == (1, 1)
    assert minigrad.atleast_3d(Tensor(np.zeros(4))).shape == (1, 4, 1)
    x = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.roll(1, -1).data, np.roll(x.data, 1, -1))
    np.testing.assert_array_equal(x.moveaxis(-1, 0).data, np.moveaxis(x.data, -1, 0))
    np.testing.assert_array_equal(minigrad.diag(minigrad.diag(x)).data, np.diag(np.diag(x.data)))
    with pytest.raises(ValueError, match="pad: mode 'wrap'"):
        minigrad.pad(x, 1, mode="wrap")
    with pytest.raises(ValueError, match="tril"):
        minigrad.tril(Tensor(np.zeros(3)))
