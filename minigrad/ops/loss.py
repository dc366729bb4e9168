"""Softmax cross-entropy as one primitive: the loss of a classifier in one node.

Written from ``log_softmax`` and ``nll_loss`` (:mod:`minigrad.functional` keeps that
composition as the reference the tests compare against), the loss is about a dozen
nodes with a scatter in backward. As one op it is one forward pass over the logits and
a closed-form vjp: for rows z_n (C classes) and targets t_n,

    loss_n = logsumexp(z_n) - z_n[t_n],    d loss_n / d z_n = softmax(z_n) - onehot(t_n),

with logsumexp shifted by the row's maximum, so logits of ±1000 stay finite.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import record
from .registry import names, primitive

REDUCTIONS = ("mean", "sum", "none")


def class_targets(
    who: str, shape: tuple[int, ...], targets: Any, ignore_index: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check integer ``targets`` against logits of ``shape`` (classes on axis 1; (C,) for
    one sample). Returns the targets as given (an array), flattened, and the mask of the
    rows that count (target != ignore_index)."""
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{who}: targets must be integer class indices, got {t.dtype}")
    expected = shape[:1] + shape[2:] if len(shape) > 1 else ()
    if t.shape != expected:
        raise ValueError(
            f"{who}: targets of shape {t.shape} do not match logits of shape "
            f"{shape} (expected targets of shape {expected})"
        )
    n_classes = shape[1] if len(shape) > 1 else shape[0]
    flat = t.reshape(-1)
    keep = flat != ignore_index
    bad = keep & ((flat < 0) | (flat >= n_classes))
    if bad.any():
        raise ValueError(
            f"{who}: target {int(flat[bad][0])} is out of range for {n_classes} classes"
        )
    return t, flat, keep


def _cross_entropy_vjp(
    g: np.ndarray,
    e: np.ndarray,
    s: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    keep: np.ndarray | None,
    scale: np.floating,
    shape: tuple[int, ...],
) -> tuple:
    # dz_n = (softmax(z_n) - onehot(t_n)) w_n, w_n = g scale (g_n for "none"), 0 if ignored
    dz = e / s
    dz[rows, cols] -= 1
    w = g.reshape(-1) * scale if g.ndim else g * scale
    if keep is not None:
        w = w * keep
    dz *= w[:, None] if np.ndim(w) else w
    return (dz.reshape(shape),)


@primitive(_cross_entropy_vjp)
def cross_entropy(
    logits: Tensor, targets: Any, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Softmax cross-entropy of ``logits`` (C,) or (N, C) against integer ``targets``
    (() or (N,)), as ``torch.nn.functional.cross_entropy``:

        loss_n = logsumexp(z_n) - z_n[t_n]

    A target equal to ``ignore_index`` contributes 0 and is not counted by the mean (nan
    when every target is ignored). vjp: dL/dz_n = (softmax(z_n) - onehot(t_n)) w_n, with
    w_n = g / count (mean), g (sum) or g_n (none), and 0 where t_n is ignored.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if logits.ndim not in (1, 2):
        raise ValueError(f"cross_entropy: logits must be (C,) or (N, C), got {logits.shape}")
    t, flat, keep = class_targets("cross_entropy", logits.shape, targets, ignore_index)
    z = logits.data.reshape(-1, logits.shape[-1])
    m = z.max(axis=1, keepdims=True)
    if not np.isfinite(m).all():
        m = np.where(np.isfinite(m), m, 0).astype(z.dtype)
    e = z - m
    if keep.all():
        keep, rows, cols = None, np.arange(flat.size), flat
    else:
        rows = np.flatnonzero(keep)
        cols = flat[rows]
    picked = e[rows, cols]  # z_n[t_n] - m_n
    np.exp(e, out=e)
    s = e.sum(axis=1, keepdims=True)
    if keep is not None:
        s[~keep] = 1  # ignored rows get no gradient; keep e / s finite there
    losses = np.log(s[rows, 0]) - picked  # logsumexp(z_n) - z_n[t_n], kept rows
    one = z.dtype.type(1)
    if reduction == "none":
        out, scale = np.zeros(flat.size, z.dtype), one
        out[rows] = losses
        out = out.reshape(t.shape)
    elif reduction == "sum":
        out, scale = losses.sum(), one
    else:
        count = rows.size
        out = losses.sum() / count if count else z.dtype.type(np.nan)
        scale = one / count if count else z.dtype.type(0)  # nothing counted: no gradient
    return record(
        "cross_entropy", np.asarray(out, z.dtype), (logits,), _cross_entropy_vjp,
        e, s, rows, cols, keep, scale, logits.shape,
    )  # fmt: skip


__all__ = names(__name__)
