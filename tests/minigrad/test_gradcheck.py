"""The gradient checker itself: passes on correct ops, catches wrong vjps, refuses float32."""

from __future__ import annotations

import numpy as np
import pytest

from minigrad import GradcheckError, Tensor, gradcheck, ops
from minigrad.gradcheck import numerical_grad


def wrong_square(a: Tensor) -> Tensor:
    """x^2 with a deliberately wrong vjp (3x instead of 2x) at its last element."""
    x = a.data

    def vjp(g):
        d = 2 * x
        d.reshape(-1)[-1] *= 1.5
        return (g * d,)

    return ops.record("wrong_square", x * x, (a,), vjp)


def test_passes_on_a_correct_op():
    x = np.random.default_rng(0).standard_normal((3, 2))
    report = gradcheck(lambda t: t * t + ops.tanh(t), [x])
    assert report.ok and max(report.max_abs_err) < 1e-6


def test_fails_on_a_wrong_vjp_naming_input_and_element():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.array([0.5])
    with pytest.raises(GradcheckError, match=r"input 1 \(shape \(2, 2\)\): element \(1, 1\)"):
        gradcheck(lambda a, b: a * b + wrong_square(b), [y, x])
    report = gradcheck(wrong_square, [x], raise_exception=False)
    assert not report.ok
    assert report.worst[0] == 0 and report.worst[1] == (1, 1)
    # The checker contracts with a random cotangent v: analytic = 1.5 * numerical.
    assert report.worst[2] == pytest.approx(1.5 * report.worst[3])


def test_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(ops.tanh, [np.ones(3, np.float32)])
    with pytest.raises(TypeError, match="float64"):
        numerical_grad(lambda a: float(a.sum()), [np.ones(3, np.float32)])


def test_random_direction_mode():
    x = np.random.default_rng(1).standard_normal((4, 3))
    assert gradcheck(lambda t: ops.exp(t).sum(axis=0), [x], mode="random").mode == "random"
    with pytest.raises(GradcheckError, match="directional derivative"):
        gradcheck(wrong_square, [x], mode="random")
    with pytest.raises(ValueError, match="mode"):
        gradcheck(ops.exp, [x], mode="diagonal")


def test_numerical_grad_restores_inputs():
    x = np.array([1.0, 2.0])
    (g,) = numerical_grad(lambda a: float((a**3).sum()), [x])
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-8)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_unused_input_has_zero_gradient():
    report = gradcheck(lambda a, b: a * 2.0, [np.ones(2), np.ones(3)])
    assert report.ok and report.max_abs_err[1] == 0.0
