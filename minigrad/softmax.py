"""The softmax family as composites of primitive ops: ``logsumexp``, ``log_softmax`` and
``softmax``, each stable for any logits.

None has a hand-written gradient: backward falls out of the primitives. The max-shift is
a constant (no gradient needed), since

    logsumexp(x) = m + log(sum(exp(x - m)))   for any m,

so choosing m = max(x) keeps every exp() in (0, 1] and logits of +-1000 stay finite.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from .axes import LAST, axis_args, reduced_axes, spelled
from .ops.core import derived, floating, to_tensor
from .ops.registry import composite
from .tensor import Tensor

__all__ = ["log_softmax", "logsumexp", "softmax"]


def _shift(x: Tensor, axis: int | tuple | None, keep_inf: bool = False) -> Tensor:
    """max(x) over ``axis`` (keepdims) as a constant; non-finite maxima (and the max of
    an empty axis) become 0, except +inf with ``keep_inf``, which becomes NaN: a
    normalisation (softmax, log_softmax) of a slice holding +inf is then NaN throughout,
    as PyTorch's, instead of NaN at the inf and exact zeros beside it. NaN rather than
    +inf, since x - NaN is NaN quietly where inf - inf is NaN with NumPy's "invalid
    value" warning (eager or replayed)."""
    return derived("shift", lambda a: _finite_max(a, axis, keep_inf), x)


def _finite_max(a: np.ndarray, axis: int | tuple | None, keep_inf: bool) -> np.ndarray:
    m = a.max(axis=axis, keepdims=True, initial=-np.inf)  # -inf on an empty axis
    # -nan: the NaN x86 gives for inf - inf (sign bit set), so the results keep their bits
    other = np.where(m == np.inf, -np.nan, 0) if keep_inf else 0
    return np.where(np.isfinite(m), m, other).astype(a.dtype, copy=False)


@composite(methods=("logsumexp",), top_level=True)
def logsumexp(
    x: Tensor,
    axis: int | None = None,
    keepdims: bool | None = None,
    b: Any = None,
    *,
    dim: int | None = None,
    keepdim: bool | None = None,
) -> Tensor:
    """log(sum(b exp(x))) over ``axis`` (b = 1 when not given; a tensor b broadcasts
    against x and is differentiated too), shifted by the max so it never overflows.
    vjp: g b softmax(x) for x, g exp(x - out) for b."""
    axis, keepdims = axis_args("logsumexp", axis, keepdims, dim, keepdim)
    x = floating(x if type(x) is Tensor else to_tensor(x, None, "logsumexp"))
    if b is not None:
        x, b = _weighted(x, b)
    axes = reduced_axes(axis, x.ndim, "logsumexp")
    out = _logsumexp(x, axes, b)
    if keepdims:
        return out
    return ops.reshape(out, tuple(n for i, n in enumerate(out.shape) if i not in axes))


def _logsumexp(x: Tensor, axes: tuple, b: Tensor | None = None, keep_inf: bool = False) -> Tensor:
    """log(sum(b exp(x))) over ``axes``, kept as size-1 axes (see :func:`_shift`)."""
    m = _shift(x, axes, keep_inf)
    e = ops.exp(ops.sub(x, m))
    if b is not None:
        e = ops.mul(e, b)
    return ops.add(ops.log(ops.sum(e, axes, keepdims=True)), m)


def _weighted(x: Tensor, b: Any) -> tuple[Tensor, Tensor]:
    """x and the weights b of a logsumexp, x broadcast to their common shape (as
    SciPy's ``logsumexp`` broadcasts the two); shapes that do not broadcast are refused
    here, in logsumexp's terms."""
    b = to_tensor(b, x, "logsumexp")
    try:
        shape = np.broadcast_shapes(x.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"logsumexp: weights b of shape {b.shape} do not broadcast against x of shape {x.shape}"
        ) from None
    return (x if shape == x.shape else ops.broadcast_to(x, shape)), b


@composite(methods=("log_softmax",), top_level=True)
def log_softmax(x: Tensor, axis: int = LAST, *, dim: int | None = None) -> Tensor:
    """x - logsumexp(x) along ``axis``: log-probabilities, stable for any logits.
    vjp: g - softmax(x) sum(g) along ``axis``."""
    axis = _last_or(axis, dim, "log_softmax")
    x = floating(x if type(x) is Tensor else to_tensor(x, None, "log_softmax"))
    axes = reduced_axes(axis, x.ndim, "log_softmax")
    return ops.sub(x, _logsumexp(x, axes, keep_inf=True))


def _last_or(axis: int, dim: int | None, op: str) -> int:
    """``axis`` (default -1, the last) or PyTorch's ``dim``, not both."""
    return spelled(op, "axis", axis, "dim", dim)


@composite(methods=("softmax",), top_level=True)
def softmax(x: Tensor, axis: int = LAST, *, dim: int | None = None) -> Tensor:
    """exp(x - max) / sum(exp(x - max)) along ``axis``. vjp: s (g - sum(g s)) along
    ``axis``, s = softmax(x)."""
    x = floating(x if type(x) is Tensor else to_tensor(x, None, "softmax"))
    axes = reduced_axes(_last_or(axis, dim, "softmax"), x.ndim, "softmax")
    e = ops.exp(ops.sub(x, _shift(x, axes, keep_inf=True)))
    return ops.div(e, ops.sum(e, axes, keepdims=True))
