"""Replay rules of the elementwise primitives (see minigrad.ops.elementwise and
minigrad.ops.select).

Forward writes into the planned output with the ufunc's ``out`` argument (positional,
the cheapest call NumPy offers); the derivative rules are the ops' own, written into
planned gradient buffers.
"""

from __future__ import annotations

import math
from typing import Any

from ...ops.registry import REGISTRY
from ..trace import Step
from .base import Emitter, Kernel, Target, kernel

__all__: list[str] = []


def _dt(step: Step) -> Any:
    return step.out.dtype


def _shape(step: Step) -> tuple:
    return step.out.shape


@kernel("add")
class Add(Kernel):
    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        em.line(f"add({ins[0]}, {ins[1]}, {o})")

    def through(self, step: Step) -> dict[int, tuple]:
        return {k: ("same",) for k, v in enumerate(step.inputs) if v.shape == step.out.shape}

    def backward(self, em, step, g, ins, o, ts) -> None:
        for t in ts:
            em.give(t, _shape(step), _dt(step), None, g)


@kernel("sub")
class Sub(Kernel):
    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        em.line(f"subtract({ins[0]}, {ins[1]}, {o})")

    def through(self, step: Step) -> dict[int, tuple]:
        return {0: ("same",)} if step.inputs[0].shape == step.out.shape else {}

    def backward(self, em, step, g, ins, o, ts) -> None:
        em.give(ts[0], _shape(step), _dt(step), None, g)
        em.give(ts[1], _shape(step), _dt(step), "negative", g)


@kernel("mul")
class Mul(Kernel):
    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        em.line(f"multiply({ins[0]}, {ins[1]}, {o})")

    def needs(self, step: Step) -> set:
        return {1 - k for k, v in enumerate(step.inputs) if v.needs_grad}

    def backward(self, em, step, g, ins, o, ts) -> None:
        em.give(ts[0], _shape(step), _dt(step), "multiply", g, ins[1])
        em.give(ts[1], _shape(step), _dt(step), "multiply", g, ins[0])


@kernel("div")
class Div(Kernel):
    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        em.line(f"divide({ins[0]}, {ins[1]}, {o})")

    def needs(self, step: Step) -> set:
        return {1, "out"}

    def backward(self, em, step, g, ins, o, ts) -> None:
        # d(a/b) = g / b da - g a / b^2 db = (g / b)(da - out db)
        em.give(ts[0], _shape(step), _dt(step), "divide", g, ins[1])
        if ts[1] is not None:
            s = em.scratch(_shape(step), _dt(step), 1)
            em.line(f"divide({g}, {ins[1]}, {s}); multiply({s}, {o}, {s})")
            em.give(ts[1], _shape(step), _dt(step), "negative", s)


@kernel("pow", "maximum", "minimum", "logaddexp")
class Generic2(Kernel):
    """Rarely hot binary ops: the forward is the NumPy ufunc, the backward calls the
    op's own rule on the call's arrays (pow's vjp; for the others, whose vjps read a
    mask saved at capture, the rule restated in ``rules.py``)."""

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        fn = {"pow": "power"}.get(step.op, step.op)
        em.line(f"{fn}({ins[0]}, {ins[1]}, out={o})")

    def needs(self, step: Step) -> set:
        return {0, 1, "out"}

    def backward(self, em, step, g, ins, o, ts) -> None:
        if step.op == "pow":
            # The vjp with targets () (the gradient at the output's shape) or None (no
            # gradient): its zeros at the boundary (0^0, 0^y) are eager's own.
            rule = em.const(REGISTRY["pow"].vjp, "rule")
            ta, tb = (None if t is None or t.mode == "skip" else () for t in ts)
            em.line(f"_ga, _gb = {rule}({g}, {ins[0]}, {ins[1]}, {o}, {ta}, {tb})")
        else:
            rule = em.const(binary_rule(step.op), "rule")
            em.line(f"_ga, _gb = {rule}({g}, {ins[0]}, {ins[1]}, {o})")
        em.give(ts[0], _shape(step), _dt(step), None, "_ga")
        em.give(ts[1], _shape(step), _dt(step), None, "_gb")


def binary_rule(op: str) -> Any:
    from . import rules

    return getattr(rules, op)


@kernel("where")
class Where(Kernel):
    """``where(c, a, b)``: the condition is a constant of the program, or the array
    of a traced value when the op read it from one (then it is rebound each call)."""

    def prepare(self, step: Step, tracer: Any) -> None:
        c = step.saved[0]
        step.attrs["cond"] = tracer.array_value(c) or c

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        c = em.ref(step.attrs["cond"])
        em.line(f"copyto({o}, {ins[1]}); copyto({o}, {ins[0]}, 'unsafe', {c})")

    def backward(self, em, step, g, ins, o, ts) -> None:
        c = em.ref(step.attrs["cond"])
        for k, t in enumerate(ts):
            if t is None:
                continue
            s = em.scratch(_shape(step), _dt(step), 2)
            where = c if k == 0 else f"logical_not({c})"
            # select, never multiply by the mask: inf * 0 would be nan
            em.line(f"{s}.fill(0); copyto({s}, {g}, 'unsafe', {where})")
            em.give(t, _shape(step), _dt(step), None, s)


@kernel("clip")
class Clip(Kernel):
    def prepare(self, step: Step, tracer: Any) -> None:
        step.attrs["lo"], step.attrs["hi"] = step.saved[1], step.saved[2]

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        lo, hi = step.attrs["lo"], step.attrs["hi"]
        em.line(f"clip({ins[0]}, {lo!r}, {hi!r}, {o})")

    def needs(self, step: Step) -> set:
        return {0}

    def backward(self, em, step, g, ins, o, ts) -> None:
        rule = em.const(_clip_rule, "rule")
        s = em.scratch(_shape(step), _dt(step), 4)
        lo, hi = step.attrs["lo"], step.attrs["hi"]
        em.line(f"{rule}({g}, {ins[0]}, {lo!r}, {hi!r}, {s})")
        em.give(ts[0], _shape(step), _dt(step), None, s)


def _clip_rule(g: Any, x: Any, lo: Any, hi: Any, out: Any) -> None:
    """g inside [lo, hi] (bounds included), 0 outside."""
    keep = True
    if lo is not None:
        keep = x >= lo
    if hi is not None:
        keep = keep & (x <= hi)
    out[...] = g * keep


@kernel("cast")
class Cast(Kernel):
    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        em.line(f"copyto({o}, {ins[0]}, 'unsafe')")

    def backward(self, em, step, g, ins, o, ts) -> None:
        t: Target | None = ts[0]
        if t is None:
            return
        if t.mode == "write":
            em.line(f"copyto({t.name}, {g}, 'unsafe')")
        else:
            em.line(f"add({t.name}, {g}, {t.name}, casting='unsafe')")


@kernel("lerp")
class Lerp(Kernel):
    """``start + weight (end - start)``, in the eager op's order of operations. The
    difference goes through a scratch buffer, so the output may share memory with an
    input."""

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        s, e, w = ins
        d = em.scratch(_shape(step), _dt(step), 7)
        em.line(f"subtract({e}, {s}, {d}); multiply({w}, {d}, {d}); add({d}, {s}, {o})")

    def needs(self, step: Step) -> set:
        start, end, weight = (v.needs_grad for v in step.inputs)
        return ({2} if start or end else set()) | ({0, 1} if weight else set())

    def backward(self, em, step, g, ins, o, ts) -> None:
        s, e, w = ins
        shape, dt = _shape(step), _dt(step)
        if ts[0] is not None or ts[1] is not None:
            gw = em.scratch(shape, dt, 7)
            em.line(f"multiply({g}, {w}, {gw})")
            em.give(ts[0], shape, dt, "subtract", g, gw)
            em.give(ts[1], shape, dt, None, gw)
        if ts[2] is not None:
            d = em.scratch(shape, dt, 8)
            em.line(f"subtract({e}, {s}, {d}); multiply({g}, {d}, {d})")
            em.give(ts[2], shape, dt, None, d)


@kernel("addcmul")
class Addcmul(Kernel):
    """``input + value tensor1 tensor2``, in the eager op's order of operations. The
    product goes through a scratch buffer, so the output may share memory with an
    input."""

    def prepare(self, step: Step, tracer: Any) -> None:
        step.attrs["value"] = step.saved[2]

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        a, b, c = ins
        value = step.attrs["value"]
        p = em.scratch(_shape(step), _dt(step), 7)
        scale = "" if value == 1 else f"; multiply({p}, {_number(em, value)}, {p})"
        em.line(f"multiply({b}, {c}, {p}){scale}; add({p}, {a}, {o})")

    def through(self, step: Step) -> dict[int, tuple]:
        return {0: ("same",)} if step.inputs[0].shape == step.out.shape else {}

    def needs(self, step: Step) -> set:
        _, t1, t2 = (v.needs_grad for v in step.inputs)
        return ({2} if t1 else set()) | ({1} if t2 else set())

    def backward(self, em, step, g, ins, o, ts) -> None:
        _, b, c = ins
        shape, dt, value = _shape(step), _dt(step), step.attrs["value"]
        em.give(ts[0], shape, dt, None, g)
        if value != 1 and (ts[1] is not None or ts[2] is not None):
            gv = em.scratch(shape, dt, 7)
            em.line(f"multiply({g}, {_number(em, value)}, {gv})")
            g = gv
        em.give(ts[1], shape, dt, "multiply", g, c)
        em.give(ts[2], shape, dt, "multiply", g, b)


def _number(em: Emitter, value: float) -> str:
    """A Python number in generated code: its literal, or a constant for inf and nan."""
    return repr(value) if math.isfinite(value) else em.const(value, "k")
