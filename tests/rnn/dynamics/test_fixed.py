"""rnn.dynamics.fixed: the fixed points of a hand-built 2-unit system, found and labelled."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import rnn
from rnn.dynamics import fixed_points


def _root_of_tanh_2h() -> float:
    """h* > 0 with tanh(2 h*) = h*, by bisection (tanh(2h) - h changes sign on [0.5, 1])."""
    lo, hi = 0.5, 1.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.tanh(2 * mid) > mid else (lo, mid)
    return (lo + hi) / 2


def _two_unit_system() -> rnn.RNNCell:
    """h <- tanh(W h), W = diag(2, 0.5): unit 1 is bistable, unit 2 decays. Fixed points
    (0, 0) with J = diag(2, 0.5) (unstable) and (±h*, 0) with J = diag(2(1 - h*²), 0.5)
    (stable: 2(1 - h*²) ≈ 0.17)."""
    cell = rnn.RNNCell(1, 2, bias=False, dtype=np.float64)
    cell.weight_ih.data[:] = 0.0
    cell.weight_hh.data[:] = np.diag([2.0, 0.5])
    return cell


def test_finds_the_analytic_fixed_points_with_their_stability() -> None:
    h_star = _root_of_tanh_2h()
    starts = np.random.default_rng(0).uniform(-2, 2, (30, 2))
    starts[0] = [1e-3, 0.5]  # near the unstable point too
    found = fixed_points(_two_unit_system(), [0.0], starts)
    assert len(found.points) == 3 and found.unconverged == 0
    assert found.counts.sum() == 30
    order = np.argsort(found.points[:, 0])
    points, eig = found.points[order], found.eigenvalues[order]
    np.testing.assert_allclose(points, [[-h_star, 0], [0, 0], [h_star, 0]], atol=1e-10)
    assert list(np.array(found.labels)[order]) == ["stable", "unstable", "stable"]
    slope = 2 * (1 - h_star**2)
    np.testing.assert_allclose(eig.real, [[0.5, slope], [2, 0.5], [0.5, slope]], atol=1e-10)
    assert np.all(found.q < 1e-20)


@pytest.mark.parametrize("size", [1.0, 1e8])
def test_a_fixed_point_far_from_the_origin_is_found(size: float) -> None:
    """h <- relu(x + W h), W = 0.5 Q, has the one stable point s* = (I - W)⁻¹ x 1. At
    ‖s*‖ ≈ 1e8 rounding alone leaves q near 1e-12, so a bound on q that ignores ‖s‖
    reported the point as 8 unconverged starts."""
    rng = np.random.default_rng(0)
    w = 0.5 * np.linalg.qr(rng.normal(size=(3, 3)))[0]
    cell = rnn.RNNCell(1, 3, bias=False, nonlinearity="relu", dtype=np.float64)
    cell.weight_ih.data[:] = 1.0
    cell.weight_hh.data[:] = w
    want = np.linalg.solve(np.eye(3) - w, np.full(3, size))
    assert (want > 0).all()
    found = fixed_points(cell, [size], rng.uniform(0, 2 * size, (8, 3)))
    assert len(found.points) == 1 and found.unconverged == 0 and found.labels == ["stable"]
    np.testing.assert_allclose(found.points[0], want, rtol=1e-10)


def test_lstm_fixed_points_are_fixed_in_the_joint_state() -> None:
    minigrad.manual_seed(2)
    cell = rnn.LSTMCell(2, 3, dtype=np.float64)
    x = np.array([0.3, -0.1])
    found = fixed_points(cell, x, np.random.default_rng(1).normal(size=(8, 6)))
    assert len(found.points) >= 1 and found.points.shape[1] == 6
    for s in found.points:
        h, c = cell(x, (s[:3], s[3:]))
        np.testing.assert_allclose(np.concatenate([h.data, c.data]), s, atol=1e-9)


def test_bad_starts_are_a_clear_error() -> None:
    cell = _two_unit_system()
    with pytest.raises(ValueError, match=r"starts must have shape \(M, 2\), got \(4, 3\)"):
        fixed_points(cell, [0.0], np.zeros((4, 3)))
    with pytest.raises(ValueError, match="starts are not finite"):
        fixed_points(cell, [0.0], np.full((1, 2), np.inf))
    with pytest.raises(ValueError, match=r"x_const must have shape \(1,\), got \(2,\)"):
        fixed_points(cell, [0.0, 1.0], np.zeros((1, 2)))


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("tol", np.inf, "tol must be a finite number >= 0, got inf"),  # was: starts as points
        ("tol", np.nan, "tol must be a finite number >= 0, got nan"),
        ("tol", -1e-20, "tol must be a finite number >= 0, got -1e-20"),
        ("merge_tol", -1.0, "merge_tol must be a finite number >= 0, got -1.0"),  # duplicates
        ("merge_tol", np.nan, "merge_tol must be a finite number >= 0, got nan"),
        ("max_iter", -3, "max_iter must be an integer >= 0, got -3"),
        ("max_iter", 2.5, "max_iter must be an integer >= 0, got 2.5"),
    ],
)
def test_search_options_are_checked(option: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=f"fixed_points: {message}"):
        fixed_points(_two_unit_system(), [0.0], np.ones((3, 2)), **{option: value})


def test_jacobians_that_swamp_the_damping_leave_those_starts_unconverged() -> None:
    """Weights of order 1e10 saturate tanh: the Jacobians are 0 or huge, and the damped
    Gauss-Newton matrix is singular in floating point for some starts. Those take no
    step (was numpy's 'Singular matrix'); the search still ends with every start counted."""
    minigrad.manual_seed(0)
    cell = rnn.RNNCell(1, 8, dtype=np.float64)
    cell.weight_hh.data *= 1e10
    starts = np.random.default_rng(0).normal(size=(4, 8))
    found = fixed_points(cell, [0.0], starts)
    assert found.counts.sum() + found.unconverged == 4
