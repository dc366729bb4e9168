"""Replay rules of matmul, addmm and contract (einsum). A 2-D right operand's gradient
``a^T g`` is left to the planner (``outer``), which sums every use of a shared weight
in one GEMM."""

from __future__ import annotations

from typing import Any

from ...ops.registry import REGISTRY
from ..trace import Step
from .base import Emitter, Kernel, kernel, numpy_calls

__all__: list[str] = []


def _is2d(step: Step) -> bool:
    return len(step.inputs[-2].shape) == 2 and len(step.inputs[-1].shape) == 2


def _product(step: Step) -> str:
    """The product to emit: "dot" (see ``Emitter.product``) for 2-D operands of the
    output's dtype, which ``np.dot`` writes without casting; else "matmul"."""
    same = all(x.dtype == step.out.dtype for x in step.inputs[-2:])
    return "dot" if _is2d(step) and same else "matmul"


@kernel("matmul")
class Matmul(Kernel):
    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        if step.out.shape == ():
            em.line(f"copyto({o}, matmul({ins[0]}, {ins[1]}))")
        elif _product(step) == "dot":
            em.line(em.product(ins[0], ins[1], o))
        else:
            em.line(f"matmul({ins[0]}, {ins[1]}, {o})")

    def needs(self, step: Step) -> set:
        a, b = step.inputs
        if not _is2d(step):
            return {0, 1}
        return ({1} if a.needs_grad else set()) | ({0} if b.needs_grad else set())

    def outer(self, step: Step) -> dict[int, int]:
        return {1: 0} if _is2d(step) else {}

    def backward(self, em, step, g, ins, o, ts) -> None:
        if _is2d(step):
            if ts[0] is not None and ts[0].mode != "skip":
                b_t = em.transposed(ins[1])
                em.give(ts[0], step.inputs[0].shape, step.out.dtype, _product(step), g, b_t)
            return
        rule = em.const(_general, "rule")
        em.line(f"_ga, _gb = {rule}({g}, {ins[0]}, {ins[1]})")
        for k, t in enumerate(ts):
            if t is not None:
                em.give(t, step.inputs[k].shape, step.out.dtype, None, ("_ga", "_gb")[k])


def _general(g, x, y):
    from .rules import matmul

    return matmul(g, x, y)


@kernel("addmm")
class Addmm(Kernel):
    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        mm = em.product(ins[1], ins[2], o) if _product(step) == "dot" else None
        mm = mm or f"matmul({ins[1]}, {ins[2]}, {o})"
        em.line(f"{mm}; add({o}, {ins[0]}, {o})")

    def needs(self, step: Step) -> set:
        _, a, b = step.inputs
        return ({2} if a.needs_grad else set()) | ({1} if b.needs_grad else set())

    def through(self, step: Step) -> dict[int, tuple]:
        c = step.inputs[0]
        return {0: ("same",)} if c.shape == step.out.shape and c.dtype == step.out.dtype else {}

    def outer(self, step: Step) -> dict[int, int]:
        return {2: 1}

    def rowsum(self, step: Step) -> set[int]:
        c, out = step.inputs[0], step.out
        return {0} if len(out.shape) == 2 and c.shape == out.shape[1:] else set()

    def backward(self, em, step, g, ins, o, ts) -> None:
        shape, dt = step.out.shape, step.out.dtype
        if 0 not in self.rowsum(step):
            em.give(ts[0], shape, dt, None, g)
        if ts[1] is not None and ts[1].mode != "skip":
            fn = _product(step)
            em.give(ts[1], step.inputs[1].shape, dt, fn, g, em.transposed(ins[2]))


@kernel("contract")
class Contract(Kernel):
    """``contract(a, b, "A,B->O")`` (einsum's primitive): the forward is NumPy's einsum
    into the planned output; the backward is the op's own rule (each operand's
    gradient a contraction of g with the other, laid out in the operand's shape),
    called on the call's arrays."""

    def prepare(self, step: Step, tracer: Any) -> None:
        step.attrs["spec"] = str(step.saved[2])

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        em.line(f"einsum({step.attrs['spec']!r}, {ins[0]}, {ins[1]}, out={o})")

    def needs(self, step: Step) -> set:
        return {0, 1}

    def backward(self, em, step, g, ins, o, ts) -> None:
        rule = em.const(REGISTRY["contract"].vjp, "rule")
        em.line(f"_ga, _gb = {rule}({g}, {ins[0]}, {ins[1]}, {step.attrs['spec']!r})")
        for k, t in enumerate(ts):
            if t is not None:
                em.give(t, step.inputs[k].shape, step.out.dtype, None, ("_ga", "_gb")[k])


numpy_calls("einsum")
