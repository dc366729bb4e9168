"""Reductions (minigrad/ops/reduce.py): the table-driven check, then ties and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

from minigrad import Tensor, ops
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.reduce"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every reduction op in the registry against its row of tests/op_cases/."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.reduce"))
def test_zero_size_dimensions(name):
    """Every reduce op on inputs with a zero-length axis, as NumPy and PyTorch."""
    check_empty(name)


def test_max_ties_share_the_gradient():
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 0.0]]), requires_grad=True)
    ops.max(x, axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0.5, 0.5], [1, 0, 0]])


def test_reduction_errors():
    with pytest.raises(ValueError, match="sum: axis 2 is out of range"):
        ops.sum(Tensor(np.ones((2, 2))), 2)
    with pytest.raises(ValueError, match="max"):
        ops.max(Tensor(np.ones((0,))))


def test_sum_of_scalar():
    x = Tensor(np.array(2.0), requires_grad=True)
    ops.sum(x).backward()
    assert x.grad.shape == () and x.grad == 1.0
