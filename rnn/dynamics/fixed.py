"""Fixed points of a cell driven by a constant input: F(s*, x) = s*.

Following Sussillo & Barak (2013), minimise the speed

    q(s) = ½ ‖F(s, x) − s‖²,   ∇q = (J − I)ᵀ (F(s, x) − s),   J = ∂F/∂s,

from many starts at once. q and ∇q come from the engine (one backward over the batch of
starts: the starts are independent batch entries, so the gradient of Σ q gives each
∇q); the exact Jacobians J, also from the engine, give Levenberg–Marquardt steps

    δ = −(AᵀA + μ I)⁻¹ ∇q,   A = J − I,

which are Gauss–Newton steps (quadratic convergence near a fixed point) as μ → 0, and
gradient steps when μ is large; μ shrinks after a step that lowers q and grows after
one that does not, per start. At each point found, the eigenvalues of J say how the map
moves nearby: |λ| < 1 for all of them makes it stable (an attractor of the discrete map).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

import minigrad

from .maps import StepMap, batched_jacobians, check_inputs, step_map

__all__ = ["FixedPoints", "fixed_points"]


@dataclass
class FixedPoints:
    """What :func:`fixed_points` found, one row per distinct point (most starts first).

    ``points`` (M, D) joint states s*; ``q`` (M,) the speed ½‖F(s*) − s*‖² left;
    ``eigenvalues`` (M, D) complex, of ∂F/∂s at s*, by decreasing modulus; ``stable`` (M,)
    True when every |λ| < 1; ``counts`` (M,) how many starts ended at each point;
    ``unconverged``: starts whose q stayed above the tolerance (slow regions, not points).
    """

    points: np.ndarray
    q: np.ndarray
    eigenvalues: np.ndarray
    stable: np.ndarray
    counts: np.ndarray
    unconverged: int

    @property
    def labels(self) -> list[str]:
        """ "stable" or "unstable" per point."""
        return ["stable" if s else "unstable" for s in self.stable]


def speed(fmap: StepMap, xw: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """q (M,) and ∇q (M, D) at the M states s (M, D), from the engine."""
    leaf = minigrad.tensor(s, requires_grad=True)
    with minigrad.enable_grad():
        r = fmap.step(minigrad.tensor(xw), leaf) - leaf
        q = (r * r).sum(axis=1) * 0.5
    (g,) = minigrad.grad(q.sum(), leaf)
    return q.data.copy(), g


def _minimise(
    fmap: StepMap, xw: np.ndarray, s: np.ndarray, tol: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray]:
    """Levenberg–Marquardt on q from every row of s at once; returns (s, q)."""
    M, D = s.shape
    mu = np.full(M, 1e-3)
    eye = np.eye(D)
    q, g = speed(fmap, xw, s)
    for _ in range(max_iter):
        active = ~_converged(q, s, tol)
        if not active.any():
            break
        a = batched_jacobians(fmap, xw[active], s[active]) - eye
        lhs = np.swapaxes(a, 1, 2) @ a + mu[active, None, None] * eye
        step, solved = _solve(lhs, g[active])
        trial = s[active] + step
        q_new, g_new = speed(fmap, xw[active], trial)
        better = solved & np.isfinite(q_new) & (q_new < q[active])
        idx = np.flatnonzero(active)
        took = idx[better]
        s[took], q[took], g[took] = trial[better], q_new[better], g_new[better]
        mu[took] = np.maximum(mu[took] / 3, 1e-12)
        mu[idx[~better]] *= 4
    return s, q


def _solve(lhs: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The steps -lhs^-1 g of every row, and which rows had one: a row whose damped
    matrix is singular in floating point (Jacobians of order 1e10 swamp the damping)
    takes no step, and its damping grows as after a step that failed."""
    try:
        return -np.linalg.solve(lhs, g[:, :, None])[:, :, 0], np.ones(len(g), bool)
    except np.linalg.LinAlgError:
        steps, solved = np.zeros_like(g), np.ones(len(g), bool)
        for i in range(len(g)):
            try:
                steps[i] = -np.linalg.solve(lhs[i], g[i])
            except np.linalg.LinAlgError:
                solved[i] = False
        return steps, solved


def _converged(q: np.ndarray, s: np.ndarray, tol: float) -> np.ndarray:
    """q ≤ tol (1 + ‖s‖²) per row: rounding alone leaves ‖F(s) − s‖ near eps ‖s‖, so an
    absolute bound on q could not be met at a fixed point far from the origin."""
    return q <= tol * (1 + np.einsum("md,md->m", s, s))


def _merge(points: np.ndarray, q: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """Representatives (lowest q first) of points closer than ``tol`` (relative to
    1 + ‖s‖) and how many points each stands for."""
    reps: list[int] = []
    counts: list[int] = []
    for i in np.argsort(q, kind="stable"):
        for j, r in enumerate(reps):
            if np.linalg.norm(points[i] - points[r]) <= tol * (1 + np.linalg.norm(points[r])):
                counts[j] += 1
                break
        else:
            reps.append(int(i))
            counts.append(1)
    return np.array(reps, dtype=int), np.array(counts, dtype=int)


def fixed_points(
    model: Any,
    x_const: Any,
    starts: Any,
    *,
    tol: float = 1e-20,
    max_iter: int = 200,
    merge_tol: float = 1e-6,
) -> FixedPoints:
    """Fixed points s* = F(s*, x) of ``model`` (a cell or one-layer layer) under the
    constant input ``x_const`` (I,), searched from each row of ``starts`` (M, D) (joint
    states; for the LSTM s = [h; c], D = 2H).

    A start converges when q = ½‖F(s) − s‖² ≤ ``tol`` (1 + ‖s‖²) within ``max_iter``
    steps (module docstring); points closer than ``merge_tol`` (relative) are merged,
    keeping the one with the lowest q. Returns a :class:`FixedPoints`, most visited points first.
    ValueError for a ``tol`` or ``merge_tol`` that is not a finite number >= 0 or a
    ``max_iter`` that is not an integer >= 0.
    """
    fmap = step_map(model)
    where = "fixed_points"
    for name, value in (("tol", tol), ("merge_tol", merge_tol)):
        # inf would pass every start as a point, NaN none, a negative merge_tol none
        if not (isinstance(value, (int, float, np.number)) and math.isfinite(value) and value >= 0):
            raise ValueError(f"{where}: {name} must be a finite number >= 0, got {value!r}")
    if not isinstance(max_iter, (int, np.integer)) or isinstance(max_iter, bool) or max_iter < 0:
        raise ValueError(f"{where}: max_iter must be an integer >= 0, got {max_iter!r}")
    x = np.asarray(x_const, dtype=np.float64)
    if x.shape != (fmap.input_size,):
        raise ValueError(f"{where}: x_const must have shape ({fmap.input_size},), got {x.shape}")
    x = check_inputs(fmap, x[None], where)
    s = np.array(starts, dtype=np.float64)
    if s.ndim != 2 or s.shape[1] != fmap.dim or s.shape[0] < 1:
        raise ValueError(f"{where}: starts must have shape (M, {fmap.dim}), got {s.shape}")
    if not np.isfinite(s).all():
        raise ValueError(f"{where}: the starts are not finite")
    xw = np.repeat(fmap.project(x), len(s), axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        s, q = _minimise(fmap, xw, s, tol, max_iter)
    ok = _converged(q, s, tol)
    reps, counts = _merge(s[ok], q[ok], merge_tol)
    points, q = s[ok][reps], q[ok][reps]
    order = np.argsort(-counts, kind="stable")
    points, q, counts = points[order], q[order], counts[order]
    J = batched_jacobians(fmap, xw[: len(points)], points) if len(points) else np.zeros((0,) * 3)
    eig = np.linalg.eigvals(J) if len(points) else np.zeros((0, fmap.dim), complex)
    eig = np.take_along_axis(eig, np.argsort(-np.abs(eig), axis=1, kind="stable"), axis=1)
    stable = np.all(np.abs(eig) < 1, axis=1)
    return FixedPoints(points, q, eig, stable, counts, int((~ok).sum()))
