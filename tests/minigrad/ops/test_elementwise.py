"""Elementwise arithmetic of two operands (minigrad/ops/elementwise.py): the table-driven
check of every op, then broadcasting, gradients at the boundaries, dtypes and errors.
The rules shared with the selection ops (named broadcast errors, boundary gradients,
mixed dtypes) are checked here for them too; the rest of theirs is test_select.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import CASES, check_case, check_empty

import minigrad
from minigrad import Tensor, gradcheck, ops
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.elementwise"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every elementwise op in the registry against its row of the op table (tests/op_cases/)."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.elementwise"))
def test_zero_size_dimensions(name):
    """Every elementwise op on inputs with a zero-length axis, as NumPy and PyTorch."""
    check_empty(name)


@pytest.mark.parametrize(
    ("sa", "sb"),
    [((3, 2), (2,)), ((3, 1), (1, 4)), ((), (2, 3)), ((2, 3), ()), ((4, 1, 3), (2, 1))],
)
@pytest.mark.parametrize("name", ["add", "sub", "mul", "div"])
def test_named_broadcast_pairs(name, sa, sb):
    op, ref = getattr(ops, name), CASES[name].ref
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 2.0, sa)
    b = rng.uniform(0.5, 2.0, sb)
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    op(x, y).sum().backward()
    assert x.grad.shape == sa and y.grad.shape == sb
    np.testing.assert_allclose(op(Tensor(a), Tensor(b)).data, ref(a, b))
    gradcheck(op, [a, b])


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "maximum"])
def test_broadcast_error_names_op_and_shapes(name):
    op = getattr(ops, name)
    with pytest.raises(ValueError, match=rf"{name}: shapes \(3, 2\) and \(3,\)"):
        op(Tensor(np.ones((3, 2))), Tensor(np.ones(3)))


# Boundary points where a derivative formula meets 0 * inf: (what, function, inputs,
# the gradients PyTorch 2.13 gives). The function is written with operators and
# methods that torch.Tensor shares, so the same line runs on both.
BOUNDARIES = [
    ("x ** 0", lambda x: x**0, [[0.0, -2.0, 2.0]], [[0.0, 0.0, 0.0]]),
    ("x ** 3", lambda x: x**3, [[0.0, -2.0, 2.0]], [[0.0, 12.0, 12.0]]),
    ("x ** 0.5", lambda x: x**0.5, [[0.0, 4.0]], [[np.inf, 0.25]]),
    ("x ** -1", lambda x: x**-1, [[0.0, -2.0]], [[-np.inf, -0.25]]),
    (
        "x ** e",
        lambda x, e: x**e,
        [[0.0, -2.0, 2.0, 0.0, 0.0], [0.0, 2.0, 2.0, -1.0, 0.5]],
        [[0.0, -4.0, 4.0, -np.inf, np.inf], [0.0, np.nan, 4 * np.log(2), -np.inf, 0.0]],
    ),
    ("2 ** e", lambda e: 2.0**e, [[0.0, 2.0]], [[np.log(2), 4 * np.log(2)]]),
    ("sqrt", lambda x: x.sqrt(), [[0.0, 1.0]], [[np.inf, 0.5]]),
    ("sqrt * 0", lambda x: x.sqrt() * 0.0, [[0.0, 1.0]], [[np.nan, 0.0]]),
    ("log", lambda x: x.log(), [[0.0, 1.0]], [[np.inf, 1.0]]),
    ("log * 0", lambda x: x.log() * 0.0, [[0.0, 1.0]], [[np.nan, 0.0]]),
    ("abs", lambda x: x.abs(), [[0.0, -1.0]], [[0.0, -1.0]]),
    (
        "a / b",
        lambda a, b: a / b,
        [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
        [[np.inf, np.inf, 1.0], [-np.inf, np.nan, 0.0]],
    ),
    # a NaN operand wins nothing and loses nothing: g to both; a tie splits g
    (
        "maximum",
        lambda a, b: a.maximum(b),
        [[np.nan, 1.0, np.nan, 2.0, 1.0], [1.0, np.nan, np.nan, 2.0, 3.0]],
        [[1.0, 1.0, 1.0, 0.5, 0.0], [1.0, 1.0, 1.0, 0.5, 1.0]],
    ),
    (
        "minimum",
        lambda a, b: a.minimum(b),
        [[np.nan, 1.0, 2.0, 1.0], [1.0, np.nan, 2.0, 3.0]],
        [[1.0, 1.0, 0.5, 1.0], [1.0, 1.0, 0.5, 0.0]],
    ),
]


def _boundary_grads(fn, inputs):
    xs = [Tensor(np.array(v), requires_grad=True) for v in inputs]
    with np.errstate(all="ignore"):
        fn(*xs).sum().backward()
    return [x.grad for x in xs]


@pytest.mark.parametrize(("what", "fn", "inputs", "expected"), BOUNDARIES, ids=lambda v: v)
def test_gradients_at_the_boundaries_are_pytorchs(what, fn, inputs, expected):
    """No 0 * inf = nan where the derivative is 0 (x ** 0 at 0, 0 ** e for e >= 0);
    inf and nan where PyTorch has them."""
    for got, want in zip(_boundary_grads(fn, inputs), expected, strict=True):
        np.testing.assert_array_equal(got, want, err_msg=what)


@pytest.mark.parametrize(("what", "fn", "inputs", "expected"), BOUNDARIES, ids=lambda v: v)
def test_boundary_gradients_with_create_graph_are_the_same(what, fn, inputs, expected):
    """The tensor rules (create_graph) give the first-order values the array rules give."""
    xs = [Tensor(np.array(v), requires_grad=True) for v in inputs]
    with np.errstate(all="ignore"):
        grads = minigrad.grad(fn(*xs).sum(), xs, create_graph=True)
    for got, want in zip(grads, expected, strict=True):
        np.testing.assert_array_equal(got.data, want, err_msg=what)


@pytest.mark.torch
@pytest.mark.parametrize(("what", "fn", "inputs", "expected"), BOUNDARIES, ids=lambda v: v)
def test_gradients_at_the_boundaries_against_torch(what, fn, inputs, expected):
    torch = pytest.importorskip("torch")
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in inputs]
    fn(*ts).sum().backward()
    for got, t in zip(_boundary_grads(fn, inputs), ts, strict=True):
        np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-12, err_msg=what)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "maximum", "minimum"])
@pytest.mark.parametrize("float_dtype", [np.float32, np.float64])
def test_a_float_tensor_wins_over_an_integer_one(name, float_dtype):
    """float32 (op) int64 is float32, either way round, as PyTorch; the float operand
    gets its gradient in its own dtype."""
    op = getattr(ops, name)
    x = Tensor(np.array([1.5, 2.0], float_dtype), requires_grad=True)
    n = Tensor(np.array([2, 3], np.int64))
    for out in (op(x, n), op(n, x), op(x, np.array([2, 3])), op(n, 2.5)):
        assert out.dtype == (float_dtype if out.requires_grad else np.float32), (name, out.dtype)
    op(x, n).sum().backward()
    assert x.grad.dtype == float_dtype
    if name != "div":  # true division of integers is the default float dtype
        assert op(n, n).dtype == np.int64
    assert ops.where(np.array([True, False]), x, n).dtype == float_dtype
    assert ops.where(np.array([True, False]), n, x).dtype == float_dtype


@pytest.mark.parametrize("default", [np.float32, np.float64])
def test_true_division_of_integers_gives_the_default_float_dtype(default):
    """int / int is the default float dtype (float32 unless changed), as PyTorch and as
    a Python float would be; NumPy gives float64 whatever the default."""
    n = Tensor(np.array([3, 4, -7], np.int64))
    m = Tensor(np.array([2, 8, 2], np.int32))
    before = minigrad.get_default_dtype()
    minigrad.set_default_dtype(default)
    try:
        for out in (n / m, n / n, n / 2, 7 / n, n / 2.0, ops.div(n, True), ops.reciprocal(n)):
            assert out.dtype == default, out.dtype
        np.testing.assert_allclose((n / m).data, [1.5, 0.5, -3.5])
        flags = Tensor(np.array([True, False]))
        assert (flags / Tensor(np.array([True, True]))).dtype == default
        assert (n * m).dtype == np.int64
    finally:
        minigrad.set_default_dtype(before)
    torch = pytest.importorskip("torch")
    ref = torch.tensor([3, 4, -7]) / torch.tensor([2, 8, 2], dtype=torch.int32)
    assert ref.dtype == torch.float32
    np.testing.assert_array_equal((n / m).data, ref.numpy())


@pytest.mark.parametrize(
    "name", ["exp", "log", "sqrt", "tanh", "sigmoid", "sin", "arctan", "log1p", "sinc", "expm1"]
)
def test_ops_with_real_results_give_integers_the_default_float_dtype(name):
    """As PyTorch: exp of an int64 tensor is float32 (NumPy: float64); ops with integer
    results (floor, sign, abs, %, *) keep integers."""
    n = Tensor(np.array([1, 2, 3]))
    out = getattr(minigrad, name)(n)
    assert out.dtype == np.float32
    exact = getattr(minigrad, name)(Tensor(np.array([1.0, 2.0, 3.0]))).data
    np.testing.assert_allclose(out.data, exact, rtol=1e-6, atol=1e-7)
    for keeps in (minigrad.floor(n), minigrad.sign(n), minigrad.abs(n), n % 2, n * n):
        assert keeps.dtype == np.int64
    assert minigrad.arctan2(n, n).dtype == minigrad.hypot(n, n).dtype == np.float32
    assert minigrad.functional.softmax(n).dtype == minigrad.logsumexp(n).dtype == np.float32


def test_logaddexp_is_a_top_level_function_as_numpys():
    a, b = minigrad.tensor([1.0, -2.0]), minigrad.tensor([2.0, 3.0])
    np.testing.assert_allclose(minigrad.logaddexp(a, b).data, np.logaddexp(a.data, b.data))


@pytest.mark.parametrize(
    "exponent, named",
    [(-1, r"\[-1\]"), (np.array([2, -3, -1]), r"\[-3, -1\]")],
)
def test_integers_to_negative_integer_powers_are_refused_as_numpy(exponent, named):
    base = Tensor(np.array([3, -4, 5]))
    with pytest.raises(ValueError, match="integers to negative integer powers are not allowed"):
        _ = base ** Tensor(np.asarray(exponent))
    with pytest.raises(ValueError, match=rf"int64 \(shape \(3,\)\) to exponent\(s\) {named}"):
        _ = base ** Tensor(np.asarray(exponent))
    with pytest.raises(ValueError, match="negative integer powers"):
        np.power(base.data, exponent)  # NumPy's rule, which minigrad states in its words
    np.testing.assert_allclose((base**-1.0).data, 1.0 / base.data, rtol=1e-6)
    np.testing.assert_array_equal((base**2).data, [9, 16, 25])


def test_a_value_error_of_operands_that_broadcast_is_not_called_a_broadcast_error():
    with pytest.raises(ValueError, match=r"pow: shapes \(3,\) and \(2,\) cannot be broadcast"):
        _ = Tensor(np.ones(3)) ** Tensor(np.ones(2))
    with pytest.raises(ValueError) as info:
        _ = Tensor(np.array([2])) ** -2
    assert "broadcast" not in str(info.value)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.uint8, np.uint16])
def test_a_python_int_takes_an_integer_tensors_dtype(dtype):
    """int32 + 3 is int32 and uint8 * 2 uint8, as NumPy and PyTorch (it was int64); an int
    the dtype cannot hold is refused as NumPy refuses it, with the op's name."""
    a = np.array([1, 2, 3], dtype)
    t = Tensor(a)
    for got, want in [
        (t + 3, a + 3),
        (3 + t, 3 + a),
        (t * 2, a * 2),
        (t - 1, a - 1),
        (t // 2, a // 2),
        (t % 2, a % 2),
        (t**2, a**2),
        (ops.maximum(t, 2), np.maximum(a, 2)),
        (ops.where(np.array([True, False, True]), t, 0), np.where([True, False, True], a, 0)),
    ]:
        assert got.dtype == want.dtype == dtype
        np.testing.assert_array_equal(got.data, want)
    assert (Tensor(np.array([True])) + 3).dtype == np.int64  # bool + int, as NumPy
    big = int(np.iinfo(dtype).max) + 1
    with pytest.raises(OverflowError, match=f"add: Python integer {big} is out of range"):
        t + big
