"""Finite-difference gradient checking in float64.

The one gradient checker of the project: every op test, every layer test and the
manual-BPTT reference tests go through :func:`numerical_grad` or :func:`gradcheck`.

Central differences: for a scalar function ``f`` and an input element ``x_i``,

    df/dx_i ~= (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

with truncation error O(eps^2). In float64 with ``eps = 1e-6`` this is accurate to
about 1e-8 relative, which is why checks must run in float64 (pitfall 7).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .autograd import grad
from .tensor import Tensor

__all__ = ["GradcheckError", "GradcheckReport", "gradcheck", "numerical_grad"]


def numerical_grad(
    f: Callable[..., float], arrays: Sequence[np.ndarray], eps: float = 1e-6
) -> list[np.ndarray]:
    """Central-difference gradient of a scalar function of NumPy arrays.

    ``f(*arrays)`` must return a real scalar. Each array is perturbed one element at a
    time, in place, and restored afterwards, so ``f`` sees the caller's arrays. Arrays
    must be float64 (checked), since float32 differences are dominated by rounding.

    Returns one gradient array per input, each with the input's shape.
    """
    grads = []
    for k, a in enumerate(arrays):
        if not isinstance(a, np.ndarray) or a.dtype != np.float64:
            got = a.dtype if isinstance(a, np.ndarray) else type(a).__name__
            raise TypeError(f"numerical_grad: input {k} must be a float64 ndarray, got {got}")
        g = np.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        if a.size and not np.shares_memory(flat, a):
            raise ValueError(f"numerical_grad: input {k} must be contiguous to perturb in place")
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = float(f(*arrays))
            flat[i] = old - eps
            down = float(f(*arrays))
            flat[i] = old
            gflat[i] = (up - down) / (2.0 * eps)
        grads.append(g)
    return grads


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when analytic and numerical gradients disagree."""


@dataclass
class GradcheckReport:
    """The outcome of a gradient check.

    ``worst`` names the input index and element with the largest violation of
    ``|analytic - numeric| <= atol + rtol * |numeric|``; ``max_abs_err`` is per input.
    """

    ok: bool
    max_abs_err: list[float]
    worst: tuple[int, tuple[int, ...], float, float] | None = None
    mode: str = "full"
    messages: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        head = "gradcheck passed" if self.ok else "gradcheck FAILED"
        return "\n".join([f"{head} ({self.mode})", *self.messages])


def gradcheck(
    fn: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    mode: str = "full",
    raise_exception: bool = True,
    seed: int = 0,
) -> GradcheckReport:
    """Compare the gradients minigrad computes for ``fn`` with finite differences.

    ``fn(*tensors)`` returns a Tensor of any shape; it is reduced to the scalar
    ``L = sum(fn(*x) * v)`` with a fixed random cotangent ``v``, so every output
    element is exercised. Inputs (arrays or tensors) are copied to float64 tensors
    that require grad; float32 inputs are refused, since their rounding swamps the
    differences (pitfall 7).

    ``mode="full"`` differentiates every input element; ``mode="random"`` checks the
    directional derivative along one random direction per input, which costs two
    evaluations per input instead of two per element.

    Raises :class:`GradcheckError` naming the input and its worst element (unless
    ``raise_exception=False``); returns a :class:`GradcheckReport`.
    """
    if mode not in ("full", "random"):
        raise ValueError(f"gradcheck: mode must be 'full' or 'random', got {mode!r}")
    arrays = []
    for k, x in enumerate(inputs):
        a = np.array(x.data if isinstance(x, Tensor) else x, copy=True)
        if a.dtype != np.float64:
            raise TypeError(f"gradcheck: input {k} has dtype {a.dtype}; gradcheck needs float64")
        arrays.append(np.array(a, order="C"))  # ascontiguousarray would make 0-d 1-d
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(fn(*[Tensor(a) for a in arrays]).shape)

    def scalar(*xs: np.ndarray) -> float:
        return float(np.sum(fn(*[Tensor(a) for a in xs]).data * v))

    leaves = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = fn(*leaves)
    analytic = grad(out, leaves, grad_outputs=v.astype(out.dtype), allow_unused=True)
    analytic = [np.zeros_like(a) if g is None else g for g, a in zip(analytic, arrays, strict=True)]
    report = GradcheckReport(ok=True, max_abs_err=[], mode=mode)
    if mode == "full":
        _check_full(report, analytic, numerical_grad(scalar, arrays, eps), atol, rtol)
    else:
        _check_random(report, analytic, arrays, scalar, rng, eps, atol, rtol)
    if not report.ok and raise_exception:
        raise GradcheckError(str(report))
    return report


def _check_full(
    report: GradcheckReport,
    analytic: list[np.ndarray],
    numeric: list[np.ndarray],
    atol: float,
    rtol: float,
) -> None:
    """Compare every element; record each failing input's worst element in ``report``."""
    worst_excess = 0.0
    for k, (ga, gn) in enumerate(zip(analytic, numeric, strict=True)):
        err = np.abs(ga - gn)
        report.max_abs_err.append(float(err.max(initial=0.0)))
        excess = err - (atol + rtol * np.abs(gn))
        if not (excess.size and excess.max() > 0):
            continue
        i = np.unravel_index(int(np.argmax(excess)), excess.shape)
        where = tuple(int(j) for j in i)
        report.ok = False
        report.messages.append(
            f"input {k} (shape {ga.shape}): element {where} "
            f"analytic {ga[i]:.10g} vs numerical {gn[i]:.10g} (abs err {err[i]:.3g})"
        )
        if excess[i] > worst_excess:
            worst_excess = float(excess[i])
            report.worst = (k, where, float(ga[i]), float(gn[i]))


def _check_random(
    report: GradcheckReport,
    analytic: list[np.ndarray],
    arrays: list[np.ndarray],
    scalar: Callable[..., float],
    rng: np.random.Generator,
    eps: float,
    atol: float,
    rtol: float,
) -> None:
    """Compare the directional derivative along one random direction ``u`` per input:
    (L(x + eps u) - L(x - eps u)) / (2 eps) against <analytic, u>."""
    for k, a in enumerate(arrays):
        u = rng.standard_normal(a.shape)
        a += eps * u
        up = scalar(*arrays)
        a -= 2 * eps * u
        down = scalar(*arrays)
        a += eps * u
        dn = (up - down) / (2 * eps)
        da = float(np.sum(analytic[k] * u))
        err = abs(da - dn)
        report.max_abs_err.append(err)
        if err > atol + rtol * abs(dn):
            report.ok = False
            report.messages.append(
                f"input {k} (shape {a.shape}): directional derivative analytic {da:.10g} "
                f"vs numerical {dn:.10g} (abs err {err:.3g})"
            )
            if report.worst is None:
                report.worst = (k, (), da, dn)
