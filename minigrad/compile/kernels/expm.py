"""Replay rule of matrix_exp: the op's own array functions, called on the planned
buffers (exp by scaling and squaring, its gradient the Frechet derivative L(X^T, G))."""

from __future__ import annotations

from ...ops.expm import expm, frechet
from ..trace import Step
from .base import Emitter, Kernel, kernel, numpy_calls

__all__: list[str] = []


@kernel("matrix_exp")
class MatrixExp(Kernel):
    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        em.line(f"copyto({o}, {em.const(expm, 'expm')}({ins[0]}))")

    def needs(self, step: Step) -> set:
        return {0}

    def backward(self, em, step, g, ins, o, ts) -> None:
        if ts[0] is None or ts[0].mode == "skip":
            return
        rule = em.const(frechet, "frechet")
        em.line(f"_ga = {rule}(swapaxes({ins[0]}, -1, -2), {g})")
        em.give(ts[0], step.inputs[0].shape, step.out.dtype, None, "_ga")


numpy_calls("swapaxes")
