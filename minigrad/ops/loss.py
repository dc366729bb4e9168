"""Softmax cross-entropy as one primitive: the loss of a classifier in one node.

Written from ``log_softmax`` and ``nll_loss`` (:mod:`minigrad.functional` keeps that
composition as the reference the tests compare against), the loss is about a dozen
nodes with a scatter in backward. As one op it is one forward pass over the logits and
a closed-form vjp: for rows z_n (C classes) and targets t_n,

    loss_n = logsumexp(z_n) - z_n[t_n],    d loss_n / d z_n = softmax(z_n) - onehot(t_n),

with logsumexp shifted by the row's maximum, so logits of ±1000 stay finite.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import record, to_tensor
from .elementwise import div, mul, sub
from .reduce import sum as reduce_sum
from .registry import names, primitive
from .shape import reshape
from .unary import exp

REDUCTIONS = ("mean", "sum", "none")


def class_targets(
    who: str, shape: tuple[int, ...], targets: Any, ignore_index: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check integer ``targets`` against logits of ``shape`` (classes on axis 1; (C,) for
    one sample). Returns the targets as given (an array), flattened, and the mask of the
    rows that count (target != ignore_index)."""
    t, flat, keep = counted_targets(who, shape, targets, ignore_index)
    return t, flat, (flat != ignore_index) if keep is None else keep


# The unsigned twin of each native integer type: targets read as unsigned put every
# negative one past the classes, so one maximum checks 0 <= t < C. (Other byte orders
# take the general check.)
_UNSIGNED = {np.dtype(f"{k}{n}"): np.dtype(f"u{n}") for k in "iu" for n in (1, 2, 4, 8)}
# The ufuncs' own reductions: ``ndarray.max/sum/all`` are Python wrappers around them.
_max = np.maximum.reduce
_sum = np.add.reduce
_all = np.logical_and.reduce


def counted_targets(
    who: str, shape: tuple[int, ...], targets: Any, ignore_index: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """:func:`class_targets`, with None for the mask when every row counts (every target
    is a class and ``ignore_index`` is none: one reduction where the general case takes
    six array operations)."""
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
    unsigned = _UNSIGNED.get(flat.dtype)
    if unsigned is not None and flat.size and type(ignore_index) is int:
        if not 0 <= ignore_index < n_classes and _max(flat.view(unsigned)) < n_classes:
            return t, flat, None
    if not isinstance(ignore_index, int | np.integer) or isinstance(ignore_index, bool):
        # PyTorch's third positional argument is the class weights: given here, an array
        # would be compared with the targets element by element.
        raise TypeError(
            f"{who}: ignore_index must be an integer, got {type(ignore_index).__name__} "
            "(class weights are passed as weight=...)"
        )
    keep = flat != ignore_index
    bad = keep & ((flat < 0) | (flat >= n_classes))
    if bad.any():
        raise ValueError(
            f"{who}: target {int(flat[bad][0])} is out of range for {n_classes} classes"
        )
    return t, flat, keep


# saved: z (the logits, (M, C) rows), e = exp(z - max) and s = sum(e) per row, the kept
# rows and their target columns, keep (None: every row kept), the reduction's scale
# (1 / count for "mean", else 1) and the logits' shape.


def _softmax_minus_onehot(e, s, rows, cols) -> np.ndarray:
    q = e / s
    n, width = q.shape
    if rows.size == n and cols.dtype == np.intp:
        # Every row kept (rows is 0..n-1): q[rows, cols] -= 1 through the flat index
        # n_i width + t_i, a 1-D gather and scatter (half the cost of the 2-D ones).
        q.reshape(-1)[_row_starts(n, width) + cols] -= 1
    else:
        q[rows, cols] -= 1
    return q


@functools.lru_cache(maxsize=32)
def _row_starts(n: int, width: int) -> np.ndarray:
    """The flat offsets 0, width, ..., (n-1) width of n rows of ``width`` (read-only,
    shared by every loss over such rows)."""
    starts = np.arange(n, dtype=np.intp) * width
    starts.flags.writeable = False
    return starts


def _row_weights(g: Any, keep: np.ndarray | None, scale: Any) -> Any:
    """w_n = g scale (g_n for "none"), 0 where row n is ignored; (M, 1) or a scalar."""
    w = g.reshape(-1, 1) * scale if g.ndim else g * scale
    return w if keep is None else w * keep.reshape(-1, 1)


def _cross_entropy_vjp(g, z, e, s, rows, cols, keep, scale, shape) -> tuple:
    # dL/dz_n = (softmax(z_n) - onehot(t_n)) w_n
    dz = _softmax_minus_onehot(e, s, rows, cols)
    dz *= _row_weights(g, keep, scale)
    return (dz.reshape(shape),)


def _cross_entropy_jvp(dx, y, z, e, s, rows, cols, keep, scale, shape) -> np.ndarray | None:
    # d loss_n = <softmax(z_n) - onehot(t_n), dz_n>, then the reduction (over the batch
    # axis B in front: dz is (B, *shape))
    (dz,) = dx
    if dz is None:
        return None
    q = _softmax_minus_onehot(e, s, rows, cols)
    per_row = np.einsum("bmc,mc->bm", dz.reshape(dz.shape[0], *q.shape), q)
    if keep is not None:
        per_row *= keep
    if y.ndim == 0:
        return per_row.sum(axis=1) * scale
    return per_row.reshape(dz.shape[0], *y.shape)


def _cross_entropy_tensor_vjp(g, z, e, s, rows, cols, keep, scale, shape) -> tuple:
    # The same rule with ops (z and g are tensors), so that it can be differentiated again.
    z2 = reshape(z, (-1, shape[-1]))
    m = z2.data.max(axis=1, keepdims=True)
    ez = exp(sub(z2, np.where(np.isfinite(m), m, 0).astype(m.dtype)))
    onehot = np.zeros(z2.shape, z2.dtype)
    onehot[rows, cols] = 1
    w = mul(reshape(g, (-1, 1)) if g.ndim else g, scale)
    if keep is not None:
        w = mul(w, keep.reshape(-1, 1).astype(z2.dtype))
    dz = mul(sub(div(ez, reduce_sum(ez, 1, keepdims=True)), onehot), w)
    return (reshape(dz, shape),)


@primitive(
    _cross_entropy_vjp,
    jvp=_cross_entropy_jvp,
    tensor_vjp=_cross_entropy_tensor_vjp,
    saves=("logits",),
)
def cross_entropy(
    logits: Tensor, targets: Any, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Softmax cross-entropy of ``logits`` (C,) or (N, C) against integer ``targets``
    (() or (N,)), as ``torch.nn.functional.cross_entropy``: loss_n = logsumexp(z_n) -
    z_n[t_n]. vjp: (softmax(z_n) - onehot(t_n)) w_n, with w_n = g / count (mean), g
    (sum) or g_n (none), and 0 where t_n is ignored.

    A target equal to ``ignore_index`` contributes 0 and is not counted by the mean (nan
    when every target is ignored).
    """
    if type(logits) is not Tensor:
        logits = to_tensor(logits, None, "cross_entropy")
    if reduction not in REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if logits.ndim not in (1, 2):
        raise ValueError(f"cross_entropy: logits must be (C,) or (N, C), got {logits.shape}")
    shape = logits.data.shape
    t, flat, keep = counted_targets("cross_entropy", shape, targets, ignore_index)
    if keep is not None and keep.all():
        keep = None
    z = logits.data.reshape(-1, shape[-1])
    m = _max(z, 1, None, None, True)  # the row maxima (M, 1)
    if not _all(np.isfinite(m), None):
        m = np.where(np.isfinite(m), m, 0).astype(z.dtype)
    e = z - m
    if keep is None:
        rows, cols = _every_row(flat.size), flat
    else:
        rows = np.flatnonzero(keep)
        cols = flat[rows]
    picked = e[rows, cols]  # z_n[t_n] - m_n
    np.exp(e, e)
    s = np.add.reduce(e, 1, None, None, True)
    if keep is None:
        lse = np.log(s[:, 0])
    else:
        s[~keep] = 1  # ignored rows get no gradient; keep e / s finite there
        lse = np.log(s[rows, 0])
    losses = lse - picked  # logsumexp(z_n) - z_n[t_n], kept rows
    if reduction == "none":
        out, scale = np.zeros(flat.size, z.dtype), _scale(z.dtype, 1)
        out[rows] = losses
        out = out.reshape(t.shape)
    elif reduction == "sum":
        out, scale = _sum(losses, None), _scale(z.dtype, 1)
    else:
        count = rows.size
        out = _sum(losses, None) / count if count else z.dtype.type(np.nan)
        scale = _scale(z.dtype, count)
    return record(
        "cross_entropy", np.asarray(out, z.dtype), (logits,), _cross_entropy_vjp,
        logits.data, e, s, rows, cols, keep, scale, shape,
    )  # fmt: skip


@functools.lru_cache(maxsize=64)
def _scale(dtype: np.dtype, count: int) -> np.generic:
    """The reduction's scale in ``dtype``: 1 / count, 0 when nothing counts (no gradient)."""
    return dtype.type(1) / count if count else dtype.type(0)


@functools.lru_cache(maxsize=32)
def _every_row(n: int) -> np.ndarray:
    """The row indices 0..n-1 (read-only: one array shared by every loss over n rows)."""
    rows = np.arange(n)
    rows.flags.writeable = False
    return rows


__all__ = names(__name__)
