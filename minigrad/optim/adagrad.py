"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamsT

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad as ``torch.optim.Adagrad``. At step t, with weight decay λ, decay η:

    lr_t = lr / (1 + (t - 1) η);   g = ∇ + λ θ
    s = s + g²        (s starts at ``initial_accumulator_value``)
    θ = θ - lr_t g / (sqrt(s) + ε)
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
        )
        super().__init__(params, defaults)

    def check_options(self, group: dict[str, Any]) -> None:
        super().check_options(group)
        for k in ("lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            if not group[k] >= 0:  # NaN too
                raise ValueError(f"Adagrad: invalid {k} {group[k]}")

    def update(self, p: Tensor, g: np.ndarray, state: dict[str, Any], group: dict) -> None:
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"]
        s += g * g
        p.data -= clr * (g / (np.sqrt(s) + group["eps"]))
