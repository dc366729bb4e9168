"""Loss modules, as ``torch.nn``'s: each holds its options and calls the loss of
:mod:`minigrad.functional` that computes it.

``reduction`` is ``"mean"`` (the default), ``"sum"`` or ``"none"`` (one loss per
element or per sample). The options are keyword arguments: PyTorch's positional
``weight`` (class weights), ``label_smoothing`` and ``pos_weight`` are not offered, as
the functional losses do not compute them, so passing one raises ``TypeError``.
"""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..tensor import Tensor
from .module import Module

__all__ = ["BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss", "NLLLoss"]


class _Loss(Module):
    """A loss with a ``reduction`` over its per-element (or per-sample) values."""

    def __init__(self, *, reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = reduction


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of unnormalised logits against class indices
    (``torch.nn.CrossEntropyLoss``): loss_n = logsumexp(z_n) - z_n[t_n], targets equal
    to ``ignore_index`` contributing nothing and not counted by the mean.

    Shapes: logits ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)``; targets ``()``,
    ``(N,)`` or ``(N, d1, ...)`` (integers in [0, C)); out ``()``, or the targets'
    shape with ``reduction="none"``.
    """

    def __init__(self, *, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.cross_entropy(input, target, self.ignore_index, self.reduction)


class NLLLoss(_Loss):
    """Negative log-likelihood of class indices under log-probabilities
    (``torch.nn.NLLLoss``): loss_n = -x_n[t_n]; put a :class:`LogSoftmax` before it (or
    use :class:`CrossEntropyLoss` on the logits).

    Shapes: as :class:`CrossEntropyLoss`.
    """

    def __init__(self, *, ignore_index: int = -100, reduction: str = "mean") -> None:
        super().__init__(reduction=reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.nll_loss(input, target, self.ignore_index, self.reduction)


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
    ``reduction="none"``.
    """

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.reduction)
