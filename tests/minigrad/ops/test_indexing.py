"""Indexing (minigrad/ops/indexing.py): the table-driven check of getitem, scatter and
take, then every kind of index, repeated positions, masks and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import INDICES, check_case, check_empty

from minigrad import Tensor, gradcheck, ops
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.indexing"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every indexing op in the registry against its row of the op table (tests/op_cases/)."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.indexing"))
def test_zero_size_dimensions(name):
    """Every indexing op on inputs with a zero-length axis, as NumPy and PyTorch."""
    check_empty(name)


@pytest.mark.parametrize("index", INDICES, ids=repr)
def test_getitem(index):
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_array_equal(ops.getitem(Tensor(x), index).data, x[index])
    gradcheck(lambda t: ops.getitem(t, index), [x])


def test_getitem_integer_array_repeats_accumulate():
    x = Tensor(np.zeros(4), requires_grad=True)
    x[np.array([1, 1, 3, 1])].sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 3, 0, 1])


def test_getitem_boolean_mask():
    data = np.array([[1.0, -2.0], [-3.0, 4.0]])
    x = Tensor(data, requires_grad=True)
    mask = data > 0
    np.testing.assert_array_equal(x[mask].data, [1.0, 4.0])
    (x[mask] * Tensor(np.array([2.0, 3.0]))).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2, 0], [0, 3]])
    gradcheck(lambda t: t[Tensor(mask)], [data])


def test_getitem_of_overlapping_slices_sums():
    x = Tensor(np.ones(5), requires_grad=True)
    (x[:3].sum() + x[2:].sum() * 2 + x[2]).backward()
    np.testing.assert_array_equal(x.grad, [1, 1, 4, 2, 2])


def test_getitem_errors():
    with pytest.raises(IndexError, match=r"getitem: .*\(tensor of shape \(3,\)\)"):
        Tensor(np.ones(3))[5]
    with pytest.raises(TypeError, match="getitem: index arrays must be integer or boolean"):
        Tensor(np.ones(3))[np.array([0.5])]


def test_take_is_an_embedding_lookup():
    table = np.random.default_rng(0).standard_normal((5, 3))
    ids = np.array([[0, 4], [4, 4]])
    np.testing.assert_array_equal(ops.take(Tensor(table), ids).data, table[ids])
    gradcheck(lambda t: ops.take(t, ids), [table])
    gradcheck(lambda t: ops.take(t, np.array([2, 0, 2]), axis=1), [table])
    with pytest.raises(IndexError, match="take: index 5 is out of range"):
        ops.take(Tensor(table), np.array([5]))
    with pytest.raises(TypeError, match="take"):
        ops.take(Tensor(table), np.array([0.0]))
