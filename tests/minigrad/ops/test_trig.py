"""Ops of minigrad/ops/trig.py: the table-driven check of every op, then edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor, func
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.trig"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every op of the module against its row of tests/op_cases.py."""
    check_case(name, data.draw)


# var/std of nothing are NaN with NumPy's warnings; partition needs a kth in range.
_NO_EMPTY = set()


@pytest.mark.parametrize("name", [n for n in names("minigrad.ops.trig") if n not in _NO_EMPTY])
def test_zero_size_dimensions(name):
    """Every op on inputs with a zero-length axis, as NumPy."""
    check_empty(name)


def test_sinc_is_one_at_zero_with_zero_slope():
    x = Tensor(np.array([0.0, 0.5]), requires_grad=True)
    y = minigrad.sinc(x)
    np.testing.assert_allclose(y.data, [1.0, np.sinc(0.5)])
    y.sum().backward()
    assert x.grad[0] == 0.0
    np.testing.assert_allclose(x.grad[1], (np.cos(np.pi * 0.5) - np.sinc(0.5)) / 0.5)


def test_inverse_functions_outside_their_domain_give_nan_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = minigrad.arcsin(Tensor(np.array([2.0]))).data
    assert np.isnan(out).all()


def test_zero_size_and_0d_inputs():
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    minigrad.sin(x).sum().backward()
    assert x.grad.shape == (0, 3)
    s = Tensor(np.array(0.5), requires_grad=True)
    minigrad.arctan2(s, 2.0).backward()
    np.testing.assert_allclose(s.grad, 2.0 / (0.25 + 4.0))
    assert Tensor([0.1]).cos().shape == (1,)


def test_arctan2_has_gradient_zero_at_the_origin_as_pytorch():
    """The angle has no limit at (0, 0); PyTorch's gradient there is 0 (not 0 / 0), and
    forward mode agrees with reverse mode."""
    a = Tensor(np.array([0.0, 0.0, 1.0]), requires_grad=True)
    b = Tensor(np.array([0.0, 1.0, 0.0]), requires_grad=True)
    ga, gb = minigrad.grad(minigrad.arctan2(a, b).sum(), (a, b), create_graph=True)
    np.testing.assert_array_equal(ga.data, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(gb.data, [0.0, 0.0, -1.0])
    (h,) = minigrad.grad((ga + gb).sum(), a)
    assert np.isfinite(h).all()
    ones = (Tensor(np.ones(3)), Tensor(np.ones(3)))
    _, jv = func.jvp(minigrad.arctan2, (a.detach(), b.detach()), ones)
    np.testing.assert_array_equal(jv.data, [0.0, 1.0, -1.0])
