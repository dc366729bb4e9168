"""RMSprop: gradients divided by a running root mean square, optionally centred."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop as ``torch.optim.RMSprop``. With smoothing α, weight decay λ, momentum μ:

    g = ∇ + λ θ;   v = α v + (1 - α) g²
    centered: ḡ = α ḡ + (1 - α) g;  v' = v - ḡ²   (else v' = v)
    μ > 0: b = μ b + g / (sqrt(v') + ε);  θ = θ - lr b
    else:  θ = θ - lr g / (sqrt(v') + ε)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
        )
        super().__init__(params, defaults)

    def check_options(self, group: dict[str, Any]) -> None:
        super().check_options(group)
        for k in ("alpha", "eps", "weight_decay", "momentum"):
            if not group[k] >= 0:  # NaN too
                raise ValueError(f"RMSprop: invalid {k} {group[k]}")

    def update(self, p: Tensor, g: np.ndarray, state: dict[str, Any], group: dict) -> None:
        alpha, mu = group["alpha"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            if mu > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * g * g
        if group["centered"]:
            gbar = state["grad_avg"]
            gbar += (1 - alpha) * (g - gbar)
            avg = np.sqrt(v - gbar * gbar)
        else:
            avg = np.sqrt(v)
        avg += group["eps"]
        if mu > 0:
            buf = state["momentum_buffer"]
            buf *= mu
            buf += g / avg
            p.data -= group["lr"] * buf
        else:
            p.data -= group["lr"] * (g / avg)
