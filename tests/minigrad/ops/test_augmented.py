"""Augmented assignment (``a += b`` ...): in place when nothing is recorded, as NumPy's
in-place operators; a new recorded tensor when the graph needs it; a parameter refused
outside ``no_grad``."""

from __future__ import annotations

import operator
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad import nn

OPERATORS = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
}


@pytest.mark.parametrize("symbol", OPERATORS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(data=st.data())
def test_in_place_as_numpy(symbol: str, dtype: type, data: st.DataObject) -> None:
    """Without recording, ``a op= b`` changes a's own array as NumPy's operator does,
    b broadcast to a's shape (a tensor, an array or a Python number)."""
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), label="shape")
    b_shape = data.draw(hnp.broadcastable_shapes(shape, max_dims=3, max_side=4), label="b_shape")
    elements = st.floats(0.5, 3.0, width=32)
    x = data.draw(hnp.arrays(dtype, shape, elements=elements), label="a")
    y = data.draw(hnp.arrays(dtype, b_shape, elements=elements), label="b")
    if np.broadcast_shapes(x.shape, y.shape) != x.shape:
        return
    kind = data.draw(st.sampled_from(["tensor", "array", "number"]), label="kind")
    b = {"tensor": minigrad.tensor(y), "array": y, "number": 1.5}[kind]
    a = minigrad.tensor(x.copy())
    buffer = a.data
    expected = x.copy()
    OPERATORS[symbol](expected, y if kind != "number" else 1.5)
    result = OPERATORS[symbol](a, b)
    assert result is a and a.data is buffer and a.dtype == dtype
    np.testing.assert_array_equal(a.data, expected)


def test_parameter_update_under_no_grad() -> None:
    """The hand-written update PyTorch users write changes every parameter in place."""
    model = nn.Linear(3, 2)
    x = minigrad.randn(4, 3)
    (model(x) ** 2).sum().backward()
    before = {id(p): (p, p.data.copy(), p.grad.copy()) for p in model.parameters()}
    with minigrad.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    for p, old, grad in before.values():
        np.testing.assert_allclose(p.data, old - 0.1 * grad, rtol=1e-6)
        assert p.requires_grad and p.is_leaf


@pytest.mark.parametrize("symbol", OPERATORS)
def test_parameter_refused_while_recording(symbol: str) -> None:
    w = minigrad.ones(3, requires_grad=True)
    same = w
    message = (
        f"a {re.escape(symbol)} b: in-place update of a leaf tensor that requires grad.*no_grad"
    )
    with pytest.raises(RuntimeError, match=message):
        OPERATORS[symbol](w, 2.0)
    assert same is w
    np.testing.assert_array_equal(w.data, np.ones(3))


def test_recorded_result_when_the_graph_needs_it() -> None:
    """``loss += term`` on recorded tensors: a new tensor, the gradient of the sum; the
    old tensor keeps its value."""
    w = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = (w * w).sum()
    first = loss
    loss += (w * 3.0).sum()
    assert loss is not first
    assert float(first) == 14.0 and float(loss) == 32.0
    loss.backward()
    np.testing.assert_allclose(w.grad, 2 * w.data + 3.0)


def test_untracked_target_joins_the_graph() -> None:
    """A running total without grad, added a recorded term: the total becomes recorded."""
    w = minigrad.ones(2, requires_grad=True)
    total = minigrad.zeros(2)
    zeros = total
    total += w * 2.0
    assert total.requires_grad and total is not zeros
    np.testing.assert_array_equal(zeros.data, np.zeros(2))
    total.sum().backward()
    np.testing.assert_array_equal(w.grad, [2.0, 2.0])


def test_shape_that_would_grow_is_refused_and_nothing_changes() -> None:
    a = minigrad.ones(3)
    message = r"a \+= b: b of shape \(2, 3\) does not broadcast to a's shape \(3,\)"
    with pytest.raises(ValueError, match=message):
        a += np.ones((2, 3))
    np.testing.assert_array_equal(a.data, np.ones(3))


def test_dtype_that_would_change_is_refused_and_nothing_changes() -> None:
    a = minigrad.tensor([1, 2, 3])
    with pytest.raises(
        TypeError, match=r"a /= b: the result would be float64, which a of dtype int64"
    ):
        a /= 2
    with pytest.raises(TypeError, match=r"a \+= b: the result would be float64"):
        a += 1.5
    np.testing.assert_array_equal(a.data, [1, 2, 3])
    a += 2
    a //= 2
    np.testing.assert_array_equal(a.data, [1, 2, 2])
    assert a.dtype == np.int64


def test_python_float_keeps_float32() -> None:
    a = minigrad.ones(2, dtype=np.float32)
    a *= 0.1
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a.data, np.float32(0.1) * np.ones(2, np.float32))


def test_change_to_a_saved_tensor_is_caught_in_backward() -> None:
    w = minigrad.ones(3, requires_grad=True)
    x = minigrad.ones(3) * 2.0
    y = (w * x).sum()
    with minigrad.no_grad():
        x += 1.0
    with pytest.raises(RuntimeError, match="saved for backward was modified in place"):
        y.backward()


def test_compiled_function_records_the_sum() -> None:
    """Inside a compiled function a recorded ``y += x`` is captured like ``y = y + x``."""
    w = minigrad.ones(3, requires_grad=True)

    def f(x: minigrad.Tensor) -> minigrad.Tensor:
        y = x * w
        y += x
        return y.sum()

    compiled = minigrad.compile(f)
    for k in range(3):
        x = minigrad.tensor(np.arange(3.0) + k)
        w.grad = None
        compiled(x).backward()
        replayed = w.grad.copy()
        w.grad = None
        f(x).backward()
        np.testing.assert_array_equal(replayed, w.grad)


def test_recorded_result_keeps_shape_and_dtype() -> None:
    """The recorded path follows the in-place rules: a 0-d total does not silently
    become a vector, a float32 tensor stays float32, an integer one refuses a float."""
    w = minigrad.ones(3, requires_grad=True)
    total = minigrad.tensor(0.0)
    with pytest.raises(ValueError, match=r"b of shape \(3,\) does not broadcast to a's shape \(\)"):
        total += w * 2.0
    a = minigrad.zeros(3, dtype=np.float32)
    a += minigrad.ones(3, dtype=np.float64, requires_grad=True) * 2.0
    assert a.dtype == np.float32 and a.requires_grad
    with pytest.raises(TypeError, match="the result would be float64, which a of dtype int64"):
        ints = minigrad.tensor([1, 2, 3])
        ints += w


def test_operand_that_is_not_a_number() -> None:
    a = minigrad.ones(3)
    with pytest.raises(TypeError, match=r"a \+= b: unsupported operand of dtype <U1"):
        a += "a"
    np.testing.assert_array_equal(a.data, np.ones(3))


@pytest.mark.parametrize(
    ("dtype", "symbol", "b", "message"),
    [
        (np.int8, "+=", 300, r"a \+= b: b = 300 does not fit a's dtype int8 \(-128..127;"),
        (np.uint8, "-=", -1, r"a -= b: b = -1 does not fit a's dtype uint8 \(0..255;"),
        (np.int64, "*=", 2**70, r"a \*= b: b = 1.180e\+21 does not fit a's dtype int64"),
        (np.float32, "+=", 10**400, r"a \+= b: b = 1.000e\+400 does not fit a's dtype float32"),
    ],
    ids=["int8", "uint8", "int64", "float32"],
)
def test_python_int_that_does_not_fit_is_refused_and_nothing_changes(
    dtype: type, symbol: str, b: int, message: str
) -> None:
    """NumPy's OverflowError, naming the operator, b and a's dtype; nothing written and
    the update not counted: a backward that saved a still runs."""
    w = minigrad.ones((3, 2), requires_grad=True)
    a = minigrad.tensor(np.array([0, 2], dtype))
    saved = w * a if dtype is np.float32 else w[a]  # a saved for backward
    with pytest.raises(OverflowError, match=message):
        OPERATORS[symbol](a, b)
    np.testing.assert_array_equal(a.data, np.array([0, 2], dtype))
    saved.sum().backward()
    expected = [[0, 2]] * 3 if dtype is np.float32 else [[1, 1], [0, 0], [1, 1]]
    np.testing.assert_array_equal(w.grad, expected)


def test_integer_to_a_negative_power_is_refused_naming_the_operator() -> None:
    a = minigrad.tensor(np.array([2, 3], np.int8))
    message = r"a \*\*= b: integers to negative integer powers are not allowed \(b = -1, a of dt"
    for b in (-1, np.array([2, -1])):
        with pytest.raises(ValueError, match=message):
            a **= b
    np.testing.assert_array_equal(a.data, [2, 3])


def test_a_float_overflow_in_place_warns_as_numpy_does() -> None:
    big = np.full(3, 3e38, np.float32)
    want = big.copy()
    with pytest.warns(RuntimeWarning, match="overflow"):
        want += big
    t = minigrad.tensor(big.copy())
    with pytest.warns(RuntimeWarning, match="overflow"):
        t += minigrad.tensor(big)
    np.testing.assert_array_equal(t.data, want)


def test_in_place_division_warns_as_the_recorded_ops_do() -> None:
    # / by zero warns (as t / 0 and NumPy's a /= 0); // and % by zero are quiet, as
    # minigrad's floor_divide and remainder
    t = minigrad.tensor(np.array([1.0, 2.0]))
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        t / 0.0
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        t /= 0.0
    u = minigrad.tensor(np.array([1.0, 0.0]))
    u //= 0.0  # no warning: the suite's settings turn a RuntimeWarning into an error
    u = minigrad.tensor(np.array([1.0, 0.0]))
    u %= 0.0
