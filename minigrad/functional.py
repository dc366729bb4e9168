"""Composites built from primitive ops: softmax, losses, layer norm, dropout.

None of these has a hand-written gradient: backward falls out of the primitives.
The max-shift in ``logsumexp`` and friends is a constant (no gradient needed), since

    logsumexp(x) = m + log(sum(exp(x - m)))   for any m,

so choosing m = max(x) keeps every exp() in (0, 1] and logits of +-1000 stay finite.
"""

from __future__ import annotations

import functools
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from .axes import LAST, axis_args, reduced_axes, spelled
from .ops.activations import elu, gelu, leaky_relu, logsigmoid, silu
from .ops.core import derived, floating, to_tensor
from .ops.loss import class_targets
from .ops.registry import composite
from .rng import generator as random_generator
from .tensor import Tensor

__all__ = [
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "dropout",
    "elu",
    "gelu",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "logsigmoid",
    "logsumexp",
    "mse_loss",
    "nll_loss",
    "silu",
    "softmax",
    "softplus",
]

_REDUCTIONS = ("mean", "sum", "none")


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
    x = floating(x)
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
    x = floating(x)
    axes = reduced_axes(axis, x.ndim, "log_softmax")
    return ops.sub(x, _logsumexp(x, axes, keep_inf=True))


def _last_or(axis: int, dim: int | None, op: str) -> int:
    """``axis`` (default -1, the last) or PyTorch's ``dim``, not both."""
    return spelled(op, "axis", axis, "dim", dim)


@composite(methods=("softmax",), top_level=True)
def softmax(x: Tensor, axis: int = LAST, *, dim: int | None = None) -> Tensor:
    """exp(x - max) / sum(exp(x - max)) along ``axis``. vjp: s (g - sum(g s)) along
    ``axis``, s = softmax(x)."""
    axes = reduced_axes(_last_or(axis, dim, "softmax"), x.ndim, "softmax")
    x = floating(x)
    e = ops.exp(ops.sub(x, _shift(x, axes, keep_inf=True)))
    return ops.div(e, ops.sum(e, axes, keepdims=True))


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold, as
    ``torch.nn.functional.softplus`` (computed as ``logaddexp(beta x, 0) / beta``, stable
    for any x). Derivative: sigmoid(beta x), and 1 above the threshold.

    The branch is chosen by a mask computed as a ``derived`` value, so a compiled replay
    computes it anew from each call's input.
    """
    x = floating(to_tensor(x, None, "softplus"))
    if isinstance(beta, Tensor) or isinstance(threshold, Tensor):
        raise TypeError("softplus: beta and threshold must be numbers, got a Tensor")
    beta, threshold = float(beta), float(threshold)
    if beta == 1.0:
        soft = ops.logaddexp(x, 0.0)
    else:
        soft = ops.div(ops.logaddexp(ops.mul(x, beta), 0.0), beta)
    above = derived("softplus mask", functools.partial(_above, beta, threshold), x)
    return ops.where(above, x, soft)


def _above(beta: float, threshold: float, x: np.ndarray) -> np.ndarray:
    return x * beta > threshold


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x W^T + b with PyTorch's layout: x (..., in), W (out, in), b (out,)."""
    shape = x.shape
    if shape[-1:] != weight.shape[1:]:
        raise ValueError(
            f"linear: input of shape {shape} does not fit weight of shape {weight.shape}: "
            f"x W^T needs the input's last axis to have {weight.shape[-1]} features"
        )
    if bias is not None and len(shape) == 2:
        return ops.addmm(bias, x, ops.transpose(weight))
    y = ops.matmul(x, ops.transpose(weight))
    return y if bias is None else ops.add(y, bias)


def as_normalized_shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    """A ``normalized_shape`` as a tuple of ints: one integer (a Python or NumPy int)
    stands for a 1-tuple, as in PyTorch."""
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    return tuple(int(n) for n in shape)


def layer_norm(
    x: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Each slice over the last axes, of shape ``normalized_shape``, standardised, then
    scaled and shifted (``torch.nn.functional.layer_norm``):

        y = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias

    with the mean and the biased variance (divisor n) of each slice. A composite of
    ``mean``, ``var`` and ``sqrt``: its gradient falls out of theirs.

    Shapes: x ``(*, *normalized_shape)``; weight and bias ``normalized_shape`` (or None:
    no scale, no shift); y as x.
    """
    shape = as_normalized_shape(normalized_shape)
    k = len(shape)
    if k == 0 or k > x.ndim or tuple(x.shape[x.ndim - k :]) != shape:
        raise ValueError(
            f"layer_norm: input of shape {x.shape} does not end in normalized_shape {shape}"
        )
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None and tuple(p.shape) != shape:
            raise ValueError(
                f"layer_norm: {name} of shape {tuple(p.shape)} must have normalized_shape {shape}"
            )
    axes = tuple(range(x.ndim - k, x.ndim))
    mean = ops.mean(x, axes, keepdims=True)
    std = ops.sqrt(ops.add(ops.var(x, axes, keepdims=True), eps))
    y = ops.div(ops.sub(x, mean), std)
    if weight is not None:
        y = ops.mul(y, weight)
    return y if bias is None else ops.add(y, bias)


def _reduce(loss: Tensor, reduction: str, who: str) -> Tensor:
    if reduction == "mean":
        return ops.mean(loss)
    if reduction == "sum":
        return ops.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{who}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _classes_last(logits: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N * d1 * ..., C); (C,) -> (1, C); (N, C) unchanged."""
    if logits.ndim == 1:
        return ops.reshape(logits, (1, -1))
    if logits.ndim == 2:
        return logits
    axes = (0, *range(2, logits.ndim), 1)
    return ops.reshape(ops.transpose(logits, axes), (-1, logits.shape[1]))


def nll_loss(
    log_probs: Tensor,
    targets: Any,
    ignore_index: int = -100,
    reduction: str = "mean",
    *,
    weight: Any = None,
) -> Tensor:
    """Negative log-likelihood of integer ``targets`` under ``log_probs`` (classes on
    axis 1, as PyTorch), ``torch.nn.functional.nll_loss``: loss_n = -w_{t_n} x_n[t_n].
    Targets equal to ``ignore_index`` contribute nothing and are not counted by the mean.

    ``weight`` (C,) gives each class a weight w_c (1 when not given), a Tensor or an
    array (cast to the log-probabilities' dtype); the mean is then PyTorch's weighted
    mean, sum_n loss_n / sum_n w_{t_n} over the rows that count. A weight Tensor that
    requires grad gets its gradient (PyTorch refuses one: its ``nll_loss`` is not
    differentiable in the weight).

    Targets given as a Tensor are data (their picks are computed by ``derived`` ops, so
    ``minigrad.compile`` replays them for new targets); as an array they are constants.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"nll_loss: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    w = _class_weights("nll_loss", weight, log_probs)
    shape, pick, keep = _target_picks("nll_loss", log_probs.shape, targets, ignore_index)
    lp = _classes_last(log_probs)
    picked = ops.neg(ops.getitem(lp, (np.arange(lp.shape[0]), pick)))
    if keep is not None:
        # Select rather than multiply by the mask: an ignored row's placeholder pick
        # may be -log(0) = inf, and inf * 0 would be nan.
        picked = ops.where(keep, picked, 0.0)
    w_picked = None if w is None else _kept(ops.getitem(w, pick), keep)
    if w_picked is not None:
        picked = ops.mul(picked, w_picked)
    if reduction == "none":
        return ops.reshape(picked, shape)
    total = ops.sum(picked)
    if reduction == "sum":
        return total
    return _mean(total, keep, w_picked, lp.shape[0])


def _target_picks(
    who: str, shape: tuple[int, ...], targets: Any, ignore_index: int
) -> tuple[tuple[int, ...], Any, Any]:
    """The targets' shape, the class to pick on each of the M rows of log-probabilities
    of ``shape`` (0 where ignored) and the rows that count (None when every row does).
    From Tensor targets the picks and the mask are ``derived`` tensors, so a compiled
    replay computes them anew from each call's targets; from an array, constants."""
    t, flat, keep = class_targets(who, shape, targets, ignore_index)
    if isinstance(targets, Tensor):
        pick = derived("nll_pick", lambda a: _picks(shape, a, ignore_index)[0], targets)
        mask = derived("nll_keep", lambda a: _picks(shape, a, ignore_index)[1], targets)
        return t.shape, pick, mask
    if keep.all():
        return t.shape, flat, None
    return t.shape, np.where(keep, flat, 0), keep


def _picks(shape: tuple[int, ...], t: np.ndarray, ignore_index: int) -> tuple[np.ndarray, ...]:
    """The class to pick on each row (0 where ignored) and the rows that count, for
    targets ``t`` against log-probabilities of ``shape``; raises on bad targets."""
    _, flat, keep = class_targets("nll_loss", shape, t, ignore_index)
    return np.where(keep, flat, 0), keep


def _column(keep: Any) -> Any:
    """The mask of kept rows (M,) as a column (M, 1)."""
    return ops.reshape(keep, (-1, 1)) if isinstance(keep, Tensor) else keep[:, None]


def _kept(rows: Tensor, keep: Any) -> Tensor:
    """``rows`` (M,), 0 on the rows that do not count."""
    return rows if keep is None else ops.where(keep, rows, 0.0)


def _mean(total: Tensor, keep: Any, w_picked: Tensor | None, n_rows: int) -> Tensor:
    """``total`` over the rows that count (``n_rows`` when ``keep`` is None): divided by
    their weights' sum w_{t_n} with class weights (``w_picked``, 0 on ignored rows),
    else by their number (NaN when none counts, the mean of nothing)."""
    if w_picked is not None:
        # No row kept (or their weights all 0) gives 0 / 0: the divisor is made NaN
        # instead, so the mean is NaN and its gradients 0, as PyTorch's, with no NumPy
        # "invalid value" warning.
        divisor = ops.sum(w_picked)
        none = derived("nll_no_weight", _is_zero, divisor)
        return ops.div(total, ops.where(none, np.nan, divisor))
    if isinstance(keep, Tensor):
        scale = derived("nll_mean", lambda k: _inverse_count(k, total.dtype), keep)
        return ops.mul(total, scale)
    count = n_rows if keep is None else int(keep.sum())
    return ops.mul(total, _inverse(count, total.dtype))


def _is_zero(a: np.ndarray) -> np.ndarray:
    return a == 0


def _inverse_count(keep: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """1 / (rows that count), NaN when none does (the mean of nothing)."""
    return _inverse(int(keep.sum()), dtype)


def _inverse(count: int, dtype: np.dtype) -> np.ndarray:
    return np.asarray(1.0 / count if count else float("nan"), dtype=dtype)


def _class_weights(who: str, weight: Any, x: Tensor) -> Tensor | None:
    """Class weights (C,) for inputs ``x`` (classes on axis 1; (C,) unbatched): a Tensor
    of the inputs' dtype as given (it may require grad), an array cast to that dtype.
    Refused, as PyTorch, when not one per class."""
    if weight is None:
        return None
    n_classes = x.shape[1] if x.ndim > 1 else x.shape[0]
    if isinstance(weight, Tensor):
        if weight.dtype != x.dtype:
            raise TypeError(
                f"{who}: weight of dtype {weight.dtype} must have the input's dtype {x.dtype}"
            )
        w = weight
    else:
        w = Tensor._wrap(np.asarray(weight, dtype=x.dtype))
    if w.shape != (n_classes,):
        raise ValueError(
            f"{who}: weight of shape {tuple(w.shape)} must hold one weight per class: "
            f"({n_classes},) for input of shape {tuple(x.shape)}"
        )
    return w


def _smoothing(label_smoothing: Any) -> float:
    """``label_smoothing`` as a float in [0, 1]; anything else refused (PyTorch refuses
    values above 1 and silently ignores negative ones and NaN)."""
    if isinstance(label_smoothing, Tensor) or not isinstance(label_smoothing, numbers.Real):
        raise TypeError(
            f"cross_entropy: label_smoothing must be a number, got {type(label_smoothing).__name__}"
        )
    eps = float(label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {eps}")
    return eps


def cross_entropy(
    logits: Tensor,
    targets: Any,
    ignore_index: int = -100,
    reduction: str = "mean",
    *,
    weight: Any = None,
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy from unnormalised ``logits`` (classes on axis 1; (C,) or
    (N, C) or (N, C, d1, ...)) against integer ``targets`` ((), (N,) or (N, d1, ...)),
    as ``torch.nn.functional.cross_entropy``:

        loss_n = logsumexp(z_n) - z_n[t_n]

    One node (the primitive :func:`minigrad.ops.cross_entropy`, whose vjp is
    softmax(z) - onehot(t)); (N, C, d1, ...) logits are first moved to (N·d1·..., C) rows.
    It equals ``nll_loss(log_softmax(logits, axis=1), targets, ...)``, the composition the
    tests check it against.

    Class weights ``weight`` (C,) and ``label_smoothing`` eps in [0, 1] are PyTorch's:
    with p = softmax(z_n) and w_c = 1 when no weight is given,

        loss_n = (1 - eps) (-w_{t_n} log p_{t_n}) + eps / C (-sum_c w_c log p_c),

    0 on ignored rows; the mean divides the sum by the number of rows that count, or
    with weights by the sum of their w_{t_n}. With either option the loss is that
    composite of ``log_softmax`` and :func:`nll_loss` (a weight Tensor that requires
    grad gets its gradient, which PyTorch refuses).

    Targets given as a Tensor while ``minigrad.compile`` traces are data: the loss is
    then that composition, whose picks are ``derived`` ops a replay recomputes for new
    targets (the primitive would keep the targets it saw as constants).
    """
    if weight is not None or label_smoothing:
        return _weighted_cross_entropy(
            logits, targets, ignore_index, reduction, weight, _smoothing(label_smoothing)
        )
    if isinstance(targets, Tensor) and ops.core.capturing() is not None:
        return nll_loss(
            log_softmax(logits, axis=1 if logits.ndim > 1 else 0), targets, ignore_index, reduction
        )
    if logits.ndim <= 2:
        return ops.cross_entropy(logits, targets, ignore_index, reduction)
    t, flat, _ = class_targets("cross_entropy", logits.shape, targets, ignore_index)
    out = ops.cross_entropy(_classes_last(logits), flat, ignore_index, reduction)
    return ops.reshape(out, t.shape) if reduction == "none" else out


def _weighted_cross_entropy(
    logits: Tensor, targets: Any, ignore_index: int, reduction: str, weight: Any, eps: float
) -> Tensor:
    """:func:`cross_entropy` with class weights or label smoothing, as PyTorch composes
    it: (1 - eps) nll_loss(lp, t, weight) + eps / C smooth, smooth_n = -sum_c w_c lp_{n,c}
    (0 on ignored rows) reduced as the nll term, lp = log_softmax(logits)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}"
        )
    w = _class_weights("cross_entropy", weight, logits)
    lp = log_softmax(logits, axis=1 if logits.ndim > 1 else 0)
    nll = nll_loss(lp, targets, ignore_index, reduction, weight=w)
    if eps == 0.0:
        return nll
    shape, pick, keep = _target_picks("cross_entropy", logits.shape, targets, ignore_index)
    rows = _classes_last(lp)
    if keep is not None and w is not None:
        # An ignored row's log-probabilities leave the weight's gradient too: one of
        # -inf (a masked class) would make it 0 * -inf = NaN.
        rows = ops.where(_column(keep), rows, 0.0)
    smooth = _kept(ops.neg(ops.sum(rows if w is None else ops.mul(rows, w), 1)), keep)
    if reduction == "none":
        smooth = ops.reshape(smooth, shape)
    elif reduction == "sum":
        smooth = ops.sum(smooth)
    else:
        w_picked = None if w is None else _kept(ops.getitem(w, pick), keep)
        smooth = _mean(ops.sum(smooth), keep, w_picked, rows.shape[0])
    n_classes = rows.shape[1]
    return ops.add(ops.mul(nll, 1.0 - eps), ops.mul(smooth, eps / n_classes))


def _target_shape(input: Tensor, target: Any) -> tuple[int, ...] | None:
    """The target's shape when it differs from the input's (a Python number, meant to
    broadcast, counts as the same); None when they agree."""
    if isinstance(target, bool | int | float):
        return None
    shape = tuple(target.shape) if isinstance(target, Tensor) else np.shape(target)
    return None if shape == tuple(input.shape) else shape


def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: mean((input - target)^2).

    A target of another shape than the input's is broadcast against it, with a warning
    (as PyTorch): (4, 1) against (4,) averages a (4, 4) grid of pairs, rarely what was meant.
    """
    shape = _target_shape(input, target)
    if shape is not None:
        try:
            np.broadcast_shapes(shape, input.shape)
        except ValueError:
            raise ValueError(
                f"mse_loss: the target's shape {shape} does not broadcast with the "
                f"input's {input.shape}"
            ) from None
        warnings.warn(
            f"mse_loss: the target's shape {shape} differs from the input's {input.shape}; "
            "they are broadcast together, which is rarely meant: give them the same shape",
            stacklevel=2,
        )
    d = ops.sub(input, target)
    return _reduce(ops.mul(d, d), reduction, "mse_loss")


def binary_cross_entropy_with_logits(
    logits: Tensor, targets: Any, reduction: str = "mean"
) -> Tensor:
    """-(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))), computed stably as

    softplus(x) - x y = logaddexp(x, 0) - x y.

    The targets have the logits' shape (a number stands for all of them), as PyTorch
    requires.
    """
    shape = _target_shape(logits, targets)
    if shape is not None:
        raise ValueError(
            f"binary_cross_entropy_with_logits: targets of shape {shape} must have the "
            f"logits' shape {logits.shape}"
        )
    return _reduce(
        ops.sub(ops.logaddexp(logits, 0.0), ops.mul(logits, targets)),
        reduction,
        "binary_cross_entropy_with_logits",
    )


def dropout(
    x: Tensor, p: float = 0.5, training: bool = True, generator: np.random.Generator | None = None
) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) in
    training; the identity otherwise."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    rng = random_generator(generator)
    if p == 1.0:
        mask = np.zeros(x.shape, x.dtype)
    else:
        mask = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1.0 - p)
    return ops.mul(x, mask)
