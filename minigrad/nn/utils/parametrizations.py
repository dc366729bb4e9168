"""Parametrizations onto constrained sets (``torch.nn.utils.parametrizations``).

:func:`orthogonal` keeps a square weight orthogonal during training, whatever the
optimizer does: the weight is computed from an unconstrained square matrix X as

    A = L - L^T,  L = tril(X, -1)        (A skew-symmetric: A^T = -A)
    W = exp(A)                           ("matrix_exp")

and every such W is orthogonal with determinant +1: exp(A)^T = exp(A^T) = exp(-A) is
exp(A)'s inverse. Gradients flow to X through the map (Lezcano-Casado &
Martinez-Rubio 2019, "Cheap orthogonal constraints in neural networks", expRNN). The
map is onto SO(n): every rotation is exp of some skew-symmetric A. (The Cayley map
W = (I - A/2)^{-1} (I + A/2) of Helfrich et al.'s scoRNN needs a linear solve, which
minigrad does not offer yet.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import ops
from ...tensor import Tensor
from ..init import henaff_, zeros_
from ..module import Module
from .parametrize import register_parametrization

__all__ = ["ORTHOGONAL_MAPS", "orthogonal"]

ORTHOGONAL_MAPS = ("matrix_exp",)


class _Orthogonal(Module):
    """X (n, n) -> an orthogonal W (n, n) through the skew-symmetric A = L - L^T."""

    def __init__(self, n: int, orthogonal_map: str) -> None:
        super().__init__()
        self.n, self.orthogonal_map = n, orthogonal_map

    def forward(self, x: Tensor) -> Tensor:
        low = ops.tril(x, -1)
        a = low - low.swapaxes(-1, -2)
        return ops.matrix_exp(a)

    def right_inverse(self, w: Any) -> Any:
        # exp is not onto O(n) (no W with det -1 is reached), and its inverse, a real
        # matrix logarithm, is not offered: as PyTorch's orthogonal without its
        # "trivialization", the tensor's current value is kept as X.
        raise NotImplementedError(
            f"orthogonal: a weight cannot be assigned through the {self.orthogonal_map} map; "
            "write the skew-symmetric matrix A into parametrizations.<name>.original instead"
        )

    def extra_repr(self) -> str:
        return f"n={self.n}, orthogonal_map={self.orthogonal_map!r}"


def orthogonal(
    module: Module,
    name: str = "weight",
    orthogonal_map: str = "matrix_exp",
    init: str | None = None,
    generator: np.random.Generator | None = None,
) -> Module:
    """Keep the square matrix ``module.<name>`` orthogonal: ``W = exp(A)`` with
    ``A = L - L^T``, ``L`` the strict lower triangle of the unconstrained
    ``module.parametrizations.<name>.original``. Returns ``module``.

    ``init``: None keeps the current value as the original (so W is exp of its skew
    part, as PyTorch's ``orthogonal(..., use_trivialization=False)``); ``"henaff"``
    writes :func:`minigrad.nn.init.henaff_` there (2x2 rotations by angles U(-pi, pi),
    drawn from ``generator``); ``"identity"`` writes zeros (W = I).

    >>> from minigrad import nn
    >>> lin = nn.utils.parametrizations.orthogonal(nn.Linear(3, 3), init="henaff")
    >>> w = lin.weight.numpy()
    >>> bool(abs(w @ w.T - np.eye(3)).max() < 1e-6)  # float32, the default dtype
    True
    """
    if orthogonal_map not in ORTHOGONAL_MAPS:
        raise ValueError(
            f"orthogonal: orthogonal_map must be one of {', '.join(ORTHOGONAL_MAPS)}, "
            f"got {orthogonal_map!r}"
        )
    weight = getattr(module, name, None)
    if weight is None:
        raise ValueError(f"orthogonal: {type(module).__name__} has no parameter {name!r}")
    if not isinstance(weight, Tensor) or weight.ndim != 2 or weight.shape[0] != weight.shape[1]:
        shape = getattr(weight, "shape", None)
        raise ValueError(
            f"orthogonal: {type(module).__name__}.{name} must be a square matrix, got {shape}"
        )
    if init not in (None, "henaff", "identity"):
        raise ValueError(f"orthogonal: init must be None, 'henaff' or 'identity', got {init!r}")
    n = weight.shape[0]
    register_parametrization(module, name, _Orthogonal(n, orthogonal_map))
    original = module.parametrizations[name].original
    if init == "henaff":
        henaff_(original, generator)
    elif init == "identity":
        zeros_(original)
    return module
