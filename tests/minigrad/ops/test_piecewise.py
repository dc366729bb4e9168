"""Ops of minigrad/ops/piecewise.py: the table-driven check of every op, then edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.piecewise"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every op of the module against its row of tests/op_cases/."""
    check_case(name, data.draw)


# var/std of nothing are NaN with NumPy's warnings; partition needs a kth in range.
_NO_EMPTY = set()


@pytest.mark.parametrize("name", [n for n in names("minigrad.ops.piecewise") if n not in _NO_EMPTY])
def test_zero_size_dimensions(name):
    """Every op on inputs with a zero-length axis, as NumPy."""
    check_empty(name)


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round"])
def test_flat_ops_have_zero_gradient_even_at_their_jumps(name):
    x = Tensor(np.array([-1.5, 0.0, 0.5, 2.0, 2.7]), requires_grad=True)
    getattr(minigrad, name)(x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(5))


def test_remainder_operator_and_gradients():
    a = Tensor(np.array([5.5, -5.5]), requires_grad=True)
    b = Tensor(np.array([2.0, 2.0]), requires_grad=True)
    out = a % b
    np.testing.assert_array_equal(out.data, [1.5, 0.5])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])
    np.testing.assert_array_equal(b.grad, [-2.0, 3.0])
    np.testing.assert_array_equal((7.0 % Tensor(np.array([4.0]))).data, [3.0])


def test_floor_division_and_remainder_follow_numpy_for_integers_and_floats():
    ints = np.array([7, -7, 3, 0, -1])
    divisors = np.array([2, 2, -2, 3, -4])
    n, d = Tensor(ints), Tensor(divisors)
    for got, want in (
        (n // d, ints // divisors),
        (n % d, ints % divisors),
        (minigrad.mod(n, d), np.mod(ints, divisors)),
        (minigrad.floor_divide(n, -3), ints // -3),
        (10 // d, 10 // divisors),
        (10 % d, 10 % divisors),
    ):
        assert got.dtype == want.dtype, (got.dtype, want.dtype)
        np.testing.assert_array_equal(got.data, want)
    floats = np.array([7.5, -7.5, 1.0, -0.25])
    x = Tensor(floats.astype(np.float32))
    assert (x // 2).dtype == np.float32 and (x % 2).dtype == np.float32
    np.testing.assert_array_equal((Tensor(floats) // 0.1).data, floats // 0.1)


def test_floor_divide_has_zero_gradient_in_both_operands():
    a = Tensor(np.array([5.5, -5.5, 4.0]), requires_grad=True)
    b = Tensor(np.array([2.0, 2.0, 2.0]), requires_grad=True)
    out = a // b
    np.testing.assert_array_equal(out.data, [2.0, -3.0, 2.0])
    (out * 3.0).sum().backward()
    np.testing.assert_array_equal(a.grad, np.zeros(3))
    np.testing.assert_array_equal(b.grad, np.zeros(3))
    np.testing.assert_array_equal((7.0 // Tensor(np.array([4.0]))).data, [1.0])


def test_fmax_ignores_nan_and_gives_ties_to_the_first_operand():
    a = Tensor(np.array([1.0, np.nan, 2.0]), requires_grad=True)
    b = Tensor(np.array([1.0, 3.0, np.nan]), requires_grad=True)
    out = minigrad.fmax(a, b)
    np.testing.assert_array_equal(out.data, [1.0, 3.0, 2.0])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0, 0.0])


@pytest.mark.parametrize("decimals", [0, 1, 2, 3, -1, -2])
def test_round_to_decimals_matches_numpy_and_pytorch_with_zero_derivatives(decimals):
    values = np.array([1.2345, -2.5, 1234.5, 0.125, -0.0451, 7.0, 15.0, 250.0])
    for dtype in (np.float64, np.float32):
        x = Tensor(values.astype(dtype), requires_grad=True)
        out = minigrad.round(x, decimals)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out.data, np.round(values.astype(dtype), decimals))
        np.testing.assert_array_equal(x.round(decimals=decimals).data, out.data)
        (g,) = minigrad.grad(out.sum(), [x], create_graph=True)
        np.testing.assert_array_equal(g.data, np.zeros(8))
    _, tangent = minigrad.func.jvp(
        lambda t: minigrad.round(t, decimals), (Tensor(values),), (Tensor(np.ones(8)),)
    )
    np.testing.assert_array_equal(tangent.data, np.zeros(8))
    torch = pytest.importorskip("torch")
    expected = torch.round(torch.tensor(values), decimals=decimals).numpy()
    np.testing.assert_allclose(minigrad.round(Tensor(values), decimals).data, expected, rtol=1e-15)


def test_round_refuses_a_non_integer_number_of_decimals():
    with pytest.raises(TypeError, match=r"round: decimals must be an integer, got 1\.5"):
        minigrad.round(Tensor([1.25]), 1.5)
