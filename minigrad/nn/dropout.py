"""``Dropout``: random zeroing in training, the identity in evaluation."""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..tensor import Tensor
from .module import Module, not_inplace

__all__ = ["Dropout"]


class Dropout(Module):
    """In training, each element is zeroed with probability ``p`` and the kept ones are
    scaled by 1/(1-p), so E[out] = x; in evaluation (``eval()``), out = x.

    Shapes: any; out has the shape of x. As ``torch.nn.Dropout(p, inplace)``;
    ``inplace=True`` is refused (the graph keeps the values it saved), and ``generator``
    draws the masks instead of the default generator.
    """

    def __init__(
        self,
        p: float = 0.5,
        inplace: bool = False,
        *,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = p
        self.inplace = not_inplace("Dropout", inplace)
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
