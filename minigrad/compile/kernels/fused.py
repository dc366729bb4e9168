"""Replay rule of ``affine_tanh``, an op only the planner creates (see ``fusion``): the
sigmoid and tanh gates of one time step over adjacent columns, as one op.

Both are ``y = k tanh(c a) + b`` per column: sigmoid with k = c = b = 1/2, tanh with
k = c = 1, b = 0. So the four gates of an LSTM step run as four NumPy calls over the
joint block instead of nine. Its derivative, from the output alone:

    dy/da = k c (1 - tanh(c a)^2) = k c - (c / k) (y - b)^2,    here c / k = 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..trace import Step
from .base import Emitter, Kernel, kernel

__all__: list[str] = []  # internal to minigrad.compile.kernels

#: (k, c, b) of each op affine_tanh stands for
AFFINE = {"sigmoid": (0.5, 0.5, 0.5), "tanh": (1.0, 1.0, 0.0)}


def columns(op: str, attrs: dict[str, Any], n: int, dtype: Any) -> dict[str, np.ndarray]:
    """Per-column (k, c, b) of a member of width ``n`` (an op of AFFINE or a fused one)."""
    if op == "affine_tanh":
        return {x: attrs[x] for x in "kcb"}
    k, c, b = AFFINE[op]
    return {"k": np.full(n, k, dtype), "c": np.full(n, c, dtype), "b": np.full(n, b, dtype)}


def affine_attrs(parts: list[dict[str, np.ndarray]]) -> dict[str, Any]:
    """The attrs of one affine_tanh over the members' columns, left to right."""
    k, c, b = (np.concatenate([p[x] for p in parts]) for x in "kcb")
    if not np.allclose(c, k):
        raise ValueError("affine_tanh: only members with c = k are fused")
    signature = (k.tobytes(), b.tobytes())
    return {"k": k, "c": c, "b": b, "kc": k * c, "signature": signature}


@kernel("affine_tanh")
class AffineTanh(Kernel):
    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        k, c, b = (em.const(step.attrs[x], "k") for x in "kcb")
        a = ins[0]
        em.line(
            f"multiply({a}, {c}, {o}); tanh({o}, {o}); multiply({o}, {k}, {o}); add({o}, {b}, {o})"
        )

    def needs(self, step: Step) -> set:
        return {"out"}

    def derivative_names(self, em: Emitter, step: Step) -> dict[str, str]:
        """The constants the derivative's code reads (see ``hoist.DERIVATIVES``)."""
        return {"b": em.const(step.attrs["b"], "k"), "kc": em.const(step.attrs["kc"], "k")}

    def backward(self, em, step, g, ins, o, ts) -> None:
        t = ts[0]
        if t is None:
            return
        shape, dt = step.out.shape, step.out.dtype
        deriv = step.attrs.get("deriv")
        if deriv is None:
            deriv = em.scratch(shape, dt, 6)
            n = self.derivative_names(em, step)
            em.line(DERIVATIVE.format(o=o, s=deriv, **n))
        em.give(t, shape, dt, "multiply", g, deriv)


#: dy/da into {s} from the output {o}: kc - (y - b)^2
DERIVATIVE = "subtract({o}, {b}, {s}); multiply({s}, {s}, {s}); subtract({kc}, {s}, {s})"
