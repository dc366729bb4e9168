"""The matrix exponential, ``exp(X) = sum_k X^k / k!``, of the last two axes.

Forward: scaling and squaring with a diagonal Pade approximant (Higham 2005, "The
scaling and squaring method for the matrix exponential revisited"). The [m/m]
approximant ``r_m(X) = q_m(X)^{-1} p_m(X)`` with

    p_m(x) = sum_j c_j x^j,   c_j = (2m - j)! m! / ((2m)! j! (m - j)!),   q_m(x) = p_m(-x)

is accurate to the unit roundoff while ``||X||_1 <= theta_m``; a larger ``X`` is
scaled to ``X / 2^s`` first and the result squared ``s`` times,
``exp(X) = exp(X / 2^s)^(2^s)``. The degree m and the thresholds theta_m are
Higham's, for double and for single precision; each matrix of a batch gets its own
m and s.

Derivatives: the Frechet derivative ``L(X, E) = d/dt exp(X + t E) at t = 0`` is the
upper-right block of the exponential of a block-triangular matrix (Mathias 1996;
Higham 2008, "Functions of Matrices", Theorem 3.6)::

    exp([[X, E], [0, X]]) = [[exp(X), L(X, E)], [0, exp(X)]]

so the jvp with tangent E is ``L(X, E)`` and, because
``<G, L(X, E)> = <L(X^T, G), E>``, the vjp with cotangent G is ``L(X^T, G)``. Written
with ops (concatenate, matrix_exp, slicing), the same identity is the tensor vjp, so
higher derivatives come from this one rule.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from .core import floating, record, to_tensor
from .joins import concatenate
from .registry import names, primitive
from .shape import swapaxes

# Largest ||X||_1 for which r_m(X) is exp(X) to unit roundoff, by degree m: Higham's
# (2005) values for double precision, and the same bound worked out for single
# precision (the values PyTorch and JAX use for float32).
_THETA = {
    np.dtype(np.float64): ((3, 1.495585217958292e-2), (5, 2.539398330063230e-1),
                           (7, 9.504178996162932e-1), (9, 2.097847961257068e0),
                           (13, 5.371920351148152e0)),
    np.dtype(np.float32): ((3, 4.258730016922831e-1), (5, 1.880152677804762e0),
                           (7, 3.925724783138660e0)),
}  # fmt: skip


def _pade_coefficients(m: int) -> list[float]:
    """c_j of the [m/m] Pade numerator of e^x, j = 0..m."""
    f = math.factorial
    return [f(2 * m - j) * f(m) / (f(2 * m) * f(j) * f(m - j)) for j in range(m + 1)]


_COEFFICIENTS = {m: _pade_coefficients(m) for m in (3, 5, 7, 9, 13)}


def _pade(x: np.ndarray, m: int) -> np.ndarray:
    """r_m(x) for a stack (B, n, n): with U the odd and V the even part of p_m,
    p_m = V + U and q_m = V - U, so r_m = (V - U)^{-1} (V + U)."""
    c = _COEFFICIENTS[m]
    eye = np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype), x.shape)
    x2 = x @ x
    if m < 13:
        powers = [eye, x2]  # x^0, x^2, x^4, ... up to x^(m-1)
        while len(powers) < (m + 1) // 2:
            powers.append(powers[-1] @ x2)
        odd = sum(c[2 * i + 1] * p for i, p in enumerate(powers))
        even = sum(c[2 * i] * p for i, p in enumerate(powers))
        u = x @ odd
    else:
        # Degree 13 from x^2, x^4, x^6 only (Higham 2005, eq. 2.5): six products.
        x4 = x2 @ x2
        x6 = x4 @ x2
        u = x @ (x6 @ (c[13] * x6 + c[11] * x4 + c[9] * x2)
                 + c[7] * x6 + c[5] * x4 + c[3] * x2 + c[1] * eye)  # fmt: skip
        even = (x6 @ (c[12] * x6 + c[10] * x4 + c[8] * x2)
                + c[6] * x6 + c[4] * x4 + c[2] * x2 + c[0] * eye)  # fmt: skip
    return np.linalg.solve(even - u, even + u)


def _degree(norm: float, dtype: np.dtype) -> tuple[int, int]:
    """(m, s): the lowest degree whose threshold covers ``norm``, else the highest
    degree with ``s`` halvings to bring the norm under its threshold."""
    table = _THETA[dtype]
    for m, theta in table:
        if norm <= theta:
            return m, 0
    m, theta = table[-1]
    return m, max(0, math.ceil(math.log2(norm / theta)))


def expm(x: np.ndarray) -> np.ndarray:
    """exp of each matrix of ``x`` (..., n, n), float32 or float64, in its dtype."""
    if x.shape[-1] == 0 or x.size == 0:
        return np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype), x.shape).copy()
    flat = x.reshape(-1, *x.shape[-2:])
    out = np.empty_like(flat)
    with np.errstate(over="ignore", invalid="ignore"):
        norms = np.abs(flat).sum(axis=-2).max(axis=-1)  # ||X||_1: largest column sum
    if not np.all(np.isfinite(norms)):
        bad = ~np.isfinite(norms)
        out[bad] = np.nan
        flat, norms, keep = flat[~bad], norms[~bad], ~bad
    else:
        keep = slice(None)
    plans = [_degree(float(v), flat.dtype) for v in norms]
    done = np.empty_like(flat)
    for m, s in sorted(set(plans)):
        pick = np.array([p == (m, s) for p in plans])
        r = _pade(flat[pick] / flat.dtype.type(2.0**s), m)
        with np.errstate(over="ignore", invalid="ignore"):  # exp overflows as e^x does
            for _ in range(s):
                r = r @ r
        done[pick] = r
    out[keep] = done
    return out.reshape(x.shape)


def frechet(x: np.ndarray, e: np.ndarray) -> np.ndarray:
    """L(x, e), the derivative of exp at ``x`` in direction ``e`` (shapes broadcast
    over the leading axes): the upper-right block of exp([[x, e], [0, x]]).

    L is linear in e, so e is scaled to the norm of x first (its own norm would only
    add squarings) and the result scaled back.
    """
    x, e = np.broadcast_arrays(x, e)
    n = x.shape[-1]
    if n == 0:  # 0 x 0 matrices: nothing to differentiate (the norms below have no max)
        return np.zeros(x.shape, x.dtype)
    scale = np.abs(e).sum(axis=-2).max(axis=-1, keepdims=True)[..., None]
    target = np.maximum(np.abs(x).sum(axis=-2).max(axis=-1, keepdims=True)[..., None], 1)
    scale = np.where(scale > 0, scale / target, 1).astype(x.dtype)
    block = np.zeros((*x.shape[:-2], 2 * n, 2 * n), x.dtype)
    block[..., :n, :n] = x
    block[..., n:, n:] = x
    block[..., :n, n:] = e / scale
    return expm(block)[..., :n, n:] * scale


def _expm_vjp(g: np.ndarray, x: np.ndarray) -> tuple:
    return (frechet(np.swapaxes(x, -1, -2), g),)


def _expm_jvp(dx: tuple, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    (dX,) = dx
    return frechet(x, dX)


def _expm_tensor_vjp(g: Tensor, x: Tensor) -> tuple:
    # L(X^T, G) as the upper-right block of exp([[X^T, G], [0, X^T]]), in ops.
    xt = swapaxes(x, -1, -2)
    n = x.shape[-1]
    zero = Tensor(np.zeros(x.shape, x.dtype))
    block = concatenate([concatenate([xt, g], axis=-1), concatenate([zero, xt], axis=-1)], axis=-2)
    return (matrix_exp(block)[..., :n, n:],)


@primitive(
    _expm_vjp,
    jvp=_expm_jvp,
    tensor_vjp=_expm_tensor_vjp,
    saves=("a",),
    methods=("matrix_exp",),
    top_level=True,
)
def matrix_exp(a: Tensor) -> Tensor:
    """exp(a) of the last two axes, for a (..., n, n) (``torch.linalg.matrix_exp``).
    vjp: L(a^T, g); jvp: L(a, da), with L the Frechet derivative of exp.

    L comes from exp of the block matrix [[a, e], [0, a]] (see the module docstring).
    For a skew-symmetric a (a^T = -a), exp(a) is orthogonal with determinant 1.
    """
    a = floating(to_tensor(a, None, "matrix_exp"))
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"matrix_exp: needs square matrices (..., n, n), got shape {a.shape}")
    return record("matrix_exp", expm(a.data), (a,), _expm_vjp, a.data)


__all__ = names(__name__)
