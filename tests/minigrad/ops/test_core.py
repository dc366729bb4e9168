"""What every op shares (minigrad/ops/core.py): recording on the tape, operand
conversion and the one unbroadcast."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import Tensor, ops
from minigrad.ops.core import binary_operands, record, unbroadcast


def _double_vjp(g):
    return (2 * g,)


def test_record_tapes_only_with_grad_mode_on_and_an_input_needing_grad():
    x = Tensor(np.ones(3), requires_grad=True)
    out = record("double", x.data * 2, (x,), _double_vjp)
    assert out.grad_fn.op == "double" and out.grad_fn.parents == (x,)
    assert record("double", x.data * 2, (Tensor(np.ones(3)),), _double_vjp).grad_fn is None
    with minigrad.no_grad():
        assert record("double", x.data * 2, (x,), _double_vjp).grad_fn is None
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0, 2.0])


def test_record_wraps_numpy_scalars_as_arrays():
    out = record("double", np.float64(2.0), (Tensor(np.array(1.0)),), _double_vjp)
    assert type(out.data) is np.ndarray and out.shape == ()


def test_record_links_a_recorded_input_by_its_node():
    x = Tensor(np.ones(2), requires_grad=True)
    y = x * 2.0
    z = record("double", y.data * 2, (y, x), lambda g: (2 * g, None))
    assert z.grad_fn.parents == (y.grad_fn, x)


@pytest.mark.parametrize(
    ("grad_shape", "shape", "expected"),
    [((3, 2), (2,), [3.0, 3.0]), ((3, 4), (3, 1), [[4.0], [4.0], [4.0]]), ((2, 2), (), 4.0)],
)
def test_unbroadcast_sums_over_the_broadcast_axes(grad_shape, shape, expected):
    g = unbroadcast(np.ones(grad_shape), shape)
    assert g.shape == shape
    np.testing.assert_array_equal(g, expected)
    assert unbroadcast(np.ones(grad_shape), shape, np.float32).dtype == np.float32


def test_python_numbers_take_the_tensor_dtype():
    x = Tensor(np.ones(2, np.float32))
    a, b = binary_operands(x, 2.5, "add")
    assert a is x and b.dtype == np.float32
    a, b = binary_operands(3, x, "add")
    assert a.dtype == np.float32 and b is x
    a, b = binary_operands(1.0, [2, 3], "add")  # no Tensor: both made tensors, as NumPy
    assert a.dtype == b.dtype == minigrad.get_default_dtype()
    a, b = binary_operands(np.arange(2), 2, "add")
    assert a.dtype == b.dtype == np.arange(2).dtype
    with pytest.raises(TypeError, match="mul: unsupported operand of type dict"):
        ops.mul(x, {})
