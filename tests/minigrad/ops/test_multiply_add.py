"""addcmul (minigrad/ops/multiply_add.py): the table-driven check, then its value,
operands, errors, second derivatives and the cell updates it stands for, against
PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_cases import check_case, check_empty
from strategies import arrays

import minigrad
from minigrad import Tensor, gradcheck, ops
from minigrad.func import jvp
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.multiply_add"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every op of the module against its row of tests/op_cases/."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.multiply_add"))
def test_zero_size_dimensions(name):
    check_empty(name)


@given(data=st.data(), value=st.floats(-2.0, 2.0) | st.integers(-3, 3))
def test_value_scales_the_product(data, value):
    """input + value t1 t2 over broadcasting shapes: values, and gradients against
    finite differences in float64, reverse and forward mode."""
    sh = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3))
    a, b, c = (data.draw(arrays(s)) for s in sh.input_shapes)
    out = ops.addcmul(Tensor(a), Tensor(b), Tensor(c), value=value)
    assert out.shape == sh.result_shape
    np.testing.assert_allclose(out.data, a + value * b * c, rtol=1e-12, atol=1e-12)
    report = gradcheck(lambda x, y, z: ops.addcmul(x, y, z, value=value), [a, b, c])
    assert report.ok
    tangents = [np.ones_like(a), np.full_like(b, 0.5), np.full_like(c, -1.0)]
    fn = lambda x, y, z: ops.addcmul(x, y, z, value=value)  # noqa: E731
    _, dy = jvp(fn, tuple(Tensor(v) for v in (a, b, c)), tuple(tangents))
    want = tangents[0] + value * (tangents[1] * c + b * tangents[2])
    np.testing.assert_allclose(dy.data, np.broadcast_to(want, out.shape), atol=1e-12)


def test_addcmul_is_the_cell_update_in_one_node():
    """c' = f c + i g: one addcmul node over f * c, the same values and gradients."""
    rng = np.random.default_rng(0)
    x, i, g = (rng.standard_normal((3, 4)) for _ in range(3))
    ts = [Tensor(v, requires_grad=True) for v in (x, i, g)]
    out = ts[0].addcmul(ts[1], ts[2])
    assert out.grad_fn.op == "addcmul" and all(p.grad is None for p in ts)
    np.testing.assert_array_equal(out.data, x + i * g)
    gy = rng.standard_normal((3, 4))
    out.backward(gy)
    np.testing.assert_array_equal(ts[0].grad, gy)
    np.testing.assert_array_equal(ts[1].grad, gy * g)
    np.testing.assert_array_equal(ts[2].grad, gy * i)


def test_second_derivatives_through_create_graph():
    """d/dt1 of (d out / d t2 . v) = v: the gradient is itself differentiable."""
    rng = np.random.default_rng(3)
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((3,)), rng.standard_normal((2, 1))
    ta, tb, tc = (Tensor(v, requires_grad=True) for v in (a, b, c))
    out = minigrad.addcmul(ta, tb, tc, value=1.5)
    (gc,) = minigrad.grad(out.sum(), [tc], create_graph=True)
    np.testing.assert_allclose(gc.data, 1.5 * np.broadcast_to(b, (2, 3)).sum(1, keepdims=True))
    (gb,) = minigrad.grad(gc.sum(), [tb])
    np.testing.assert_allclose(gb, np.full(3, 1.5 * 2))


def test_addcmul_operands():
    a = Tensor(np.zeros(3, np.float32), requires_grad=True)
    out = a.addcmul(Tensor(np.full(3, 2.0, np.float32)), 0.25, value=np.float64(2.0))
    assert out.dtype == np.float32  # numbers, NumPy scalars included, take the dtype
    np.testing.assert_array_equal(out.data, [1.0, 1.0, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0, 1.0])
    assert minigrad.addcmul(np.zeros(2), Tensor(np.ones(2)), 3.0).dtype == np.float64
    # integer operands take a floating operand's dtype; all-integer ones stay integers
    half = Tensor(np.array([0.5, 0.5], np.float32))
    mixed = minigrad.addcmul(Tensor(np.array([1, 2])), Tensor(np.array([4, 6])), half)
    np.testing.assert_array_equal(mixed.data, [3.0, 5.0])
    assert mixed.dtype == np.float32
    ints = minigrad.addcmul(Tensor(np.array([1, 2])), Tensor(np.array([4, 6])), 2, value=3)
    np.testing.assert_array_equal(ints.data, [25, 38])
    assert ints.dtype.kind == "i"


def test_addcmul_errors_name_the_op_and_the_problem():
    with pytest.raises(ValueError, match=r"addcmul: shapes \(3, 2\) and \(3,\) and \(\)"):
        ops.addcmul(Tensor(np.ones((3, 2))), Tensor(np.ones(3)), Tensor(np.ones(())))
    with pytest.raises(
        ValueError, match=r"addcmul: shapes \(4,\) and \(3, 1\) and \(2,\) cannot be broadcast"
    ):
        ops.addcmul(Tensor(np.ones(4)), Tensor(np.ones((3, 1))), Tensor(np.ones(2)))
    with pytest.raises(TypeError, match="addcmul: needs a Tensor operand"):
        ops.addcmul(1.0, 2.0, 0.5)
    t = Tensor(np.ones(2))
    for bad in ("2", None, True, 1j, t):
        with pytest.raises(TypeError, match="addcmul: value must be a real number, got"):
            ops.addcmul(t, t, t, value=bad)
    ints = Tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match=r"addcmul: value 0.5 is not an integer.*int64"):
        ops.addcmul(ints, ints, ints, value=0.5)


@pytest.mark.torch
@pytest.mark.parametrize("value", [1, -0.75])
def test_addcmul_against_torch_in_float32(value):
    """The LSTM's case (all (N, H), float32) and a broadcast one against torch.addcmul."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    for shapes in (((8, 16),) * 3, ((16,), (8, 1), (8, 16))):
        arrays_ = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        ours = [Tensor(a, requires_grad=True) for a in arrays_]
        theirs = [torch.tensor(a, requires_grad=True) for a in arrays_]
        g = rng.standard_normal((8, 16)).astype(np.float32)
        out = ops.addcmul(*ours, value=value)
        ref = torch.addcmul(*theirs, value=value)
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-5, atol=1e-6)
        out.backward(g)
        ref.backward(torch.tensor(g))
        for a, b in zip(ours, theirs, strict=True):
            assert a.grad.dtype == np.float32 and a.grad.shape == tuple(b.shape)
            np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-5, atol=1e-6)
