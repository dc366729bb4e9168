"""Lyapunov spectra and the singular values of products of step Jacobians.

Both are computed from QR factorisations, never from an explicit product
J_{t+k} ⋯ J_{t+1}, whose entries over- or underflow within a few hundred steps and whose
small singular values drown in the rounding of the large ones long before that.

Lyapunov exponents (Benettin's method). Start from k orthonormal tangent vectors Q_0 (D, k)
and at every step factor J_t Q_{t-1} = Q_t R_t. Then J_T ⋯ J_1 Q_0 = Q_T R_T ⋯ R_1, and

    λ_i = (1 / (T - w)) Σ_{t > w} log |(R_t)_ii|,

the mean growth rate per step of the i-th direction (w warm-up steps let Q align with the
most expanding directions first). Their sum over all D is the mean log |det J_t|:
det(J_t Q_{t-1}) = ± det R_t. For the whole spectrum the J_t of many steps are formed at
once (:func:`~rnn.dynamics.maps.jacobian_chunks`) and multiplied into Q; for a few
exponents (2k ≤ D) the k columns of Q are instead pushed through each step by forward
mode as k batched tangents, which gives J_t Q without forming J_t.

Singular values of a product P = J_{t+k} ⋯ J_{t+1}. Those near the largest come from
the product formed with a rescaling after every factor; the small ones, which its
rounding would swamp, from orthogonal iteration on PᵀP, each
multiplication by P or Pᵀ carried out one factor at a time with a QR after each: pushing
V through P gives P V = U (R_k ⋯ R_1) and pushing U back through Pᵀ gives Pᵀ U = V' (R'),
so log σ is read off as sums of log |diag R| and nothing is ever formed whole. Each
sweep (P, then Pᵀ) divides the error in σ_i by about (σ_{i+1} / σ_i)²; sweeps stop when
the logs settle to 1e-12.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import minigrad
from minigrad import forward

from .maps import (
    StepMap,
    check_inputs,
    check_state,
    jacobian_chunks,
    run_states,
    step_jacobians,
    step_map,
)

__all__ = ["ProductSpectrum", "jacobian_product_spectrum", "lyapunov_spectrum"]


def _orthonormal(D: int, k: int, seed: int) -> np.ndarray:
    """k random orthonormal columns in R^D (a generic start: no direction left out)."""
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((D, k)))
    return q * np.sign(np.diag(r))


def _check_k(k: Any, D: int, where: str) -> int:
    if k is None:
        return D
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= D:
        raise ValueError(f"{where}: k must be an integer in 1..{D} (the state size D), got {k!r}")
    return int(k)


def lyapunov_spectrum(
    model: Any,
    inputs: Any,
    state0: Any = None,
    k: int | None = None,
    warmup: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """The k largest Lyapunov exponents (all D when ``k`` is None), per step, descending.

    ``model``: a cell or one-layer layer; ``inputs`` (T, I) drive it from ``state0`` (None:
    zeros). The k tangent vectors are pushed through each J_t together, as one (D, k)
    matrix (batched forward-mode tangents when 2k ≤ D), and re-orthonormalised by QR
    after every step (module docstring). The first ``warmup`` steps (default T // 10) are
    run but not averaged. A direction that a Jacobian maps to exactly 0 (a dead ReLU unit)
    gives -inf, or, after rounding, some tens of nats per step below any genuine
    contraction.
    Returns (k,) float64, in nats per step.
    """
    fmap = step_map(model)
    x = check_inputs(fmap, inputs, "lyapunov_spectrum")
    s0 = check_state(fmap, state0, "lyapunov_spectrum")
    D, T = fmap.dim, len(x)
    k = _check_k(k, D, "lyapunov_spectrum")
    warmup = T // 10 if warmup is None else warmup
    if not isinstance(warmup, (int, np.integer)) or not 0 <= warmup < T:
        raise ValueError(f"lyapunov_spectrum: warmup must be in 0..{T - 1} (T = {T}), got {warmup}")
    xw = fmap.project(x)
    states = run_states(fmap, xw, s0, "lyapunov_spectrum")
    q = _orthonormal(D, k, seed)
    with np.errstate(divide="ignore"):
        if 2 * k <= D:
            total = _tangent_logs(fmap, xw, states, q, warmup)
        else:
            total = _forward_logs(fmap, xw, states, q, warmup)
    return np.sort(total / (T - warmup))[::-1]


def _forward_logs(
    fmap: StepMap, xw: np.ndarray, states: np.ndarray, q: np.ndarray, warmup: int
) -> np.ndarray:
    """Σ_{t > warmup} log |diag R_t| with J_t Q_{t-1} = Q_t R_t, from whole Jacobians."""
    total = np.zeros(q.shape[1])
    for t0, jacobians in jacobian_chunks(fmap, xw, states):
        for i, J in enumerate(jacobians):
            q, r = np.linalg.qr(J @ q)
            if t0 + i >= warmup:
                total += np.log(np.abs(np.diagonal(r)))
    return total


def _tangent_logs(
    fmap: StepMap, xw: np.ndarray, states: np.ndarray, q: np.ndarray, warmup: int
) -> np.ndarray:
    """The same sums with the k tangents pushed through each step by forward mode (one
    pass per step carrying the k columns of Q as batched tangents): J_t Q without J_t."""
    total = np.zeros(q.shape[1])
    for t in range(len(xw)):
        s = minigrad.tensor(states[t][None])
        with minigrad.no_grad(), forward.forward_pass():
            forward.set_tangent(s, np.ascontiguousarray(q.T[:, None, :]))
            moved = forward.tangent(fmap.step(minigrad.tensor(xw[t][None]), s))
        z = (
            np.zeros_like(q)
            if moved is None
            else np.broadcast_to(moved, (q.shape[1], 1, len(q)))[:, 0].T
        )
        q, r = np.linalg.qr(z)
        if t >= warmup:
            total += np.log(np.abs(np.diagonal(r)))
    return total


@dataclass
class ProductSpectrum:
    """Singular values of Jacobian products against the number of factors k.

    ``distances`` (K,) the k of each product; ``log_singular_values`` (K, D), natural logs,
    descending per row (-inf for an exactly singular product); ``anchor`` "start" (the
    products J_{t+k} ⋯ J_{t+1}, t = ``start``) or "end" (J_T ⋯ J_{T-k+1}, what ∂L/∂h_T
    passes through to reach ∂L/∂h_{T-k}).
    """

    distances: np.ndarray
    log_singular_values: np.ndarray
    anchor: str
    start: int

    @property
    def singular_values(self) -> np.ndarray:
        """exp of :attr:`log_singular_values` (may underflow to 0 or overflow to inf)."""
        with np.errstate(over="ignore", under="ignore"):
            return np.exp(self.log_singular_values)


def _push(factors: np.ndarray, q: np.ndarray, transpose: bool) -> tuple[np.ndarray, np.ndarray]:
    """Multiply q by the factors in order (each transposed when asked), QR after each;
    returns the final Q and the sum of log |diag R|."""
    logs = np.zeros(q.shape[1])
    for J in factors:
        q, r = np.linalg.qr((J.T if transpose else J) @ q)
        logs += np.log(np.abs(np.diagonal(r)))
    return q, logs


def _direct_log_singular_values(factors: np.ndarray) -> np.ndarray:
    """log σ of the product formed explicitly, rescaled after every factor: exact to
    about eps · σ_1 / σ_i relative, so only for the σ_i not far below σ_1. The scale is
    the largest |entry|, not the Frobenius norm, whose squares underflow to 0 for entries
    below 1e-154 (and overflow above 1e154)."""
    p = np.eye(factors.shape[1])
    scale = 0.0
    for J in factors:
        p = J @ p
        norm = np.abs(p).max()
        if norm == 0:
            return np.full(len(p), -np.inf)
        p /= norm
        scale += np.log(norm)
    return np.log(np.linalg.svd(p, compute_uv=False)) + scale


def product_log_singular_values(
    factors: np.ndarray,
    basis: np.ndarray | None = None,
    from_left: bool = False,
    max_sweeps: int = 8,
    tol: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray]:
    """log σ (D,), descending, of P = factors[-1] ⋯ factors[0] for factors (k, D, D), and
    the orthonormal basis the iteration ended with.

    The σ_i within a factor 10⁴ of σ_1 are read from the explicitly formed (rescaled)
    product, accurate to about 1e-12; the smaller ones, which rounding there would
    swamp, by QR-stabilised orthogonal iteration on PᵀP (module docstring), which
    converges fast exactly where they are well separated: each sweep divides the error in
    log σ_i by about (σ_i / σ_{i+1})², and sweeps stop when no log moves by more than
    ``tol`` (relative to 1 + |log σ|) or after ``max_sweeps``, which leaves values of a
    near-degenerate cluster accurate only to a fraction of the cluster's width. The
    iteration starts from
    ``basis`` (default I): right singular vectors (the input side of P), or left ones
    (the output side) with ``from_left``; the basis of the same side is returned, so a
    longer product sharing that side can start where this one ended."""
    D = factors.shape[1]
    b = np.eye(D) if basis is None else basis
    with np.errstate(divide="ignore", invalid="ignore"):
        direct = _direct_log_singular_values(factors)
        resolved = direct >= direct[0] - np.log(1e4)
        if resolved.all():
            return direct, b
        previous = np.full(D, np.inf)
        for _ in range(max_sweeps):
            if from_left:
                v, _ = _push(factors[::-1], b, transpose=True)
                b, logs = _push(factors, v, transpose=False)
            else:
                u, _ = _push(factors, b, transpose=False)
                b, logs = _push(factors[::-1], u, transpose=True)
            if _settled(logs, previous, tol):
                break
            previous = logs
    logs = np.sort(logs)[::-1]
    logs[resolved] = direct[resolved]
    return logs, b


def _settled(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    """a == b to ``tol`` relative to 1 + |a|, counting equal infinities as equal."""
    return bool(np.all((a == b) | (np.abs(a - b) <= tol * (1 + np.abs(a)))))


def _distances(distances: Any, most: int, where: str) -> np.ndarray:
    """The product lengths: given ones checked to lie in 1..most, or about 16 spread
    geometrically over 1..most."""
    if distances is None:
        return np.unique(np.geomspace(1, most, num=min(most, 16)).round().astype(int))
    d = np.asarray(distances)
    if d.ndim != 1 or d.size == 0 or not np.issubdtype(d.dtype, np.integer):
        raise ValueError(f"{where}: distances must be a non-empty list of integers")
    if d.min() < 1 or d.max() > most:
        raise ValueError(f"{where}: distances must lie in 1..{most}, got {d.min()}..{d.max()}")
    return d.astype(int)


def jacobian_product_spectrum(
    model: Any,
    inputs: Any,
    state0: Any = None,
    *,
    distances: Any = None,
    start: int = 0,
    anchor: str = "start",
) -> ProductSpectrum:
    """Singular values of J_{t+k} ⋯ J_{t+1} for each k in ``distances`` (t = ``start``);
    with ``anchor="end"``, of J_T ⋯ J_{T-k+1} instead (``start`` unused): the product that
    carries ∂L/∂s_T back to ∂L/∂s_{T-k}, so σ_max bounds the gradient's growth over k steps.

    ``model``, ``inputs`` (T, I) and ``state0`` as :func:`step_jacobians`; ``distances``
    default to about 16 values spread geometrically up to the longest possible product.
    Every Jacobian is exact from the engine; the products are never formed (module
    docstring). Returns a :class:`ProductSpectrum`.
    """
    where = "jacobian_product_spectrum"
    if anchor not in ("start", "end"):
        raise ValueError(f"{where}: anchor must be 'start' or 'end', got {anchor!r}")
    J = step_jacobians(model, inputs, state0)
    T = len(J)
    if anchor == "end":
        start = 0
    elif not isinstance(start, (int, np.integer)) or not 0 <= start < T:
        raise ValueError(f"{where}: start must be in 0..{T - 1} (T = {T}), got {start!r}")
    ks = _distances(distances, T - start, where)
    logs = np.empty((len(ks), J.shape[1]))
    basis = None
    # Products of one anchor share that side (t = start, or T): each iteration starts
    # from the singular vectors the previous, shorter, product ended with there.
    for row in np.argsort(ks, kind="stable"):
        k = ks[row]
        factors = J[start : start + k] if anchor == "start" else J[T - k :]
        logs[row], basis = product_log_singular_values(factors, basis, anchor == "end")
    return ProductSpectrum(ks, logs, anchor, start)
