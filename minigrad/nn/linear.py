"""``Linear``: the affine map y = x W^T + b."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from . import init
from .module import Module, Parameter, float_dtype

__all__ = ["Linear"]


class Linear(Module):
    """y = x W^T + b, with PyTorch's layout and default initialisation.

    Shapes: x ``(*, in_features)`` -> y ``(*, out_features)``; ``weight``
    ``(out_features, in_features)``, ``bias`` ``(out_features,)``.
    Both are drawn from U(-1/sqrt(in_features), 1/sqrt(in_features)) (the weight via
    ``kaiming_uniform_(a=sqrt(5))``, as PyTorch).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype: Any = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        d = float_dtype(dtype, "Linear")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(np.empty((out_features, in_features), d))
        if bias:
            self.bias = Parameter(np.empty((out_features,), d))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """Redraw weight and bias from the default distribution."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, generator)

    def forward(self, x: Tensor) -> Tensor:
        shape = x.shape if isinstance(x, Tensor) else np.shape(x)
        if shape[-1:] != (self.in_features,):
            got = f"{shape[-1]} features in its last axis" if shape else "no axes"
            raise ValueError(
                f"{type(self).__name__}({self.extra_repr()}): input of shape {shape} has "
                f"{got}; expected in_features={self.in_features}"
            )
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
