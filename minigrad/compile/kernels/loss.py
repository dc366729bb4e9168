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


def planned_forward(z: np.ndarray, e: np.ndarray, s: np.ndarray, a: dict[str, Any]) -> Any:
    """The loss of logits rows ``z`` (M, C), leaving e = exp(z - m) in ``e`` (which may
    be ``z`` itself) and s = sum(e) per row in ``s`` (M, 1) for the backward."""
    m = s  # the row maxima use s's storage until s is computed
    np.maximum.reduce(z, 1, None, m, True)
    if not np.isfinite(m).all():  # (a sum of the maxima could overflow and warn)
        np.copyto(m, 0, where=~np.isfinite(m))
    np.subtract(z, m, e)
    rows, cols = a["rows"], a["cols"]
    picked = e[rows, cols]  # z_n[t_n] - m_n
    np.exp(e, e)
    np.add.reduce(e, 1, None, s, True)
    if a["keep"] is None:
        losses = np.log(s[:, 0])
    else:
        s[a["dropped"]] = 1  # ignored rows get no gradient; keep e / s finite there
        losses = np.log(s[rows, 0])
    losses -= picked
    if a["empty_mean"]:
        return np.nan
    return losses.sum() * a["scale"]


def planned_backward(g: Any, e: np.ndarray, s: np.ndarray, a: dict[str, Any], out: Any) -> None:
    """dL/dz = (e / s - onehot(t)) w into ``out`` (M, C) rows, w = g scale (0 where ignored)."""
    np.divide(e, s, out)
    out[a["rows"], a["cols"]] -= 1
    w = g * a["scale"]
    if a["keep"] is not None:
        w = a["keep"][:, None] * w
    np.multiply(out, w, out)


@kernel("cross_entropy")
class CrossEntropy(Kernel):
    """The forward keeps e = exp(z - m) and the row sums s for the backward, which is
    then two passes (``e / s``, times the row weights) and the target picks. e is
    written over the logits when nothing else reads them (``donates``), else into a
    buffer of its own. Per-row losses (``reduction="none"``) use the general rules."""

    def prepare(self, step: Step, tracer: Any) -> None:
        _, _, _, rows, cols, keep, scale, _ = step.saved
        none = len(step.out.shape) > 0
        step.attrs["ce"] = {
            "rows": rows,
            "cols": cols,
            "keep": keep,
            "dropped": None if keep is None else ~keep,
            "scale": scale,
            "none": none,
            "empty_mean": not none and rows.size == 0 and scale == 0,
        }

    def donates(self, step: Step) -> int | None:
        return None if step.attrs["ce"]["none"] else 0

    def _rows(self, em: Emitter, step: Step, name: str) -> str:
        z = step.inputs[0]
        shape = (int(np.prod(z.shape[:-1], dtype=np.int64)), z.shape[-1])
        a = em.env.get(name)
        if z.shape == shape:
            return name
        if isinstance(a, np.ndarray):
            return em.const(a.reshape(shape), "k")
        return f"{name}.reshape({shape})"

    def _saved(self, em: Emitter, step: Step, z: str) -> tuple[str, str]:
        """Names of the arrays e (M, C) and s (M, 1), made at the forward's emission."""
        zs, dt = step.inputs[0].shape, step.out.dtype
        rows = int(np.prod(zs[:-1], dtype=np.int64))
        if step.attrs.get("donated"):
            e = self._rows(em, step, z)
        else:
            e = em.const(np.empty((rows, zs[-1]), dt), "s")
        step.attrs["e"], step.attrs["s"] = e, em.const(np.empty((rows, 1), dt), "s")
        return step.attrs["e"], step.attrs["s"]

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        a = em.const(step.attrs["ce"], "ce")
        if step.attrs["ce"]["none"]:
            rule = em.const(forward, "rule")
            em.line(f"copyto({o}, {rule}({ins[0]}, {a}, {tuple(step.out.shape)}))")
            return
        e, s = self._saved(em, step, ins[0])
        rule = em.const(planned_forward, "rule")
        em.line(f"copyto({o}, {rule}({self._rows(em, step, ins[0])}, {e}, {s}, {a}))")

    def needs(self, step: Step) -> set:
        return {0}

    def backward(self, em, step, g, ins, o, ts) -> None:
        a = em.const(step.attrs["ce"], "ce")
        t = ts[0]
        if step.attrs["ce"]["none"]:
            rule = em.const(backward, "rule")
            em.line(f"_ga = {rule}({g}, {ins[0]}, {a})")
            em.give(t, step.inputs[0].shape, step.out.dtype, None, "_ga")
            return
        if t is None or t.mode == "skip":
            return
        e, s = step.attrs["e"], step.attrs["s"]
        rule = em.const(planned_backward, "rule")
        z = step.inputs[0]
        if t.mode == "write" and tuple(t.shape) == z.shape:
            em.line(f"{rule}({g}, {e}, {s}, {a}, {self._rows(em, step, t.name)})")
            return
        scratch = em.scratch(z.shape, step.out.dtype, 5)
        em.line(f"{rule}({g}, {e}, {s}, {a}, {self._rows(em, step, scratch)})")
        em.give(t, z.shape, step.out.dtype, None, scratch)
