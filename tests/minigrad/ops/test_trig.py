"""Ops of minigrad/ops/trig.py: the table-driven check of every op, then edge cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor, func
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.trig"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every op of the module against its row of tests/op_cases/."""
    check_case(name, data.draw)


# var/std of nothing are NaN with NumPy's warnings; partition needs a kth in range.
_NO_EMPTY = set()


@pytest.mark.parametrize("name", [n for n in names("minigrad.ops.trig") if n not in _NO_EMPTY])
def test_zero_size_dimensions(name):
    """Every op on inputs with a zero-length axis, as NumPy."""
    check_empty(name)


def test_sinc_is_one_at_zero_with_zero_slope():
    x = Tensor(np.array([0.0, 0.5]), requires_grad=True)
    y = minigrad.sinc(x)
    np.testing.assert_allclose(y.data, [1.0, np.sinc(0.5)])
    y.sum().backward()
    assert x.grad[0] == 0.0
    np.testing.assert_allclose(x.grad[1], (np.cos(np.pi * 0.5) - np.sinc(0.5)) / 0.5)


def test_inverse_functions_outside_their_domain_give_nan_without_warnings():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = minigrad.arcsin(Tensor(np.array([2.0]))).data
    assert np.isnan(out).all()


def test_zero_size_and_0d_inputs():
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    minigrad.sin(x).sum().backward()
    assert x.grad.shape == (0, 3)
    s = Tensor(np.array(0.5), requires_grad=True)
    minigrad.arctan2(s, 2.0).backward()
    np.testing.assert_allclose(s.grad, 2.0 / (0.25 + 4.0))
    assert Tensor([0.1]).cos().shape == (1,)


def _sinc_series_derivatives(x: float) -> tuple[float, float]:
    """sinc'(x) and sinc''(x) from sinc(x) = sum_k (-1)^k (pi x)^(2k) / (2k+1)!,
    differentiated term by term (exact to rounding for |x| < 1)."""
    import math

    d1 = math.fsum(
        (-1) ** k * 2 * k * math.pi ** (2 * k) * x ** (2 * k - 1) / math.factorial(2 * k + 1)
        for k in range(1, 30)
    )
    d2 = math.fsum(
        (-1) ** k
        * 2
        * k
        * (2 * k - 1)
        * math.pi ** (2 * k)
        * x ** (2 * k - 2)
        / math.factorial(2 * k + 1)
        for k in range(1, 30)
    )
    return d1, d2


def _sinc_derivatives(x0: float) -> tuple[float, float]:
    x = Tensor(np.array(x0), requires_grad=True)
    (d1,) = minigrad.grad(minigrad.sinc(x), [x], create_graph=True)
    (d2,) = minigrad.grad(d1, [x])
    return float(d1.data), float(d2)


@pytest.mark.parametrize("x0", [0.0, 1e-12, -1e-8, 1e-5, 1e-3, -0.05, 0.0999, 0.1, 0.3, -0.7])
def test_sinc_first_and_second_derivatives_at_and_near_zero(x0):
    """Exact near 0: sinc''(0) = -pi^2 / 3, and no cancellation in (cos(pi x) -
    sinc(x)) / x for tiny x (which loses every digit at 1e-8)."""
    d1, d2 = _sinc_derivatives(x0)
    e1, e2 = _sinc_series_derivatives(x0)
    assert d1 == pytest.approx(e1, rel=1e-13, abs=1e-300)
    assert d2 == pytest.approx(e2, rel=1e-13)
    if x0 == 0.0:
        assert d1 == 0.0 and d2 == pytest.approx(-(np.pi**2) / 3, rel=1e-15)


def test_sinc_derivatives_away_from_zero_match_the_closed_form_and_pytorch():
    """sinc' = (cos(pi x) - sinc x) / x and sinc'' = -pi^2 sinc x - 2 sinc'(x) / x."""
    xs = [0.25, -0.5, 1.0, 1.5, -2.3, 7.1]
    for x0 in xs:
        d1, d2 = _sinc_derivatives(x0)
        e1 = (np.cos(np.pi * x0) - np.sinc(x0)) / x0
        np.testing.assert_allclose(d1, e1, rtol=1e-12)
        np.testing.assert_allclose(d2, -(np.pi**2) * np.sinc(x0) - 2 * e1 / x0, rtol=1e-12)
    torch = pytest.importorskip("torch")
    t = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(torch.sinc(t).sum(), t, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), t)
    ours = np.array([_sinc_derivatives(x0) for x0 in xs])
    np.testing.assert_allclose(ours[:, 0], g.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours[:, 1], h.numpy(), rtol=1e-10)


def test_sinc_forward_mode_matches_reverse_mode_near_zero():
    x = np.array([0.0, 1e-9, 0.02, 0.5])
    _, tangent = minigrad.func.jvp(minigrad.sinc, (Tensor(x),), (Tensor(np.ones(4)),))
    expected = [_sinc_series_derivatives(v)[0] for v in x[:3]]
    np.testing.assert_allclose(tangent.data[:3], expected, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(tangent.data[3], (np.cos(np.pi / 2) - np.sinc(0.5)) / 0.5)


def test_arctan2_has_gradient_zero_at_the_origin_as_pytorch():
    """The angle has no limit at (0, 0); PyTorch's gradient there is 0 (not 0 / 0), and
    forward mode agrees with reverse mode."""
    a = Tensor(np.array([0.0, 0.0, 1.0]), requires_grad=True)
    b = Tensor(np.array([0.0, 1.0, 0.0]), requires_grad=True)
    ga, gb = minigrad.grad(minigrad.arctan2(a, b).sum(), (a, b), create_graph=True)
    np.testing.assert_array_equal(ga.data, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(gb.data, [0.0, 0.0, -1.0])
    (h,) = minigrad.grad((ga + gb).sum(), a)
    assert np.isfinite(h).all()
    ones = (Tensor(np.ones(3)), Tensor(np.ones(3)))
    _, jv = func.jvp(minigrad.arctan2, (a.detach(), b.detach()), ones)
    np.testing.assert_array_equal(jv.data, [0.0, 1.0, -1.0])
