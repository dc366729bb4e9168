"""Replay rules of the reductions, and of ``shift`` (the constant max that
``logsumexp`` and ``softmax`` subtract, recomputed from each call's logits)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..trace import Step
from .base import Emitter, Kernel, kernel

__all__: list[str] = []


@kernel("sum")
class Sum(Kernel):
    def prepare(self, step: Step, tracer: Any) -> None:
        step.attrs["axes"], step.attrs["keepdims"] = tuple(step.saved[0]), bool(step.saved[1])

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        axes, keep = step.attrs["axes"], step.attrs["keepdims"]
        if step.out.shape == ():
            em.line(f"copyto({o}, add.reduce({ins[0]}, {axes}, None, None, {keep}))")
        else:
            em.line(f"add.reduce({ins[0]}, {axes}, None, {o}, {keep})")

    def backward(self, em, step, g, ins, o, ts) -> None:
        axes, keep = step.attrs["axes"], step.attrs["keepdims"]
        src = g if keep else f"expand_dims({g}, {axes})"
        em.give(ts[0], step.inputs[0].shape, step.out.dtype, None, src)


@kernel("max", "min")
class Extreme(Kernel):
    def prepare(self, step: Step, tracer: Any) -> None:
        step.attrs["axes"], step.attrs["keepdims"] = tuple(step.saved[2]), bool(step.saved[3])

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        fn = "maximum" if step.op == "max" else "minimum"
        axes, keep = step.attrs["axes"], step.attrs["keepdims"]
        em.line(f"copyto({o}, {fn}.reduce({ins[0]}, {axes}, None, None, {keep}))")

    def needs(self, step: Step) -> set:
        return {0, "out"}

    def backward(self, em, step, g, ins, o, ts) -> None:
        rule = em.const(_extreme, "rule")
        axes, keep = step.attrs["axes"], step.attrs["keepdims"]
        em.line(f"_ga = {rule}({g}, {ins[0]}, {o}, {axes}, {keep})")
        em.give(ts[0], step.inputs[0].shape, step.out.dtype, None, "_ga")


def _extreme(g, x, out, axes, keepdims):
    from .rules import extreme

    return extreme(g, x, out, axes, keepdims)


@kernel("shift")
class Shift(Kernel):
    """max over the reduced axes (keepdims), non-finite maxima replaced by 0."""

    def prepare(self, step: Step, tracer: Any) -> None:
        x, m = step.inputs[0].shape, step.out.shape
        step.attrs["axes"] = tuple(i for i, (a, b) in enumerate(zip(x, m, strict=True)) if a != b)
        if len(x) != len(m):  # axis=None on a 0-d or keepdims-free shape cannot happen here
            raise ValueError(f"shift: shapes {x} and {m} differ in rank")

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        rule = em.const(_shift, "rule")
        em.line(f"{rule}({ins[0]}, {step.attrs['axes']}, {o})")


def _shift(x: np.ndarray, axes: tuple, out: np.ndarray) -> None:
    np.maximum.reduce(x, axes, None, out, True)
    np.copyto(out, 0, where=~np.isfinite(out))
