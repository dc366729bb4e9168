"""Modules that only pass their input on or reshape it: ``Identity`` and ``Flatten``."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .module import Module

__all__ = ["Flatten", "Identity"]


class Identity(Module):
    """out = x, the same tensor (``torch.nn.Identity``): a placeholder where a layer is
    optional. Any constructor arguments are accepted and ignored, as PyTorch's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Axes ``start_dim`` to ``end_dim`` merged into one (``torch.nn.Flatten``): by
    default every axis after the batch axis.

    Shapes: ``(N, d1, ..., dk)`` -> ``(N, d1 * ... * dk)`` with the defaults.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
