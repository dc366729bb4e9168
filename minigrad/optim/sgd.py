"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD as ``torch.optim.SGD``. With weight decay λ, momentum μ, dampening τ:

    g = ∇ + λ θ
    b_1 = g;  b_t = μ b_{t-1} + (1 - τ) g          (if μ ≠ 0)
    g = g + μ b_t  (Nesterov)  or  g = b_t
    θ = θ - lr g
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
        )
        super().__init__(params, defaults)

    def check_options(self, group: dict[str, Any]) -> None:
        super().check_options(group)
        if not group["momentum"] >= 0:  # NaN too
            raise ValueError(f"SGD: invalid momentum {group['momentum']}")
        if not group["weight_decay"] >= 0:  # NaN too
            raise ValueError(f"SGD: invalid weight_decay {group['weight_decay']}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening")

    def update(self, p: Tensor, g: np.ndarray, state: dict[str, Any], group: dict) -> None:
        wd, mu = group["weight_decay"], group["momentum"]
        if wd != 0:
            g = g + wd * p.data
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= mu
                buf += (1 - group["dampening"]) * g
            g = g + mu * buf if group["nesterov"] else buf
        p.data -= group["lr"] * g
