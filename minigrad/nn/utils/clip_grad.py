"""Gradient clipping (``torch.nn.utils`` names): rescale or clamp ``.grad`` in place."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[np.ndarray]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    # A Tensor .grad (left by backward(create_graph=True)) is clipped in its values.
    return [
        p.grad if isinstance(p.grad, np.ndarray) else p.grad.data
        for p in params
        if p.grad is not None
    ]


def _norm(g: np.ndarray, norm_type: float) -> float:
    a = np.abs(g.astype(np.float64, copy=False))
    if a.size == 0:
        return 0.0
    if norm_type == math.inf:
        return float(a.max())
    # ||a||_p = m ||a / m||_p with m = max |a|: no overflow or underflow of a^p.
    m = a.max()
    if m == 0.0 or not np.isfinite(m):
        return float(m)
    a = a / m
    if norm_type == 2.0:
        return float(m * np.sqrt(np.sum(a * a)))
    return float(m * np.sum(a**norm_type) ** (1.0 / norm_type))


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Rescale the gradients so their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients viewed as one vector
    (``inf``: the largest absolute entry), accumulated in float64. As PyTorch, every
    gradient is multiplied by ``min(1, max_norm / (total + 1e-6))``. Parameters whose
    ``grad`` is None are skipped.

    Returns the total norm before clipping, as a Python float. Raises ``RuntimeError``
    if it is NaN or infinite and ``error_if_nonfinite`` is set; otherwise, as PyTorch,
    an infinite total turns the infinite entries into NaN and the rest into 0, and a NaN
    total turns every gradient into NaN.
    """
    norm_type = float(norm_type)
    if norm_type <= 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be positive, got {norm_type}")
    grads = _grads(parameters)
    if not grads:
        return 0.0
    # ||g||_p over the concatenation equals the p-norm of the per-tensor p-norms.
    total = _norm(np.array([_norm(g, norm_type) for g in grads]), norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{total}; set error_if_nonfinite=False to clip anyway"
        )
    coef = float(max_norm) / (total + 1e-6)
    if not coef >= 1.0:
        # An infinite total gives coef 0, so an infinite entry becomes NaN, and a NaN
        # total gives coef NaN, so every entry does, as in PyTorch (clamp keeps NaN).
        with np.errstate(invalid="ignore"):
            for g in grads:
                g *= g.dtype.type(coef)
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g, -clip_value, clip_value, out=g)
