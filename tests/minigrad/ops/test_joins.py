"""Joining ops (minigrad/ops/joins.py): concatenate and stack, the table-driven check,
then constant inputs, errors and NumPy's axis=None."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

from minigrad import Tensor, ops
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.joins"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every joining op in the registry against its row of the op table (tests/op_cases/)."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.joins"))
def test_zero_size_dimensions(name):
    """Every joining op on inputs with a zero-length axis, as NumPy and PyTorch."""
    check_empty(name)


def test_join_with_constant_inputs_and_errors():
    x = Tensor(np.ones(2), requires_grad=True)
    ops.concatenate([x, np.zeros(3), x]).sum().backward()
    np.testing.assert_array_equal(x.grad, [2, 2])
    with pytest.raises(ValueError, match="concatenate: shapes"):
        ops.concatenate([Tensor(np.ones((2, 2))), Tensor(np.ones((3, 3)))])
    with pytest.raises(ValueError, match="stack: shapes"):
        ops.stack([Tensor(np.ones(2)), Tensor(np.ones(3))])
    with pytest.raises(ValueError, match="stack: needs at least one tensor"):
        ops.stack([])


def test_concatenate_with_axis_none_joins_the_flattened_tensors_as_numpy():
    a, b = np.arange(4.0).reshape(2, 2), np.arange(3.0)
    x = Tensor(a, requires_grad=True)
    out = ops.concatenate([x, Tensor(b)], axis=None)
    np.testing.assert_array_equal(out.data, np.concatenate([a, b], axis=None))
    (out * Tensor(np.arange(7.0))).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0], [2.0, 3.0]])
