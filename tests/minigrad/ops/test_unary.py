"""Elementwise ops of one tensor (minigrad/ops/unary.py): the table-driven check of
every op, then the behaviour at kinks, bounds and dtypes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

from minigrad import Tensor, gradcheck, ops
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.unary"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every unary op in the registry against its row of tests/op_cases/."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.unary"))
def test_zero_size_dimensions(name):
    """Every unary op on inputs with a zero-length axis, as NumPy and PyTorch."""
    check_empty(name)


def test_clip_with_one_bound():
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    np.testing.assert_array_equal(ops.clip(Tensor(x), None, 1.0).data, [-2.0, -0.5, 0.5, 1.0])
    gradcheck(lambda t: ops.clip(t, None, 1.0), [x])
    gradcheck(lambda t: ops.clip(t, -1.0, None), [x])


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="clip"):
        ops.clip(Tensor([1.0]))


def test_relu_gradient_at_zero_is_zero():
    x = Tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    ops.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


def test_clip_of_integers_to_a_float_bound_gives_the_default_float_dtype():
    n = Tensor(np.array([3, -4, 5]))
    out = n.clip(0, 2.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, [2.5, 0.0, 2.5])
    assert n.clip(0, 2).dtype == np.int64
    f = Tensor(np.ones(3, np.float32))
    assert f.clip(np.float64(0.5)).dtype == np.float32  # no silent upcast


def test_clip_refuses_tensor_bounds_and_names_the_differentiable_way():
    x = Tensor(np.ones(3))
    with pytest.raises(TypeError, match=r"^clip: the bounds are numbers or arrays .* maximum"):
        ops.clip(x, Tensor(np.zeros(3)))
