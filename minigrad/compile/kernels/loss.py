"""Replay rule of the softmax cross-entropy primitive (``minigrad.ops.cross_entropy``).

Its targets are constants of the trace (an array given at capture): the kept rows,
their target columns, the mask and the reduction's scale become static attributes,
and the replay recomputes the loss and its gradient from each call's logits:

    loss_n = logsumexp(z_n) - z_n[t_n],    dL/dz_n = (softmax(z_n) - onehot(t_n)) w_n.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..trace import Step
from .base import Emitter, Kernel, kernel

__all__: list[str] = []  # internal to minigrad.compile.kernels


def _rows(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Logits as (M, C) rows, e = exp(z - m) and s = sum(e) per row (m the finite max)."""
    z2 = z.reshape(-1, z.shape[-1])
    m = z2.max(axis=1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(z2.dtype, copy=False)
    e = np.exp(z2 - m)
    return z2 - m, e, e.sum(axis=1, keepdims=True)


def forward(z: np.ndarray, a: dict[str, Any], shape: tuple[int, ...]) -> np.ndarray:
    """The loss of logits ``z`` of output ``shape`` under the captured targets ``a``."""
    shifted, _, s = _rows(z)
    rows, cols = a["rows"], a["cols"]
    losses = np.log(s[rows, 0]) - shifted[rows, cols]
    if a["none"]:
        out = np.zeros(shifted.shape[0], z.dtype)
        out[rows] = losses
        return out.reshape(shape)
    if a["empty_mean"]:
        return np.asarray(np.nan, z.dtype)
    return np.asarray(losses.sum() * a["scale"], z.dtype)


def backward(g: np.ndarray, z: np.ndarray, a: dict[str, Any]) -> np.ndarray:
    """dL/dz = (softmax(z) - onehot(t)) w, w the row weights (0 on ignored rows)."""
    _, e, s = _rows(z)
    keep = a["keep"]
    if keep is not None:
        s[~keep] = 1
    q = e / s
    q[a["rows"], a["cols"]] -= 1
    w = g.reshape(-1, 1) * a["scale"] if g.ndim else g * a["scale"]
    if keep is not None:
        w = w * keep.reshape(-1, 1)
    return (q * w).reshape(z.shape)


@kernel("cross_entropy")
class CrossEntropy(Kernel):
    def prepare(self, step: Step, tracer: Any) -> None:
        _, _, _, rows, cols, keep, scale, _ = step.saved
        none = len(step.out.shape) > 0
        step.attrs["ce"] = {
            "rows": rows,
            "cols": cols,
            "keep": keep,
            "scale": scale,
            "none": none,
            "empty_mean": not none and rows.size == 0 and scale == 0,
        }

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        rule, a = em.const(forward, "rule"), em.const(step.attrs["ce"], "ce")
        em.line(f"copyto({o}, {rule}({ins[0]}, {a}, {tuple(step.out.shape)}))")

    def needs(self, step: Step) -> set:
        return {0}

    def backward(self, em, step, g, ins, o, ts) -> None:
        rule, a = em.const(backward, "rule"), em.const(step.attrs["ce"], "ce")
        em.line(f"_ga = {rule}({g}, {ins[0]}, {a})")
        em.give(ts[0], step.inputs[0].shape, step.out.dtype, None, "_ga")
