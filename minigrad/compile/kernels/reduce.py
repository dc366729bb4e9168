"""Replay rules of the reductions (sum, max, min, prod), the running sum, and of
derived constants (recomputed from each call's arrays)."""

from __future__ import annotations

from typing import Any

from ...ops.registry import REGISTRY
from ..trace import Step
from .base import Emitter, Kernel, kernel, numpy_calls

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


@kernel("derived")
class Derived(Kernel):
    """A constant computed from values (``minigrad.ops.core.derived``: the max shift of
    ``logsumexp``, the picks of ``nll_loss``): the replay calls the same function on
    the call's arrays. No gradient flows through it."""

    def prepare(self, step: Step, tracer: Any) -> None:
        step.attrs["name"], step.attrs["fn"] = step.saved

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        fn = em.const(step.attrs["fn"], "rule")
        em.line(f"copyto({o}, {fn}({', '.join(ins)}))  # {step.attrs['name']}")


@kernel("prod")
class Prod(Kernel):
    """``prod(a, axes)``: the forward is NumPy's product; the backward is the op's own
    rule (g times the product of the other elements, exact with zeros), called on
    the call's arrays."""

    def prepare(self, step: Step, tracer: Any) -> None:
        step.attrs["axes"], step.attrs["keepdims"] = tuple(step.saved[1]), bool(step.saved[2])

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        axes, keep = step.attrs["axes"], step.attrs["keepdims"]
        if step.out.shape == ():
            em.line(f"copyto({o}, multiply.reduce({ins[0]}, {axes}, None, None, {keep}))")
        else:
            em.line(f"multiply.reduce({ins[0]}, {axes}, None, {o}, {keep})")

    def needs(self, step: Step) -> set:
        return {0}

    def backward(self, em, step, g, ins, o, ts) -> None:
        rule = em.const(REGISTRY["prod"].vjp, "rule")
        axes, keep = step.attrs["axes"], step.attrs["keepdims"]
        em.line(f"_ga = {rule}({g}, {ins[0]}, {axes}, {keep})[0]")
        em.give(ts[0], step.inputs[0].shape, step.out.dtype, None, "_ga")


@kernel("cumsum")
class Cumsum(Kernel):
    """Running sum along one axis; its gradient is the reversed running sum of g."""

    def prepare(self, step: Step, tracer: Any) -> None:
        axis = int(step.saved[0])
        step.attrs["axis"] = axis
        step.attrs["flip"] = (slice(None),) * axis + (slice(None, None, -1),)

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        em.line(f"cumsum({ins[0]}, {step.attrs['axis']}, None, {o})")

    def backward(self, em, step, g, ins, o, ts) -> None:
        if ts[0] is None or ts[0].mode == "skip":
            return
        flip = em.const(step.attrs["flip"], "i")
        s = em.scratch(step.out.shape, step.out.dtype, 7)
        em.line(f"cumsum({g}[{flip}], {step.attrs['axis']}, None, {s})")
        em.give(ts[0], step.out.shape, step.out.dtype, None, f"{s}[{flip}]")


numpy_calls("multiply", "cumsum")
