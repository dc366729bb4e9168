"""The losses as composites of primitive ops (``torch.nn.functional``'s): ``nll_loss``,
``cross_entropy`` (the one-node primitive :func:`minigrad.ops.cross_entropy` when no class
weight or label smoothing is asked for), ``mse_loss`` and
``binary_cross_entropy_with_logits``. Their gradients fall out of the primitives.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from . import ops
from .ops.core import derived, to_tensor
from .ops.loss import class_targets
from .softmax import log_softmax
from .tensor import Tensor

__all__ = ["binary_cross_entropy_with_logits", "cross_entropy", "mse_loss", "nll_loss"]

_REDUCTIONS = ("mean", "sum", "none")


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
    if type(log_probs) is not Tensor:
        log_probs = to_tensor(log_probs, None, "nll_loss")
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


def checked_smoothing(label_smoothing: Any) -> float:
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
    if type(logits) is not Tensor:
        logits = to_tensor(logits, None, "cross_entropy")
    if weight is not None or label_smoothing:
        return _weighted_cross_entropy(
            logits, targets, ignore_index, reduction, weight, checked_smoothing(label_smoothing)
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
    if type(input) is not Tensor:
        input = to_tensor(input, None, "mse_loss")
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
    if type(logits) is not Tensor:
        logits = to_tensor(logits, None, "binary_cross_entropy_with_logits")
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
