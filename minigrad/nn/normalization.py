"""``LayerNorm``: each sample standardised over its last axes, then scaled and shifted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from . import init
from .module import Module, Parameter, float_dtype

__all__ = ["LayerNorm"]


class LayerNorm(Module):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias over the last axes, of shape
    ``normalized_shape`` (``torch.nn.LayerNorm``; the variance is the biased one,
    divisor n). See :func:`minigrad.functional.layer_norm`.

    Shapes: x ``(*, *normalized_shape)`` -> y of x's shape; ``weight`` (ones) and
    ``bias`` (zeros) ``normalized_shape``, present when ``elementwise_affine`` (``bias``
    also needs ``bias=True``).
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.normalized_shape = F.as_normalized_shape(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        d = float_dtype(dtype, "LayerNorm")
        self.register_parameter("weight", None)
        self.register_parameter("bias", None)
        if elementwise_affine:
            self.weight = Parameter(np.empty(self.normalized_shape, d))
            if bias:
                self.bias = Parameter(np.empty(self.normalized_shape, d))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight back to ones, bias to zeros."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x: Tensor) -> Tensor:
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}"
        )
