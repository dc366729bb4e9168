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

    for name in ("log2", "log10", "exp2", "logaddexp2"):
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
