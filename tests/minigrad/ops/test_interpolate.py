"""lerp (minigrad/ops/interpolate.py): the table-driven check, then its operands,
errors, and the GRU update it stands for, against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor, gradcheck, ops
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.interpolate"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every op of the module against its row of tests/op_cases/."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.interpolate"))
def test_zero_size_dimensions(name):
    check_empty(name)


def test_lerp_is_the_gru_update_in_one_node():
    """h' = n + z (h - n): one lerp node, the same values and gradients as the three ops."""
    rng = np.random.default_rng(0)
    n, h, z = (rng.standard_normal((3, 4)) for _ in range(3))
    ts = [Tensor(v, requires_grad=True) for v in (n, h, z)]
    out = ops.lerp(*ts)
    assert out.grad_fn.op == "lerp" and all(p.grad is None for p in ts)
    np.testing.assert_array_equal(out.data, n + z * (h - n))
    g = rng.standard_normal((3, 4))
    out.backward(g)
    np.testing.assert_allclose(ts[0].grad, g * (1 - z), rtol=1e-14)
    np.testing.assert_allclose(ts[1].grad, g * z, rtol=1e-14)
    np.testing.assert_allclose(ts[2].grad, g * (h - n), rtol=1e-14)
    gradcheck(ops.lerp, [n, h, z])


def test_lerp_operands():
    a = Tensor(np.zeros(3, np.float32), requires_grad=True)
    b = Tensor(np.full(3, 4.0, np.float32))
    out = a.lerp(b, 0.25)  # a Python number takes the tensors' dtype
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, [1.0, 1.0, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [0.75, 0.75, 0.75])
    assert minigrad.lerp(np.zeros(2), Tensor(np.ones(2)), 0.5).dtype == np.float64
    # integer ends take the floating weight's dtype
    half = Tensor(np.array([0.5, 0.5], np.float32))
    ints = minigrad.lerp(Tensor(np.array([0, 2])), Tensor(np.array([4, 6])), half)
    np.testing.assert_array_equal(ints.data, [2.0, 4.0])
    assert ints.dtype == np.float32


def test_lerp_broadcast_gradients_reduce_to_each_shape():
    rng = np.random.default_rng(1)
    s, e, w = rng.standard_normal((3, 1)), rng.standard_normal((4,)), rng.standard_normal(())
    ts = [Tensor(v, requires_grad=True) for v in (s, e, w)]
    ops.lerp(*ts).sum().backward()
    assert [t.grad.shape for t in ts] == [(3, 1), (4,), ()]
    gradcheck(ops.lerp, [s, e, w])


def test_lerp_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"lerp: shapes \(3, 2\) and \(3,\) and \(\)"):
        ops.lerp(Tensor(np.ones((3, 2))), Tensor(np.ones(3)), Tensor(np.ones(())))
    with pytest.raises(TypeError, match="lerp: needs a Tensor operand"):
        ops.lerp(1.0, 2.0, 0.5)


@pytest.mark.torch
def test_lerp_against_torch_in_float32():
    """The GRU's case (all (N, H), float32) against torch.lerp: values and gradients."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((8, 16)).astype(np.float32) for _ in range(3)]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    g = rng.standard_normal((8, 16)).astype(np.float32)
    out = ops.lerp(*ours)
    ref = torch.lerp(*theirs)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.backward(g)
    ref.backward(torch.tensor(g))
    for a, b in zip(ours, theirs, strict=True):
        assert a.grad.dtype == np.float32
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-5, atol=1e-6)
