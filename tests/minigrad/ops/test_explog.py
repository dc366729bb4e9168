"""Ops of minigrad/ops/explog.py: the table-driven check of every op, then edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.explog"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every op of the module against its row of tests/op_cases/."""
    check_case(name, data.draw)


# var/std of nothing are NaN with NumPy's warnings; partition needs a kth in range.
_NO_EMPTY = set()


@pytest.mark.parametrize("name", [n for n in names("minigrad.ops.explog") if n not in _NO_EMPTY])
def test_zero_size_dimensions(name):
    """Every op on inputs with a zero-length axis, as NumPy."""
    check_empty(name)


def test_log1p_and_expm1_keep_small_arguments_exact():
    tiny = Tensor(np.array([1e-20]), requires_grad=True)
    assert minigrad.log1p(tiny).data[0] == 1e-20
    assert minigrad.expm1(tiny).data[0] == 1e-20
    minigrad.log1p(tiny).sum().backward()
    assert tiny.grad[0] == 1.0


def test_changes_of_base_are_composites():
    from minigrad.ops.registry import REGISTRY

    for name in ("log2", "log10", "exp2"):
        assert not REGISTRY[name].is_primitive
    x = Tensor(np.array([8.0]), requires_grad=True)
    minigrad.log2(x).backward()
    np.testing.assert_allclose(x.grad, 1 / (8.0 * np.log(2.0)))


def test_logsumexp_with_weights_b():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3)), rng.uniform(0.5, 2.0, (3,))
    out = minigrad.functional.logsumexp(Tensor(x), 1, False, Tensor(w))
    np.testing.assert_allclose(out.data, np.log(np.sum(w * np.exp(x), axis=1)), rtol=1e-12)
    big = minigrad.functional.logsumexp(Tensor(np.array([1000.0, 1000.0])), b=0.5)
    np.testing.assert_allclose(big.data, 1000.0)  # log(0.5 e^1000 + 0.5 e^1000), no overflow
    minigrad.gradcheck(lambda a, c: minigrad.functional.logsumexp(a, 1, True, c), [x, w])


@pytest.mark.parametrize(
    ("dtype", "a", "b"),
    [(np.float32, 1e4, 1e4 - 1), (np.float32, 1e6, 1e6 - 1), (np.float64, 1e8, 1e8 - 1)],
)
def test_logaddexp2_weights_keep_their_digits_at_large_operands(dtype, a, b):
    """d/da log2(2^a + 2^b) = 1 / (1 + 2^(b - a)) = 2/3 at b = a - 1, however large a:
    written as logaddexp(a ln 2, b ln 2) / ln 2 it took b ln 2 - a ln 2 from two rounded
    products (float32: 2e-3 off at a = 1e6, where PyTorch's is exact)."""
    x, y = (Tensor(np.array([v], dtype), requires_grad=True) for v in (a, b))
    out = minigrad.logaddexp2(x, y)
    np.testing.assert_array_equal(out.data, np.logaddexp2(x.data, y.data))
    out.backward()
    ulp = np.finfo(dtype).eps
    np.testing.assert_allclose(x.grad, [2 / 3], rtol=4 * ulp)
    np.testing.assert_allclose(y.grad, [1 / 3], rtol=4 * ulp)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("op", ["logaddexp", "logaddexp2"])
def test_logaddexp_weights_keep_their_tails(op, dtype):
    """Each operand's weight, 1 / (1 + e^(b - a)) for a (base 2 for logaddexp2), is a
    tiny number, not 0, far in the tail (softplus's and logsigmoid's gradients at
    |x| = 30, 80): to a few ulps, as PyTorch's; both orders of the operands."""
    power = np.exp if op == "logaddexp" else np.exp2
    d = np.array([-30.0, -80.0, 30.0, 80.0, 0.5, 0.0])
    want_a, want_b = 1 / (1 + power(-d)), 1 / (1 + power(d))  # at a = d, b = 0
    rtol = 8 * np.finfo(dtype).eps
    for first in (True, False):
        a = Tensor(d.astype(dtype), requires_grad=True)
        zero = Tensor(np.zeros(6, dtype), requires_grad=True)
        getattr(minigrad, op)(*((a, zero) if first else (zero, a))).sum().backward()
        np.testing.assert_allclose(a.grad, want_a, rtol=rtol, atol=0)
        np.testing.assert_allclose(zero.grad, want_b, rtol=rtol, atol=0)
