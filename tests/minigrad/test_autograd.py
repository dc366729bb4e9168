"""backward() and grad() (minigrad/autograd.py): their argument errors and what grad()
returns. The walk itself is in test_engine.py; grad modes and scopes in test_tape.py."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import Tensor


def leaf(values, dtype=np.float64) -> Tensor:
    return Tensor(np.asarray(values, dtype), requires_grad=True)


# -------------------------------------------------------------------------- errors


def test_backward_on_non_scalar_needs_an_explicit_grad():
    y = leaf([1.0, 2.0]) * 2.0
    with pytest.raises(RuntimeError, match=r"scalar.*explicit grad"):
        y.backward()
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the output has shape \(2,\)"):
        y.backward(np.ones(3))
    y.backward(np.array([1.0, 0.5]))


def test_backward_without_history_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(np.ones(())).backward()


# --------------------------------------------------------------------- grad()


def test_grad_of_an_output_that_is_an_input():
    """PyTorch: grad(x, [x]) is 1 and grad([x * 3, x], [x]) is 4."""
    x = leaf(2.0)
    assert minigrad.grad(x, [x]) == (1.0,)
    (g,) = minigrad.grad([x * 3.0, x], [x])
    assert g == 4.0 and x.grad is None
    v = leaf([1.0, 2.0])
    (g,) = minigrad.grad([v, (v * v).sum()], [v], grad_outputs=[np.array([1.0, -1.0]), None])
    np.testing.assert_array_equal(g, [1.0 + 2.0, -1.0 + 4.0])
    y = leaf(1.0)
    assert minigrad.grad(x, [x, y], allow_unused=True) == (1.0, None)
    with pytest.raises(RuntimeError, match="does not require grad"):
        minigrad.grad(Tensor(np.ones(1)), [x])


def test_grad_returns_arrays_and_leaves_dot_grad_alone():
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    out = (x * y).sum()
    gx, gy = minigrad.grad(out, [x, y])
    assert isinstance(gx, np.ndarray)
    np.testing.assert_array_equal(gx, y.data)
    np.testing.assert_array_equal(gy, x.data)
    assert x.grad is None and y.grad is None


def test_grad_allow_unused_and_non_leaf_inputs():
    x, unused = leaf([1.0, 2.0]), leaf([5.0])
    h = x * 3.0
    out = (h * h).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        minigrad.grad(out, [x, unused], retain_graph=True)
    gx, gh, gu = minigrad.grad(out, [x, h, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gh, 2 * h.data)
    np.testing.assert_allclose(gx, 18 * x.data)


def test_grad_with_grad_outputs_for_several_outputs():
    x = leaf([1.0, 2.0])
    a, b = x * 2.0, x * x
    (g,) = minigrad.grad([a, b], x, grad_outputs=[np.ones(2), np.array([1.0, 0.0])])
    np.testing.assert_allclose(g, [2 + 2 * 1.0, 2])
    with pytest.raises(ValueError, match="grad_outputs"):
        minigrad.grad([x * 2.0, x * 3.0], x, grad_outputs=[np.ones(2)])
    with pytest.raises(ValueError, match="does not require grad"):
        minigrad.grad((x * 2).sum(), Tensor(np.ones(2)))
