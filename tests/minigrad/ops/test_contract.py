"""Ops of minigrad/ops/contract.py: the table-driven check of every op, then
repeated letters, ``...`` and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor, func
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.contract"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every op of the module against its row of tests/op_cases.py."""
    check_case(name, data.draw)


# var/std of nothing are NaN with NumPy's warnings; partition needs a kth in range.
_NO_EMPTY = set()


@pytest.mark.parametrize("name", [n for n in names("minigrad.ops.contract") if n not in _NO_EMPTY])
def test_zero_size_dimensions(name):
    """Every op on inputs with a zero-length axis, as NumPy."""
    check_empty(name)


def test_einsum_trace_diagonal_and_ellipsis_gradients():
    a = Tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    minigrad.einsum("ii", a).backward()
    np.testing.assert_array_equal(a.grad, np.eye(3))
    b = Tensor(np.ones((1, 3)), requires_grad=True)
    c = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = minigrad.einsum("...i,...i->...", b, c)
    np.testing.assert_array_equal(out.data, [3.0, 12.0])
    out.sum().backward()
    np.testing.assert_array_equal(b.grad, [[3.0, 5.0, 7.0]])  # summed over the broadcast axis


def test_einsum_second_derivative_of_a_quadratic_form():
    m = np.array([[2.0, 1.0], [0.0, 3.0]])
    h = func.hessian(lambda x: minigrad.einsum("i,ij,j", x, m, x))(Tensor(np.ones(2)))
    np.testing.assert_allclose(h.data, m + m.T)


def test_dot_of_0d_and_nd():
    s = Tensor(np.array(2.0), requires_grad=True)
    minigrad.dot(s, Tensor(np.ones((2, 2)))).sum().backward()
    assert s.grad == 4.0


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="einsum: 1 subscripts for 2 operands"):
        minigrad.einsum("ij", Tensor(np.ones((2, 2))), Tensor(np.ones(2)))
    with pytest.raises(ValueError, match="cross: needs 3-vectors"):
        minigrad.cross(Tensor(np.ones(2)), Tensor(np.ones(2)))
