"""Replay rules of the elementwise primitives of one tensor, as one table.

Each row is one op's whole rule: the NumPy call that writes the output ``{o}`` from
the input ``{a}`` (a ufunc with its ``out`` argument), and the calls that write the
input's gradient into ``{s}`` from the output's gradient ``{g}``, ``{a}`` and ``{o}``.
What the backward reads follows from the names it uses. The derivatives are the
ops' own (``minigrad.ops``), written as calls into planned buffers and evaluated in
the same order, so a replay gives eager's values bit for bit (except sigmoid's
gradient, grouped as ``(s (1 - s)) g`` so that the derivative of all time steps can be
computed at once, see ``hoist.py``); the tests compare every row with eager backward.

Rows marked ``quiet`` run under the floating-point error state their eager op uses
(``arcsin(2)`` is NaN without a warning, in a replay as in eager mode).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ...ops.registry import REGISTRY
from ...ops.special import TWO_OVER_SQRT_PI, erf_values
from ..trace import Step
from .base import KERNELS, Emitter, Kernel, Target, numpy_calls

__all__: list[str] = []  # internal to minigrad.compile.kernels

# The error states of the ops defined by ``minigrad.ops.pointwise.define_unary``.
QUIET_FORWARD = "with errstate(divide='ignore', invalid='ignore', over='ignore'): "
QUIET_BACKWARD = "with errstate(divide='ignore', invalid='ignore'): "


class Rule(NamedTuple):
    """One unary op in a replay: ``forward`` and ``grad`` are lines of NumPy calls;
    ``{vjp}`` in ``grad`` names the op's own registered vjp (for a derivative with
    branches that NumPy calls into one buffer would restate), ``{fn}`` in ``forward``
    the function ``compute`` (for an op NumPy has no ufunc for: erf)."""

    forward: str
    grad: str
    quiet: bool
    compute: Any = None


class Unary(Kernel):
    """The replay of one row of the table."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self._needs = {k for k, name in ((0, "{a}"), ("out", "{o}")) if name in rule.grad}

    def forward(self, em: Emitter, step: Step, o: str, ins: list[str]) -> None:
        fn = em.const(self.rule.compute, step.op) if self.rule.compute is not None else ""
        code = self.rule.forward.format(a=ins[0], o=o, fn=fn)
        em.line(QUIET_FORWARD + code if self.rule.quiet else code)

    def needs(self, step: Step) -> set:
        return set(self._needs)

    def backward(
        self, em: Emitter, step: Step, g: str, ins: list[str], o: str, ts: list[Target | None]
    ) -> None:
        t = ts[0]
        if t is None:
            return
        shape, dt = step.out.shape, step.out.dtype
        deriv = step.attrs.get("deriv")  # computed for all time steps at once (hoist.py)
        if deriv is not None:
            em.give(t, shape, dt, "multiply", g, deriv)
            return
        direct = t.mode == "write" and tuple(t.shape) == shape
        s = t.name if direct else em.scratch(shape, dt, 3)
        vjp = em.const(REGISTRY[step.op].vjp, "rule") if "{vjp}" in self.rule.grad else ""
        code = self.rule.grad.format(g=g, a=ins[0], o=o, s=s, vjp=vjp)
        em.line(QUIET_BACKWARD + code if self.rule.quiet else code)
        if not direct:
            em.give(t, shape, dt, None, s)


def unary(name: str, forward: str, grad: str, *, quiet: bool = False, compute: Any = None) -> None:
    """Register the replay of the unary op ``name`` (see the module docstring)."""
    KERNELS[name] = Unary(Rule(forward, grad, quiet, compute))
    numpy_calls(forward, grad, QUIET_FORWARD, QUIET_BACKWARD)


def pointwise(name: str, forward: str, grad: str, compute: Any = None) -> None:
    """A row for an op of ``minigrad.ops.pointwise.define_unary``, quiet as its forward."""
    unary(name, forward, grad, quiet=True, compute=compute)


# --------------------------------------------------------------- minigrad.ops.unary
# Hot ops: no error state, as eager's own.
unary("neg", "negative({a}, {o})", "negative({g}, {s})")
unary("exp", "exp({a}, {o})", "multiply({g}, {o}, {s})")
unary("log", "log({a}, {o})", "divide({g}, {a}, {s})")
unary(
    "sqrt",
    "sqrt({a}, {o})",
    "divide({g}, {o}, {s}); multiply({s}, 0.5, {s})",
)
unary("abs", "absolute({a}, {o})", "sign({a}, {s}); multiply({s}, {g}, {s})")
unary(
    "tanh",
    "tanh({a}, {o})",
    "multiply({o}, {o}, {s}); subtract(1, {s}, {s}); multiply({s}, {g}, {s})",
)
unary(  # s = (1 + tanh(a / 2)) / 2, as the op computes it
    "sigmoid",
    "multiply({a}, 0.5, {o}); tanh({o}, {o}); multiply({o}, 0.5, {o}); add({o}, 0.5, {o})",
    "subtract(1, {o}, {s}); multiply({s}, {o}, {s}); multiply({s}, {g}, {s})",
)
unary(
    "relu",
    "maximum({a}, 0, out={o})",
    "less_equal({a}, 0, {s}); logical_not({s}, {s}); multiply({s}, {g}, {s})",
)

# ---------------------------------------------------------------- minigrad.ops.trig
# g * d(a): d is evaluated first, in the op's own order, then multiplied by g.
_INV_SQRT = "sqrt({s}, {s}); divide({one}, {s}, {s}); multiply({s}, {g}, {s})"
pointwise("sin", "sin({a}, {o})", "cos({a}, {s}); multiply({s}, {g}, {s})")
pointwise("cos", "cos({a}, {o})", "sin({a}, {s}); negative({s}, {s}); multiply({s}, {g}, {s})")
pointwise(
    "tan",  # 1 + tan(a)^2
    "tan({a}, {o})",
    "multiply({o}, {o}, {s}); add(1, {s}, {s}); multiply({s}, {g}, {s})",
)
pointwise(  # 1 / sqrt(1 - a^2)
    "arcsin",
    "arcsin({a}, {o})",
    "multiply({a}, {a}, {s}); subtract(1, {s}, {s}); " + _INV_SQRT.replace("{one}", "1"),
)
pointwise(  # -1 / sqrt(1 - a^2)
    "arccos",
    "arccos({a}, {o})",
    "multiply({a}, {a}, {s}); subtract(1, {s}, {s}); " + _INV_SQRT.replace("{one}", "-1"),
)
pointwise(  # 1 / (1 + a^2)
    "arctan",
    "arctan({a}, {o})",
    "multiply({a}, {a}, {s}); add(1, {s}, {s}); divide(1, {s}, {s}); multiply({s}, {g}, {s})",
)
pointwise("sinh", "sinh({a}, {o})", "cosh({a}, {s}); multiply({s}, {g}, {s})")
pointwise("cosh", "cosh({a}, {o})", "sinh({a}, {s}); multiply({s}, {g}, {s})")
pointwise(  # 1 / sqrt(a^2 + 1)
    "arcsinh",
    "arcsinh({a}, {o})",
    "multiply({a}, {a}, {s}); add({s}, 1, {s}); " + _INV_SQRT.replace("{one}", "1"),
)
pointwise(  # 1 / sqrt(a^2 - 1)
    "arccosh",
    "arccosh({a}, {o})",
    "multiply({a}, {a}, {s}); subtract({s}, 1, {s}); " + _INV_SQRT.replace("{one}", "1"),
)
pointwise(  # 1 / (1 - a^2)
    "arctanh",
    "arctanh({a}, {o})",
    "multiply({a}, {a}, {s}); subtract(1, {s}, {s}); divide(1, {s}, {s}); multiply({s}, {g}, {s})",
)
pointwise(  # (cos(pi a) - sinc(a)) / a, by its Taylor series near 0: the op's own rule
    "sinc",
    "copyto({o}, sinc({a}))",
    "copyto({s}, {vjp}({g}, {a}, {o})[0])",
)

# -------------------------------------------------------------- minigrad.ops.explog
pointwise(  # 1 / (1 + a)
    "log1p",
    "log1p({a}, {o})",
    "add({a}, 1, {s}); divide(1, {s}, {s}); multiply({s}, {g}, {s})",
)
pointwise("expm1", "expm1({a}, {o})", "add({o}, 1, {s}); multiply({s}, {g}, {s})")  # e^a

# -------------------------------------------------------------- minigrad.ops.special
pointwise(  # 2/sqrt(pi) e^(-a^2)
    "erf",
    "copyto({o}, {fn}({a}))",
    "multiply({a}, {a}, {s}); negative({s}, {s}); exp({s}, {s}); "
    f"multiply({TWO_OVER_SQRT_PI!r}, {{s}}, {{s}}); multiply({{s}}, {{g}}, {{s}})",
    compute=erf_values,
)

# ----------------------------------------------------------- minigrad.ops.piecewise
# Flat between their jumps: the gradient is g * 0 (NaN where g is, as eager).
for _name, _fn in (("sign", "sign"), ("floor", "floor"), ("ceil", "ceil"), ("round", "rint")):
    pointwise(_name, f"{_fn}({{a}}, {{o}})", "multiply({g}, 0.0, {s})")
