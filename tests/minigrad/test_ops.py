"""Primitive ops: forward against NumPy, gradient against finite differences (float64)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import (
    arrays,
    away_from_kinks,
    broadcast_pairs,
    distinct_arrays,
    matmul_pairs,
    positive_arrays,
    shapes,
)

from minigrad import Tensor, gradcheck, ops

# ------------------------------------------------------------------ elementwise binary

BINARY = {
    "add": (ops.add, np.add),
    "sub": (ops.sub, np.subtract),
    "mul": (ops.mul, np.multiply),
    "div": (ops.div, np.divide),
    "pow": (ops.pow, np.power),
    "maximum": (ops.maximum, np.maximum),
    "minimum": (ops.minimum, np.minimum),
    "logaddexp": (ops.logaddexp, np.logaddexp),
}


@st.composite
def binary_case(draw, name: str):
    sa, sb = draw(broadcast_pairs())
    if name == "pow":
        return draw(positive_arrays(sa, 0.5, 2.0)), draw(arrays(sb, -2.0, 2.0))
    if name == "div":
        return draw(arrays(sa)), draw(away_from_kinks(sb, gap=0.3))
    if name in ("maximum", "minimum"):
        # a on a grid of 0.1, b halfway between grid points: never tied, at least 0.05 apart.
        grid = st.integers(-30, 30)
        a = draw(hnp.arrays(np.int64, sa, elements=grid)) * 0.1
        b = draw(hnp.arrays(np.int64, sb, elements=grid)) * 0.1 + 0.05
        return np.asarray(a, np.float64), np.asarray(b, np.float64)
    return draw(arrays(sa)), draw(arrays(sb))


@pytest.mark.parametrize("name", sorted(BINARY))
@given(data=st.data())
def test_binary_forward_and_gradient(name, data):
    op, ref = BINARY[name]
    a, b = data.draw(binary_case(name))
    out = op(Tensor(a), Tensor(b))
    np.testing.assert_allclose(out.data, ref(a, b), rtol=1e-12, atol=1e-12)
    assert out.shape == np.broadcast_shapes(a.shape, b.shape)
    gradcheck(op, [a, b])


@pytest.mark.parametrize(
    ("sa", "sb"),
    [((3, 2), (2,)), ((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ()), ((4, 1, 3), (2, 1))],
)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_named_broadcast_pairs(name, sa, sb):
    op, ref = BINARY[name]
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 2.0, sa)
    b = rng.uniform(0.5, 2.0, sb)
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    op(x, y).sum().backward()
    assert x.grad.shape == sa and y.grad.shape == sb
    np.testing.assert_allclose(op(Tensor(a), Tensor(b)).data, ref(a, b))
    gradcheck(op, [a, b])


def test_maximum_ties_split_the_gradient():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = Tensor(np.array([1.0, 5.0, 0.0]), requires_grad=True)
    ops.maximum(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(y.grad, [0.5, 1.0, 0.0])


def test_pow_gradient_wrt_exponent_is_zero_for_nonpositive_base():
    base = Tensor(np.array([-2.0, 0.0, 2.0]))
    e = Tensor(np.array([2.0, 2.0, 2.0]), requires_grad=True)
    (base**e).sum().backward()
    np.testing.assert_allclose(e.grad, [0.0, 0.0, 4.0 * np.log(2.0)])


# ------------------------------------------------------------------- elementwise unary

UNARY = {
    "neg": (ops.neg, np.negative, arrays),
    "exp": (ops.exp, np.exp, arrays),
    "log": (ops.log, np.log, positive_arrays),
    "sqrt": (ops.sqrt, np.sqrt, positive_arrays),
    "abs": (ops.abs, np.abs, away_from_kinks),
    "tanh": (ops.tanh, np.tanh, arrays),
    "sigmoid": (ops.sigmoid, lambda x: 1 / (1 + np.exp(-x)), arrays),
    "relu": (ops.relu, lambda x: np.maximum(x, 0), away_from_kinks),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(data=st.data())
def test_unary_forward_and_gradient(name, data):
    op, ref, values = UNARY[name]
    x = data.draw(values(data.draw(shapes)))
    np.testing.assert_allclose(op(Tensor(x)).data, ref(x), rtol=1e-12, atol=1e-15)
    gradcheck(op, [x])


@given(data=st.data())
def test_clip_forward_and_gradient(data):
    x = data.draw(arrays(data.draw(shapes)))
    # Keep points off the clip bounds, where the derivative jumps.
    x = np.where(np.abs(np.abs(x) - 1.0) < 1e-2, x + 0.05, x)
    np.testing.assert_array_equal(ops.clip(Tensor(x), -1.0, 1.0).data, np.clip(x, -1.0, 1.0))
    gradcheck(lambda t: ops.clip(t, -1.0, 1.0), [x])
    gradcheck(lambda t: ops.clip(t, None, 1.0), [x])


def test_clip_needs_a_bound():
    with pytest.raises(ValueError, match="clip"):
        ops.clip(Tensor([1.0]))


def test_relu_gradient_at_zero_is_zero():
    x = Tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
    ops.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


def test_cast_round_trips_the_gradient_dtype():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    y = x.double() * 2.0
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2, 2, 2])
    with pytest.raises(TypeError, match="cast"):
        x.astype(np.int64)


# ------------------------------------------------------------------------------ where


@given(data=st.data())
def test_where_forward_and_gradient(data):
    sa, sb = data.draw(broadcast_pairs())
    a, b = data.draw(arrays(sa)), data.draw(arrays(sb))
    cond = data.draw(arrays(np.broadcast_shapes(sa, sb))) > 0
    np.testing.assert_array_equal(ops.where(cond, Tensor(a), Tensor(b)).data, np.where(cond, a, b))
    gradcheck(lambda x, y: ops.where(cond, x, y), [a, b])


def test_where_does_not_leak_nan_from_the_unused_branch():
    x = Tensor(np.array([-2.0, 1.0, 3.0]), requires_grad=True)
    y = ops.log(x)  # nan at x = -2, which the where does not select
    z = ops.log(ops.neg(x))  # nan where x > 0, likewise unused
    out = ops.where(x > 0, y, z)
    out.sum().backward()
    assert np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(x.grad, 1.0 / x.data)


def test_where_python_scalar_keeps_float32():
    x = Tensor(np.array([-1.0, 1.0], np.float32), requires_grad=True)
    y = ops.where(x > 0, x, 0.0)
    assert y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


# ---------------------------------------------------------------------------- matmul


@given(data=st.data())
def test_matmul_forward_and_gradient(data):
    sa, sb = data.draw(matmul_pairs())
    a, b = data.draw(arrays(sa)), data.draw(arrays(sb))
    out = ops.matmul(Tensor(a), Tensor(b))
    np.testing.assert_allclose(out.data, a @ b, rtol=1e-12, atol=1e-12)
    gradcheck(ops.matmul, [a, b])


@pytest.mark.parametrize(
    ("sa", "sb"),
    [((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((4, 2, 3), (3,)), ((3,), (4, 3, 2)),
     ((2, 1, 2, 3), (5, 3, 2)), ((2, 3), (4, 3, 2))],
)  # fmt: skip
def test_matmul_named_cases(sa, sb):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    (x @ y).sum().backward()
    assert x.grad.shape == sa and y.grad.shape == sb
    gradcheck(ops.matmul, [a, b])


@given(
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(1, 4),
    st.sampled_from(["full", "row", "vector", "column", "scalar"]),
    st.data(),
)
def test_addmm_is_add_of_matmul(n, k, m, bias_kind, data):
    """The fused op against its unfused composition, and against finite differences."""
    shape = {"full": (n, m), "row": (1, m), "vector": (m,), "column": (n, 1), "scalar": ()}
    c = data.draw(arrays(shape[bias_kind]))
    a, b = data.draw(arrays((n, k))), data.draw(arrays((k, m)))
    ts = [Tensor(v, requires_grad=True) for v in (c, a, b)]
    us = [Tensor(v, requires_grad=True) for v in (c, a, b)]
    fused = ops.addmm(*ts)
    unfused = ops.add(us[0], ops.matmul(us[1], us[2]))
    np.testing.assert_allclose(fused.data, unfused.data, rtol=1e-13, atol=1e-13)
    g = np.random.default_rng(0).standard_normal(fused.shape)
    fused.backward(g)
    unfused.backward(g)
    for t, u in zip(ts, us, strict=True):
        assert t.grad.shape == u.grad.shape
        np.testing.assert_allclose(t.grad, u.grad, rtol=1e-12, atol=1e-12)
    gradcheck(ops.addmm, [c, a, b])


def test_addmm_keeps_float32_and_names_shapes():
    x = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    w = Tensor(np.ones((3, 4), np.float32), requires_grad=True)
    out = ops.addmm(0.5, x, w)
    assert out.dtype == np.float32 and out.data[0, 0] == 3.5
    out.sum().backward()
    assert x.grad.dtype == w.grad.dtype == np.float32
    with pytest.raises(ValueError, match=r"addmm: shapes \(2, 3\) @ \(4, 4\) do not align"):
        ops.addmm(0.0, x, Tensor(np.ones((4, 4), np.float32)))
    with pytest.raises(ValueError, match="addmm"):
        ops.addmm(np.ones(5, np.float32), x, w)


def test_matmul_shape_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) @ \(5, 2\) do not align"):
        ops.matmul(Tensor(np.ones((3, 4))), Tensor(np.ones((5, 2))))
    with pytest.raises(ValueError, match="matmul"):
        ops.matmul(Tensor(np.ones(())), Tensor(np.ones(3)))


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum"])
def test_broadcast_error_names_op_and_shapes(name):
    op = BINARY[name][0]
    with pytest.raises(ValueError, match=rf"{name}: shapes \(3, 2\) and \(3,\)"):
        op(Tensor(np.ones((3, 2))), Tensor(np.ones(3)))


# ------------------------------------------------------------------------ reductions

hnp_shapes_nonscalar = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@st.composite
def reduce_case(draw, values=arrays):
    shape = draw(hnp_shapes_nonscalar)
    axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    if draw(st.booleans()) and len(shape) > 1:
        axis = (0, len(shape) - 1)
    return draw(values(shape)), axis, draw(st.booleans())


@pytest.mark.parametrize("name", ["sum", "mean"])
@given(case=reduce_case())
def test_sum_mean_forward_and_gradient(name, case):
    x, axis, keepdims = case
    op = getattr(ops, name)
    ref = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    out = op(Tensor(x), axis, keepdims)
    assert out.shape == np.shape(ref)
    np.testing.assert_allclose(out.data, ref, rtol=1e-12, atol=1e-12)
    gradcheck(lambda t: op(t, axis, keepdims), [x])


@pytest.mark.parametrize("name", ["max", "min"])
@given(data=st.data())
def test_max_min_forward_and_gradient(name, data):
    shape = data.draw(hnp_shapes_nonscalar)
    x = data.draw(distinct_arrays(shape))
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    keepdims = data.draw(st.booleans())
    op = getattr(ops, name)
    ref = getattr(np, name)(x, axis=axis, keepdims=keepdims)
    np.testing.assert_array_equal(op(Tensor(x), axis, keepdims).data, ref)
    gradcheck(lambda t: op(t, axis, keepdims), [x])


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
