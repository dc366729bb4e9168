"""Loss modules, as ``torch.nn``'s: each holds its options and calls the loss of
:mod:`minigrad.functional` that computes it.

``reduction`` is ``"mean"`` (the default), ``"sum"`` or ``"none"`` (one loss per
element or per sample). As in PyTorch, the class weights ``weight`` of
:class:`CrossEntropyLoss` and :class:`NLLLoss` may be given first, positionally; the
other options are keyword arguments. :class:`BCEWithLogitsLoss`'s ``weight`` and
``pos_weight`` are not offered, as the functional loss does not compute them: passing
one raises ``TypeError``.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..creation import tensor
from ..losses import checked_smoothing
from ..tensor import Tensor
from .module import Module

__all__ = ["BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss", "NLLLoss"]


class _Loss(Module):
    """A loss with a ``reduction`` over its per-element (or per-sample) values."""

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss over class indices with optional class weights, held as the buffer
    ``weight`` (saved by ``state_dict`` when given, cast by ``to``/``double``/``float``,
    as PyTorch's)."""

    def __init__(
        self, weight: Any = None, *, ignore_index: int = -100, reduction: str = "mean"
    ) -> None:
        super().__init__(reduction=reduction)
        # Class weights given as an array or a list are cast to the input's dtype at each
        # call, as the functional loss casts them; a Tensor must have the input's dtype.
        self._weight_cast = weight is not None and not isinstance(weight, Tensor)
        if self._weight_cast:
            weight = tensor(weight)
        self.register_buffer("weight", weight)
        self.ignore_index = ignore_index

    def class_weights(self) -> Any:
        """What the functional loss is given as ``weight``: the buffer, or its array when
        the weights were given as an array (cast to the input's dtype there)."""
        w = self.weight
        return w.data if self._weight_cast and w is not None else w


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of unnormalised logits against class indices
    (``torch.nn.CrossEntropyLoss``), with class weights w (1 when ``weight`` is None)
    and label smoothing eps (``label_smoothing``, in [0, 1]); p = softmax(z_n):

        loss_n = (1 - eps) (-w_{t_n} log p_{t_n}) + eps / C (-sum_c w_c log p_c),

    targets equal to ``ignore_index`` contributing nothing and not counted by the mean,
    which divides by the number of rows kept (by the sum of their w_{t_n} with weights).
    Without either option, loss_n = logsumexp(z_n) - z_n[t_n], one primitive node.

    Shapes: logits ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)``; targets ``()``,
    ``(N,)`` or ``(N, d1, ...)`` (integers in [0, C)); weight ``(C,)``, a Tensor of the
    logits' dtype or an array; out ``()``, or the targets' shape with ``reduction="none"``.
    """

    def __init__(
        self,
        weight: Any = None,
        *,
        ignore_index: int = -100,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, ignore_index=ignore_index, reduction=reduction)
        checked_smoothing(label_smoothing)
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            self.ignore_index,
            self.reduction,
            weight=self.class_weights(),
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of class indices under log-probabilities
    (``torch.nn.NLLLoss``): loss_n = -w_{t_n} x_n[t_n], w the class weights (1 when
    ``weight`` is None); the mean divides by the sum of w_{t_n} over the rows kept. Put
    a :class:`LogSoftmax` before it (or use :class:`CrossEntropyLoss` on the logits).

    Shapes: as :class:`CrossEntropyLoss`.
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(
            input, target, self.ignore_index, self.reduction, weight=self.class_weights()
        )


class MSELoss(_Loss):
    """Squared error (x - y)^2, elementwise, then reduced (``torch.nn.MSELoss``).

    Shapes: input and target of the same shape (another shape is broadcast, with a
    warning, as PyTorch); out ``()``, or that shape with ``reduction="none"``.
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.mse_loss(input, target, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits x against targets y in [0, 1]
    (``torch.nn.BCEWithLogitsLoss``): -(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))),
    computed stably as softplus(x) - x y.

    Shapes: input and target of the same shape; out ``()``, or that shape with
    ``reduction="none"``. PyTorch's ``weight`` and ``pos_weight`` are refused: the
    functional loss does not compute them.
    """

    def __init__(
        self, weight: Any = None, *, reduction: str = "mean", pos_weight: Any = None
    ) -> None:
        for name, value in (("weight", weight), ("pos_weight", pos_weight)):
            if value is not None:
                raise TypeError(
                    f"BCEWithLogitsLoss: {name} is not supported (the loss computes "
                    "-(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))) unweighted)"
                )
        super().__init__(reduction=reduction)

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)
