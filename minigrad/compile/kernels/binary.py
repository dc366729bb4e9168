"""Replay rules of the broadcasting primitives defined from their partial derivatives
(``minigrad.ops.pointwise.define_binary``), as one table.

Each row is one op's whole rule: the NumPy call writing the output ``{o}`` from
``{a}`` and ``{b}``, and per input the calls writing its gradient, at the output's
shape, into ``{s}`` (with ``{u}`` a second scratch buffer) from ``{g}``, ``{a}``,
``{b}`` and ``{o}``; ``SAME`` says the gradient is ``g`` itself (which the planner may
then alias). The planned contribution reduces broadcast axes to the input's shape.
The partial derivatives are the ops' own, evaluated in the same order; the rows run
under the error state of the eager op (NaN at the origin without a warning).
"""

from __future__ import annotations

from typing import NamedTuple

from ...ops.explog import LN2
from ..trace import Step
from .base import KERNELS, Emitter, Kernel, Target, numpy_calls

__all__: list[str] = []  # internal to minigrad.compile.kernels

QUIET_FORWARD = "with errstate(divide='ignore', invalid='ignore', over='ignore'): "
QUIET_BACKWARD = "with errstate(divide='ignore', invalid='ignore'): "
SAME = "{g}"


class Rule(NamedTuple):
    """One binary op in a replay: the forward line and one gradient line per input."""

    forward: str
    grads: tuple[str, str]


class Binary(Kernel):
    """The replay of one row of the table."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        em.line(QUIET_FORWARD + self.rule.forward.format(a=ins[0], b=ins[1], o=o))

    def needs(self, step: Step) -> set:
        found: set = set()
        for x, code in zip(step.inputs, self.rule.grads, strict=True):
            if x.needs_grad:
                found |= {k for k, n in ((0, "{a}"), (1, "{b}"), ("out", "{o}")) if n in code}
        return found

    def through(self, step: Step) -> dict[int, tuple]:
        out = step.out
        return {
            k: ("same",)
            for k, (x, code) in enumerate(zip(step.inputs, self.rule.grads, strict=True))
            if code == SAME and x.shape == out.shape and x.dtype == out.dtype
        }

    def backward(
        self, em: Emitter, step: Step, g: str, ins: list[str], o: str, ts: list[Target | None]
    ) -> None:
        shape, dt = step.out.shape, step.out.dtype
        for t, code in zip(ts, self.rule.grads, strict=True):
            if t is None or t.mode == "skip":
                continue
            if code == SAME:
                em.give(t, shape, dt, None, g)
                continue
            direct = t.mode == "write" and tuple(t.shape) == shape
            s = t.name if direct else em.scratch(shape, dt, 5)
            u = em.scratch(shape, dt, 6) if "{u}" in code else ""
            line = code.format(g=g, a=ins[0], b=ins[1], o=o, s=s, u=u)
            em.line(QUIET_BACKWARD + line)
            if not direct:
                em.give(t, shape, dt, None, s)


def binary(name: str, forward: str, da: str, db: str) -> None:
    """Register the replay of the binary op ``name`` (see the module docstring)."""
    KERNELS[name] = Binary(Rule(forward, (da, db)))
    numpy_calls(forward, da, db, QUIET_FORWARD, QUIET_BACKWARD)


# -------------------------------------------------------------- minigrad.ops.trig
# a^2 + b^2 into {s}, as the op's partial derivatives compute it
_NORM2 = "multiply({a}, {a}, {s}); multiply({b}, {b}, {u}); add({s}, {u}, {s}); "
_ORIGIN0 = "copyto({u}, 0.0, 'unsafe', equal({s}, 0)); multiply({u}, {g}, {s})"
binary(  # (b, -a) / (a^2 + b^2), 0 at the origin
    "arctan2",
    "arctan2({a}, {b}, {o})",
    _NORM2 + "divide({b}, where(equal({s}, 0), 1.0, {s}), {u}); " + _ORIGIN0,
    _NORM2 + "negative({a}, {u}); divide({u}, where(equal({s}, 0), 1.0, {s}), {u}); " + _ORIGIN0,
)
binary(  # (a, b) / hypot(a, b)
    "hypot",
    "hypot({a}, {b}, {o})",
    "divide({a}, {o}, {s}); multiply({s}, {g}, {s})",
    "divide({b}, {o}, {s}); multiply({s}, {g}, {s})",
)

# ---------------------------------------------------------- minigrad.ops.piecewise
binary(  # (1, -floor(a / b))
    "remainder",
    "remainder({a}, {b}, {o})",
    SAME,
    "divide({a}, {b}, {s}); floor({s}, {s}); negative({s}, {s}); multiply({s}, {g}, {s})",
)
binary(  # (0, 0): flat between its jumps (g * 0, NaN where g is, as eager)
    "floor_divide",
    "floor_divide({a}, {b}, {o})",
    "multiply({g}, 0.0, {s})",
    "multiply({g}, 0.0, {s})",
)

# ------------------------------------------------------------- minigrad.ops.explog
# d = (a - b) ln 2 into {s}, z = e^-|d| into {u}; then (1 or z) / (1 + z) by the sign of
# d, as ops.unary.sigmoid_pair computes the op's partial derivatives
_PAIR = f"subtract({{a}}, {{b}}, {{s}}); multiply({{s}}, {LN2!r}, {{s}}); "
_PAIR += "absolute({s}, {u}); negative({u}, {u}); exp({u}, {u}); "
_OVER = "add({u}, 1.0, {u}); divide({s}, {u}, {s}); multiply({s}, {g}, {s})"
binary(  # (sigmoid(d), sigmoid(-d)), d = (a - b) ln 2
    "logaddexp2",
    "logaddexp2({a}, {b}, {o})",
    _PAIR + "copyto({s}, where(greater_equal({s}, 0), 1.0, {u})); " + _OVER,
    _PAIR + "copyto({s}, where(greater_equal({s}, 0), {u}, 1.0)); " + _OVER,
)
