"""Gradient clipping: clip_grad_norm_ and clip_grad_value_."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minigrad import nn
from minigrad.nn.utils import clip_grad_norm_, clip_grad_value_


def params_with(*grads, dtype=np.float64):
    ps = []
    for g in grads:
        p = nn.Parameter(np.zeros(np.shape(g)), dtype=dtype)
        p.grad = np.array(g, dtype=dtype)
        ps.append(p)
    return ps


def test_returns_pre_clip_norm_and_scales():
    ps = params_with([3.0, 0.0], [[4.0]])
    total = clip_grad_norm_(ps, max_norm=1.0)
    assert isinstance(total, float) and total == pytest.approx(5.0, rel=1e-15)
    scale = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(ps[0].grad, [3 * scale, 0], rtol=1e-15)
    np.testing.assert_allclose(ps[1].grad, [[4 * scale]], rtol=1e-15)


def test_below_max_norm_is_untouched_and_none_grads_skipped():
    ps = params_with([0.3, 0.4])
    ps.append(nn.Parameter([1.0]))
    assert clip_grad_norm_(ps, 1.0) == pytest.approx(0.5)
    assert ps[0].grad.tolist() == [0.3, 0.4] and ps[1].grad is None
    assert clip_grad_norm_([nn.Parameter([1.0])], 1.0) == 0.0


def test_inf_and_p_norms():
    ps = params_with([1.0, -7.0], [2.0])
    assert clip_grad_norm_(ps, 3.5, norm_type=math.inf) == 7.0
    np.testing.assert_allclose(ps[0].grad, np.array([1.0, -7.0]) * 3.5 / (7 + 1e-6))
    ps = params_with([1.0, -2.0], [3.0])
    assert clip_grad_norm_(ps, 100, norm_type=1) == pytest.approx(6.0)
    assert clip_grad_norm_(ps, 100, norm_type=3) == pytest.approx(36 ** (1 / 3))


def test_single_tensor_and_float32_stays_float32():
    (p,) = params_with([30.0, 40.0], dtype=np.float32)
    assert clip_grad_norm_(p, 5.0) == pytest.approx(50.0)
    assert p.grad.dtype == np.float32
    np.testing.assert_allclose(p.grad, [3.0, 4.0], rtol=1e-6)


def test_nonfinite_norm():
    ps = params_with([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="inf"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    assert clip_grad_norm_(ps, 1.0) == math.inf
    assert np.isnan(ps[0].grad[0]) and ps[0].grad[1] == 0  # as PyTorch: inf * 0


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_nan_norm_makes_every_gradient_nan_as_torch(norm_type):
    # PyTorch multiplies by clamp(max_norm / (nan + 1e-6), max=1) = NaN: nothing is left
    # unclipped, and a step on these gradients cannot pass for a clean one.
    ps = params_with([np.nan, 1.0], [100.0, -3.0])
    assert math.isnan(clip_grad_norm_(ps, 1.0, norm_type=norm_type))
    assert np.isnan(ps[0].grad).all() and np.isnan(ps[1].grad).all()
    with pytest.raises(RuntimeError, match="nan"):
        clip_grad_norm_(params_with([np.nan]), 1.0, error_if_nonfinite=True)


def test_clip_grad_value():
    ps = params_with([-3.0, 0.5, 2.0], dtype=np.float32)
    clip_grad_value_(ps, 1.0)
    assert ps[0].grad.tolist() == [-1.0, 0.5, 1.0] and ps[0].grad.dtype == np.float32


# Magnitudes where p-norms are representable: below ~1e-150, x**2 underflows and
# PyTorch's 2-norm returns 0 (ours scales by the largest entry; see the test above).
magnitudes = st.one_of(st.just(0.0), st.floats(1e-30, 10), st.floats(-10, -1e-30))
grads = hnp.arrays(np.float64, st.integers(1, 6), elements=magnitudes)


def test_norm_of_tiny_and_huge_gradients_is_exact():
    assert clip_grad_norm_(params_with([3e-200, 4e-200]), 1.0) == pytest.approx(5e-200)
    assert clip_grad_norm_(params_with([3e200, 4e200]), 1e300) == pytest.approx(5e200)
    assert clip_grad_norm_(params_with([1e-120]), 1.0, norm_type=3.0) == pytest.approx(1e-120)


@pytest.mark.torch
@given(st.lists(grads, min_size=1, max_size=3), st.sampled_from([1.0, 2.0, 3.0, math.inf]))
def test_matches_torch(gs, norm_type):
    torch = pytest.importorskip("torch")
    ps = params_with(*gs)
    tps = [torch.zeros(len(g), dtype=torch.float64, requires_grad=True) for g in gs]
    for tp, g in zip(tps, gs, strict=True):
        tp.grad = torch.tensor(g)
    want = torch.nn.utils.clip_grad_norm_(tps, 1.5, norm_type=norm_type)
    got = clip_grad_norm_(ps, 1.5, norm_type=norm_type)
    assert got == pytest.approx(float(want), rel=1e-12, abs=1e-300)
    for p, tp in zip(ps, tps, strict=True):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12, atol=1e-300)
