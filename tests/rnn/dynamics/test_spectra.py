"""rnn.dynamics.spectra: Lyapunov exponents and singular values of Jacobian products
against systems whose answers are known."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

import minigrad
import rnn
from minigrad.ops import addmm
from rnn import manual
from rnn.cells import CellBase, CellKind, register_cell_kind, unregister_cell_kind
from rnn.dynamics import (
    jacobian_product_spectrum,
    lyapunov_spectrum,
    step_jacobians,
    trajectory,
)
from rnn.dynamics.spectra import product_log_singular_values

# ----------------------------------------------------------------- a linear cell kind


def _linear_step(xw, state, w_hh_t, b_hh):
    """h' = W_ih x + b_ih + W_hh h (+ b_hh): no nonlinearity."""
    pre = addmm(xw, state[0], w_hh_t)
    return (pre if b_hh is None else pre + b_hh,)


def _linear_core(xp, state, w_hh, b_hh):
    h = xp + state[0] @ w_hh.T + (0 if b_hh is None else b_hh)
    return (h,), w_hh


def _linear_core_backward(dstate, w_hh):
    return dstate[0], dstate[0], (dstate[0] @ w_hh,)


class LinearCell(CellBase):
    """h' = W_ih x + b_ih + W_hh h + b_hh."""

    cell = "linear"


@pytest.fixture
def linear_cell() -> Iterator[type[LinearCell]]:
    ref = manual.ReferenceCell("linear", 1, ("h",), _linear_core, _linear_core_backward)
    register_cell_kind(CellKind("linear", 1, ("h",), _linear_step, LinearCell, True, ref))
    try:
        yield LinearCell
    finally:
        unregister_cell_kind("linear")


def _linear(cls: type[LinearCell], w: np.ndarray) -> LinearCell:
    cell = cls(1, len(w), bias=False, dtype=np.float64)
    cell.weight_ih.data[:] = 0.0
    cell.weight_hh.data[:] = w
    return cell


def _with_eigenvalues(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """W = P B P⁻¹ with B block-diagonal: eigenvalues 0.95, -0.8, 0.6 e^{±0.7i}, 0.3."""
    r, a = 0.6, 0.7
    b = np.zeros((5, 5))
    b[0, 0], b[1, 1], b[4, 4] = 0.95, -0.8, 0.3
    b[2:4, 2:4] = r * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    p = np.eye(5) + 0.3 * rng.normal(size=(5, 5))
    return p @ b @ np.linalg.inv(p), np.log([0.95, 0.8, 0.6, 0.6, 0.3])


# ----------------------------------------------------------------- Lyapunov spectra


def test_linear_rnn_exponents_are_log_abs_eigenvalues(linear_cell) -> None:
    w, expected = _with_eigenvalues(np.random.default_rng(0))
    assert np.allclose(np.sort(np.log(np.abs(np.linalg.eigvals(w))))[::-1], expected)
    cell = _linear(linear_cell, w)
    lam = lyapunov_spectrum(cell, np.zeros((10_000, 1)), np.ones(5))
    np.testing.assert_allclose(lam, expected, rtol=0, atol=1e-3)


@pytest.mark.parametrize("g", [0.5, 0.9])
def test_contracting_tanh_network_has_lambda_max_log_g_rho(g: float) -> None:
    """h <- tanh(g W h), W ~ N(0, 1/N), N = 256: the state decays to 0, where J = g W."""
    N, T = 256, 1000
    rng = np.random.default_rng(1)
    w = rng.normal(0, 1 / np.sqrt(N), (N, N))
    cell = rnn.RNNCell(1, N, bias=False, dtype=np.float64)
    cell.weight_ih.data[:] = 0.0
    cell.weight_hh.data[:] = g * w
    x, h0 = np.zeros((T, 1)), rng.normal(size=N)
    assert np.abs(trajectory(cell, x, h0)[-1]).max() < 1e-6
    lam = lyapunov_spectrum(cell, x, h0, k=1, warmup=100)
    expected = np.log(g * np.abs(np.linalg.eigvals(w)).max())
    assert abs(lam[0] - expected) < 0.02, (lam[0], expected)


def test_expanding_tanh_network_is_chaotic() -> None:
    N, T = 256, 1000
    rng = np.random.default_rng(2)
    cell = rnn.RNNCell(1, N, bias=False, dtype=np.float64)
    cell.weight_ih.data[:] = 0.0
    cell.weight_hh.data[:] = 2.0 * rng.normal(0, 1 / np.sqrt(N), (N, N))
    lam = lyapunov_spectrum(cell, np.zeros((T, 1)), rng.normal(size=N), k=1)
    assert lam[0] > 0.05, lam


@pytest.mark.parametrize("cls", [rnn.GRUCell, rnn.LSTMCell, rnn.RNNCell])
def test_sum_of_exponents_is_mean_log_abs_det(cls) -> None:
    minigrad.manual_seed(4)
    cell = cls(2, 5, dtype=np.float64)
    x = np.random.default_rng(4).normal(size=(150, 2))
    lam = lyapunov_spectrum(cell, x, warmup=0)
    _, logdet = np.linalg.slogdet(step_jacobians(cell, x))
    assert abs(lam.sum() - logdet.mean()) < 1e-6
    assert np.all(np.diff(lam) <= 0)


def test_top_k_are_the_leading_exponents() -> None:
    minigrad.manual_seed(5)
    cell = rnn.GRUCell(2, 6, dtype=np.float64)
    x = np.random.default_rng(5).normal(size=(400, 2))
    full = lyapunov_spectrum(cell, x)
    np.testing.assert_allclose(lyapunov_spectrum(cell, x, k=2), full[:2], atol=1e-2)


def test_spectrum_arguments_are_checked() -> None:
    cell = rnn.LSTMCell(2, 3, dtype=np.float64)
    x = np.zeros((10, 2))
    with pytest.raises(ValueError, match=r"k must be an integer in 1\.\.6 .* got 7"):
        lyapunov_spectrum(cell, x, k=7)
    with pytest.raises(ValueError, match=r"k must be an integer in 1\.\.6 .* got 0"):
        lyapunov_spectrum(cell, x, k=0)
    with pytest.raises(ValueError, match=r"warmup must be in 0\.\.9 \(T = 10\), got 10"):
        lyapunov_spectrum(cell, x, warmup=10)
    with pytest.raises(ValueError, match=r"state must be \(6,\)"):
        lyapunov_spectrum(cell, x, np.zeros(3))
    with pytest.raises(ValueError, match=r"distances must lie in 1\.\.10, got 1\.\.11"):
        jacobian_product_spectrum(cell, x, distances=[1, 11])
    with pytest.raises(ValueError, match="anchor must be 'start' or 'end'"):
        jacobian_product_spectrum(cell, x, anchor="middle")


# ----------------------------------------------------------------- products


def test_product_singular_values_far_below_rounding() -> None:
    """J_t = U_{t+1} diag(d_t) U_tᵀ with random orthogonal U: the product's singular
    values are exactly the products of the d_t, spread over hundreds of orders."""
    rng = np.random.default_rng(6)
    D, k = 6, 60
    us = [np.linalg.qr(rng.normal(size=(D, D)))[0] for _ in range(k + 1)]
    d = np.array([1.5, 1.0, 0.7, 0.2, 0.05, 1e-3]) * rng.uniform(0.8, 1.2, (k, D))
    factors = np.stack([us[t + 1] @ np.diag(d[t]) @ us[t].T for t in range(k)])
    got, _ = product_log_singular_values(factors)
    want = np.sort(np.log(d).sum(axis=0))[::-1]
    assert want[0] - want[-1] > 300
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    # started from the other side, or from a basis of a shorter product: the same values
    _, basis = product_log_singular_values(factors[:40])
    np.testing.assert_allclose(product_log_singular_values(factors, basis)[0], want, atol=1e-9)
    _, basis = product_log_singular_values(factors[-40:], from_left=True)
    again, _ = product_log_singular_values(factors, basis, from_left=True)
    np.testing.assert_allclose(again, want, atol=1e-9)


def test_product_spectrum_of_a_cell_matches_the_explicit_product() -> None:
    minigrad.manual_seed(7)
    cell = rnn.GRUCell(2, 6, dtype=np.float64)
    x = np.random.default_rng(7).normal(size=(20, 2))
    J = step_jacobians(cell, x)
    spec = jacobian_product_spectrum(cell, x, distances=[1, 3, 5], start=4)
    assert spec.log_singular_values.shape == (3, 6)
    for k, row in zip(spec.distances, spec.log_singular_values, strict=True):
        p = np.linalg.multi_dot([*J[4 : 4 + k][::-1], np.eye(6)])
        np.testing.assert_allclose(row, np.log(np.linalg.svd(p, compute_uv=False)), atol=1e-9)
    end = jacobian_product_spectrum(cell, x, distances=[4], anchor="end")
    p = np.linalg.multi_dot([*J[-4:][::-1], np.eye(6)])
    np.testing.assert_allclose(end.singular_values[0], np.linalg.svd(p, compute_uv=False))


def test_constant_symmetric_map_product_is_its_power(linear_cell) -> None:
    rng = np.random.default_rng(8)
    q = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    d = np.array([1.5, 1.0, 0.2, 1e-3])
    cell = _linear(linear_cell, q @ np.diag(d) @ q.T)
    spec = jacobian_product_spectrum(cell, np.zeros((80, 1)))
    assert spec.distances[0] == 1 and spec.distances[-1] == 80
    np.testing.assert_allclose(
        spec.log_singular_values, spec.distances[:, None] * np.log(d), rtol=1e-10, atol=1e-9
    )


@pytest.mark.parametrize("scale", [1e-200, 1e160])
def test_products_of_jacobians_beyond_the_square_root_of_the_float_range(
    linear_cell, scale: float
) -> None:
    """Factors whose entries square to below the smallest or above the largest float:
    their product's log σ is finite (it was -inf: its norm was taken from the squares)."""
    rng = np.random.default_rng(8)
    q = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    d = np.array([1.5, 1.0, 0.2, 1e-3]) * scale
    cell = _linear(linear_cell, q @ np.diag(d) @ q.T)
    spec = jacobian_product_spectrum(cell, np.zeros((40, 1)), distances=[1, 2, 40])
    np.testing.assert_allclose(
        spec.log_singular_values, spec.distances[:, None] * np.log(d), rtol=1e-12
    )
