"""matrix_exp (minigrad/ops/expm.py): the table-driven check, then the properties a
user relies on: exp of a skew-symmetric matrix is orthogonal, exp(A) exp(-A) = I,
float32 stays float32, scaling and squaring for large norms, the Frechet derivative."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import _expm_taylor, check_case, check_empty
from strategies import arrays

import minigrad
from minigrad import Tensor, func
from minigrad.ops.expm import expm, frechet


@given(data=st.data())
def test_forward_and_gradient(data):
    """Against the row of tests/op_cases/: Taylor reference, finite differences."""
    check_case("matrix_exp", data.draw)


def test_zero_size_dimensions():
    check_empty("matrix_exp")
    assert minigrad.matrix_exp(np.zeros((0, 0))).shape == (0, 0)


@given(x=arrays((5, 5), -4.0, 4.0))
def test_exp_of_a_skew_symmetric_matrix_is_orthogonal(x):
    q = minigrad.matrix_exp(Tensor(x - x.T)).numpy()
    np.testing.assert_allclose(q @ q.T, np.eye(5), atol=1e-12)
    assert np.linalg.det(q) == pytest.approx(1.0)


@pytest.mark.parametrize("scale", [1e-3, 0.5, 3.0, 40.0])
def test_large_norms_are_scaled_and_squared(scale):
    """Norms beyond the highest degree's threshold (5.37) need halvings: exp(A) exp(-A) = I
    and the Taylor reference agree at every scale."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 4, 4)) * scale / 4
    x = x - np.swapaxes(x, -1, -2) + np.eye(4) * 0.1
    got = expm(x)
    np.testing.assert_allclose(got @ expm(-x), np.broadcast_to(np.eye(4), x.shape), atol=1e-10)
    np.testing.assert_allclose(got, _expm_taylor(x), rtol=1e-10, atol=1e-10)


def test_a_batch_with_very_different_norms_gives_each_its_own_degree():
    x = np.stack([np.diag([1e-4, -2e-4]), np.diag([7.0, -30.0])])
    np.testing.assert_allclose(expm(x), np.stack([np.diag(np.exp(np.diag(m))) for m in x]),
                               rtol=1e-13)  # fmt: skip


def test_float32_stays_float32_and_accurate():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 6, 6))
    got = minigrad.matrix_exp(Tensor(x.astype(np.float32)))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), expm(x), rtol=2e-5, atol=2e-5)


def test_overflow_gives_inf_without_a_warning_as_exp():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = expm(np.array([[1000.0]], dtype=np.float32))
    assert np.isinf(out).all()


def test_non_square_input_is_refused_with_its_shape():
    with pytest.raises(ValueError, match=r"matrix_exp: needs square matrices.*\(2, 3\)"):
        minigrad.matrix_exp(np.zeros((2, 3)))


def test_frechet_derivative_is_the_directional_derivative():
    rng = np.random.default_rng(2)
    x, e = rng.normal(size=(2, 4, 4))
    h = 1e-6
    fd = (expm(x + h * e) - expm(x - h * e)) / (2 * h)
    np.testing.assert_allclose(frechet(x, e), fd, rtol=1e-6, atol=1e-8)


def test_jvp_and_second_derivatives():
    """Forward mode is L(X, dX); the tensor vjp is exp of a block matrix, so a
    Hessian-vector product exists and matches finite differences of the gradient."""
    rng = np.random.default_rng(3)
    x, v, w = rng.normal(size=(3, 3, 3)) * 0.5
    _, tangent = minigrad.func.jvp(minigrad.matrix_exp, (Tensor(x),), (Tensor(v),))
    np.testing.assert_allclose(np.asarray(tangent), frechet(x, v), rtol=1e-12, atol=1e-12)
    t = Tensor(x, requires_grad=True)
    (g,) = minigrad.grad((minigrad.matrix_exp(t) * Tensor(w)).sum(), [t], create_graph=True)
    (hv,) = minigrad.grad((g * Tensor(v)).sum(), [t])

    def first(y):  # <L(y^T, w), v>
        return np.sum(frechet(y.T, w) * v)

    h = 1e-6
    fd = np.array([[(first(x + h * d) - first(x - h * d)) / (2 * h) for d in row]
                   for row in np.eye(9).reshape(3, 3, 3, 3)])  # fmt: skip
    np.testing.assert_allclose(hv, fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("shape", [(0, 0), (2, 0, 0)])
def test_derivatives_of_zero_by_zero_matrices_are_empty(shape):
    """exp of 0 x 0 matrices is empty, and so are its vjp, jvp and Hessian (the
    Frechet derivative's norm scaling took the max of nothing: a NumPy ValueError)."""
    x = Tensor(np.zeros(shape), requires_grad=True)
    minigrad.matrix_exp(x).sum().backward()
    assert x.grad.shape == shape
    _, jv = func.jvp(minigrad.matrix_exp, (Tensor(np.zeros(shape)),), (Tensor(np.zeros(shape)),))
    assert jv.shape == shape
    h = func.hessian(lambda a: minigrad.matrix_exp(a).sum())(Tensor(np.zeros(shape)))
    assert h.shape == shape + shape
