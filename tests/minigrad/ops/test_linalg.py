"""Matrix products (minigrad/ops/linalg.py): the table-driven check, then 1-D and
batched shapes, the fused addmm against its composition, and shape errors."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty
from strategies import arrays

import minigrad
from minigrad import Tensor, gradcheck, ops
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.linalg"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every matrix-product op in the registry against its row of tests/op_cases/."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.linalg"))
def test_zero_size_dimensions(name):
    """Every linalg op on inputs with a zero-length axis, as NumPy and PyTorch."""
    check_empty(name)


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


@pytest.mark.parametrize(
    ("c_shape", "result"), [((2, 2, 4), (2, 2, 4)), ((1, 2, 4), (1, 2, 4)), ((5, 1, 1), (5, 2, 4))]
)
def test_addmm_refuses_a_bias_that_broadcasts_beyond_the_product(c_shape, result):
    """c broadcasts to a @ b's (N, M) = (2, 4) and no further, as torch.addmm: a bias
    that would make the result larger (or 3-d) is refused, naming the shapes, whatever
    its dtype; one that does not broadcast at all gets the broadcast error."""
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    w = Tensor(np.ones((3, 4)), requires_grad=True)
    for dtype in (np.float64, np.float32):
        c = Tensor(np.ones(c_shape, dtype), requires_grad=True)
        message = (
            rf"addmm: c of shape {re.escape(str(c_shape))} would make the result "
            rf"{re.escape(str(result))}; it must broadcast to a @ b's shape \(2, 4\)"
        )
        with pytest.raises(ValueError, match=message):
            ops.addmm(c, x, w)
        with pytest.raises(ValueError, match=r"addmm: shapes \(3, 4\) and \(2, 4\) cannot be"):
            ops.addmm(Tensor(np.ones((3, 4), dtype)), x, w)


def test_matmul_shape_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) @ \(5, 2\) do not align"):
        ops.matmul(Tensor(np.ones((3, 4))), Tensor(np.ones((5, 2))))
    with pytest.raises(ValueError, match="matmul"):
        ops.matmul(Tensor(np.ones(())), Tensor(np.ones(3)))


def test_mm_and_bmm_are_matmul_of_matrices_and_of_equal_batches():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    np.testing.assert_array_equal(minigrad.mm(Tensor(a), Tensor(b)).data, a @ b)
    np.testing.assert_array_equal(Tensor(a).mm(Tensor(b)).data, a @ b)
    p, q = rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 3, 4))
    np.testing.assert_array_equal(Tensor(p).bmm(Tensor(q)).data, p @ q)
    gradcheck(minigrad.bmm, [p, q])


@pytest.mark.parametrize(
    ("op", "a", "b", "message"),
    [
        ("mm", (3,), (3, 4), r"^mm: expects 2-d matrices .* got shapes \(3,\) and \(3, 4\)$"),
        ("mm", (2, 3, 4), (4, 2), r"^mm: expects 2-d .* \(2, 3, 4\) and \(4, 2\)$"),
        ("mm", (2, 3), (4, 5), r"^mm: shapes \(2, 3\) and \(4, 5\) do not align"),
        ("bmm", (3, 4), (4, 5), r"^bmm: expects 3-d batches .* \(3, 4\) and \(4, 5\)$"),
        ("bmm", (2, 3, 4), (1, 4, 5), r"^bmm: batch sizes 2 and 1 differ .* does not broadcast"),
        ("bmm", (2, 3, 4), (2, 3, 5), r"^bmm: shapes \(2, 3, 4\) and \(2, 3, 5\) do not align"),
    ],
)
def test_mm_and_bmm_refuse_what_pytorch_refuses_naming_the_op_and_shapes(op, a, b, message):
    with pytest.raises(ValueError, match=message):
        getattr(minigrad, op)(Tensor(np.ones(a)), Tensor(np.ones(b)))


@pytest.mark.parametrize("op", ["mm", "bmm"])
@pytest.mark.parametrize(
    ("da", "db"), [(np.float32, np.float64), (np.float64, np.float32), (np.int64, np.float64)]
)
def test_mm_and_bmm_refuse_operands_of_two_dtypes_as_pytorch(op, da, db):
    # torch.mm(float32, float64) raises "expected m1 and m2 to have the same dtype"
    # (matmul promotes, as NumPy); a list of the same kind of numbers takes the tensor's dtype
    shape = (2, 2) if op == "mm" else (1, 2, 2)
    fn = getattr(minigrad, op)
    a = Tensor(np.ones(shape, da))
    for b in (Tensor(np.ones(shape, db)), np.ones(shape, db)):
        with pytest.raises(TypeError, match=rf"^{op}: operands of dtypes {np.dtype(da)} and "):
            fn(a, b)
    assert fn(a, np.ones(shape, da).tolist()).dtype == np.dtype(da)
