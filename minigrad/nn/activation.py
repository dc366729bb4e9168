"""Activation modules, as ``torch.nn``'s: each holds its constructor arguments and calls
the op of :mod:`minigrad.functional` (or the primitive ``relu``, ``tanh``, ``sigmoid``)
that computes it, so module and function cannot disagree.

Shapes: any input ``(*)``; the output has its shape (Softmax and LogSoftmax normalise
along ``dim``).
"""

from __future__ import annotations

import warnings

from .. import functional as F
from .. import ops
from ..tensor import Tensor
from .module import Module, not_inplace

__all__ = [
    "ELU",
    "GELU",
    "LeakyReLU",
    "LogSigmoid",
    "LogSoftmax",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
]


class ReLU(Module):
    """max(x, 0), elementwise (``torch.nn.ReLU``); its gradient at 0 is 0."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = not_inplace("ReLU", inplace)

    def forward(self, x: Tensor) -> Tensor:
        return ops.relu(x)


class Tanh(Module):
    """tanh(x), elementwise (``torch.nn.Tanh``)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.tanh(x)


class Sigmoid(Module):
    """1 / (1 + e^-x), elementwise and stable for any x (``torch.nn.Sigmoid``)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops.sigmoid(x)


class GELU(Module):
    """x Phi(x), Phi the standard normal CDF, or its tanh approximation with
    ``approximate="tanh"`` (``torch.nn.GELU``; see :func:`minigrad.functional.gelu`)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x sigmoid(x), the swish (``torch.nn.SiLU``)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = not_inplace("SiLU", inplace)

    def forward(self, x: Tensor) -> Tensor:
        return F.silu(x)


class ELU(Module):
    """x where x > 0, else alpha (e^x - 1) (``torch.nn.ELU``)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = not_inplace("ELU", inplace)

    def forward(self, x: Tensor) -> Tensor:
        return F.elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class LeakyReLU(Module):
    """x where x > 0, else negative_slope x (``torch.nn.LeakyReLU``)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = not_inplace("LeakyReLU", inplace)

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softplus(Module):
    """log(1 + e^(beta x)) / beta, and x where beta x > threshold
    (``torch.nn.Softplus``)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x: Tensor) -> Tensor:
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class LogSigmoid(Module):
    """log sigmoid(x) = -softplus(-x), stable for any x (``torch.nn.LogSigmoid``)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.logsigmoid(x)


def _implicit_dim(who: str, ndim: int) -> int:
    """PyTorch's choice when Softmax or LogSoftmax is built without ``dim``: axis 0 for a
    0-, 1- or 3-d input, else axis 1; it warns, as PyTorch, since that guess is often
    not the class axis."""
    warnings.warn(
        f"{who}: implicit dimension choice has been deprecated (as in PyTorch); "
        "give dim=X as an argument",
        stacklevel=3,
    )
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (``torch.nn.Softmax``); each slice along
    ``dim`` sums to 1. Without ``dim``, PyTorch's legacy choice, with a warning."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        dim = _implicit_dim("Softmax", x.ndim) if self.dim is None else self.dim
        return F.softmax(x, dim=dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x_i - log sum_j exp(x_j) along ``dim`` (``torch.nn.LogSoftmax``): log-probabilities,
    stable for any logits. Without ``dim``, PyTorch's legacy choice, with a warning."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        dim = _implicit_dim("LogSoftmax", x.ndim) if self.dim is None else self.dim
        return F.log_softmax(x, dim=dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
