"""Forward planning: which steps run, and where each value lives.

Only the steps the outputs depend on run (a trace may hold ops whose results are
never used); sibling ops on adjacent column slices are first fused into one
(``fusion.py``). Each value gets a *place*:

- ``("bound",)``: an input, parameter or constant; its array is read at each call;
- ``("view", base)``: a view of its input (reshape, transpose, basic indexing); on a
  planned buffer it is computed once, at planning, and costs nothing per call;
- ``("in", container, region)``: the producer writes straight into its region of a
  ``stack`` or ``concatenate`` output (the join itself then runs no code);
- ``("own",)``: a planned buffer of its own (``memory.py`` lets buffers whose
  lifetimes do not overlap share storage). A transposed 2-D parameter used only as
  the right operand of products is one too: copied once per call, row-major, and
  *pinned* (kept for the whole program, since a second backward reads it).

A kernel may ask to overwrite an input with what it keeps for its backward
(``Kernel.donates``); it is let when nothing else reads that input's buffer.
"""

from __future__ import annotations

from typing import Any

from .fusion import fuse_siblings
from .kernels import KERNELS
from .trace import Step, Trace, Value

__all__ = ["ForwardPlan", "attr_values", "plan_forward"]


def attr_values(step: Step) -> list[Value]:
    """Traced values a step reads through its attrs (a where's condition, index arrays)."""
    found = []
    for a in step.attrs.values():
        items = a if isinstance(a, (tuple, list)) else (a,)
        found.extend(x for x in items if isinstance(x, Value))
    return found


class ForwardPlan:
    """The live steps in order, and the place of every value they touch."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.live: list[Step] = []
        self.place: dict[Value, tuple] = {}
        self.outputs = [v for v in trace.outputs if v is not None]
        # Values whose buffer lives for the whole program (a second backward reads them).
        self.pinned: set[Value] = set()


def plan_forward(trace: Trace) -> ForwardPlan:
    """Keep the live steps; place every value (see the module docstring)."""
    plan = ForwardPlan(trace)
    plan.live = _live_steps(trace)
    live = set(plan.live)
    if fuse_siblings(trace, live):
        plan.live = _live_steps(trace)
        live = set(plan.live)
    for v in trace.values:
        if v.kind != "op":
            plan.place[v] = ("bound",)
    for step in reversed(plan.live):
        v = step.out
        if _contiguous_operand(step, live) and v not in plan.place:
            plan.place[v] = ("own",)
            plan.pinned.add(v)
        elif KERNELS[step.op].is_view(step):
            plan.place.setdefault(v, ("view", step.inputs[0]))
        else:
            plan.place.setdefault(v, ("own",))
        if step.op in ("stack", "concatenate"):
            _place_parts(plan, step)
    for step in plan.live:
        k = KERNELS[step.op].donates(step)
        if k is not None and _only_reader(plan, step, step.inputs[k], live):
            step.attrs["donated"] = True
    return plan


def _only_reader(plan: ForwardPlan, step: Step, x: Value, live: set[Step]) -> bool:
    """Whether ``step`` is all that reads the buffer of ``x`` (forward and backward)."""
    p = x.producer
    return (
        plan.place.get(x) == ("own",)
        and x not in plan.outputs
        and [s for s, _ in x.consumers if s in live] == [step]
        and not any(x in attr_values(s) for s in live)
        and "out" not in KERNELS[p.op].needs(p)
        and x.dtype == step.out.dtype
    )


def _contiguous_operand(step: Step, live: set[Step]) -> bool:
    """Whether a transposed 2-D parameter (``W^T`` of a layer) is copied once per call
    into a C-contiguous buffer of its own: done when every use is the right operand of
    a 2-D product, which then runs on a row-major matrix (as hand-written code does
    with ``ascontiguousarray(W.T)``) and costs less per call."""
    x = step.inputs[0]
    if step.op != "transpose" or x.kind == "op" or len(x.shape) != 2:
        return False
    uses = [(s, k) for s, k in step.out.consumers if s in live]
    return bool(uses) and all(
        s.op in ("matmul", "addmm") and k == len(s.inputs) - 1 and len(s.inputs[k - 1].shape) == 2
        for s, k in uses
    )


def _live_steps(trace: Trace) -> list[Step]:
    need = {v for v in trace.outputs if v is not None}
    live = []
    for step in reversed(trace.steps):
        if step.out in need:
            live.append(step)
            need.update(step.inputs)
            need.update(attr_values(step))
    live.reverse()
    return live


def _place_parts(plan: ForwardPlan, step: Step) -> None:
    """Let each part of a join be computed in its region of the join's output."""
    kern: Any = KERNELS[step.op]
    placed = set()
    for i, x in enumerate(step.inputs):
        if (
            x.kind != "op"
            or x in plan.place
            or step.inputs.count(x) != 1
            or x.dtype != step.out.dtype
            or KERNELS[x.producer.op].is_view(x.producer)
        ):
            continue
        plan.place[x] = ("in", step.out, kern.region(step, i))
        placed.add(i)
    step.attrs["placed"] = placed
