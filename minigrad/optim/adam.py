"""Adam and AdamW (decoupled weight decay), with optional AMSGrad."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam as ``torch.optim.Adam``. At step t, with weight decay λ:

    g = ∇ + λ θ
    m = β1 m + (1 - β1) g;   v = β2 v + (1 - β2) g²
    v̂max = max(v̂max, v)                           (AMSGrad; then v is v̂max below)
    θ = θ - lr / (1 - β1^t) · m / (sqrt(v) / sqrt(1 - β2^t) + ε)
    """

    decoupled = False

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
        super().__init__(params, defaults)

    def check_options(self, group: dict[str, Any]) -> None:
        super().check_options(group)
        name = type(self).__name__
        b1, b2 = group["betas"]
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"{name}: betas must be in [0, 1), got {group['betas']}")
        if not group["eps"] >= 0:  # NaN too
            raise ValueError(f"{name}: invalid eps {group['eps']}")
        if not group["weight_decay"] >= 0:  # NaN too
            raise ValueError(f"{name}: invalid weight_decay {group['weight_decay']}")

    def update(self, p: Tensor, g: np.ndarray, state: dict[str, Any], group: dict) -> None:
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        b1, b2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        if self.decoupled:
            p.data *= 1 - lr * wd
        elif wd != 0:
            g = g + wd * p.data
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (1 - b1) * (g - m)  # = β1 m + (1 - β1) g, in PyTorch's lerp form
        v *= b2
        v += (1 - b2) * g * g
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        denom = np.sqrt(v) / math.sqrt(1 - b2**t) + eps
        p.data -= (lr / (1 - b1**t)) * (m / denom)


class AdamW(Adam):
    """AdamW as ``torch.optim.AdamW``: Adam whose weight decay shrinks the parameters
    directly, θ = θ (1 - lr λ), before the Adam step on the plain gradient."""

    decoupled = True

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
