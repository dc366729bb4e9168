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

A basic slice that backward reads, of a buffer that backward does not otherwise read,
is copied into a buffer of its own when it is at most half that buffer (the candidate
block ``W_hn h`` of a GRU's recurrent product): keeping the view would keep the whole
buffer alive from its time step until backward reaches it.

A kernel may ask to overwrite an input with what it keeps for its backward
(``Kernel.donates``); it is let when nothing else reads that input's buffer.
"""

from __future__ import annotations

from typing import Any

from .fusion import fuse_siblings
from .kernels import KERNELS
from .trace import Step, Trace, Value

__all__ = ["ForwardPlan", "attr_values", "plan_forward"]


def attr_values(step: Step) -> tuple[Value, ...]:
    """Traced values a step reads through its attrs (a where's condition, index arrays);
    found once per step (``Step.reads``)."""
    found = step.reads
    if found is not None:
        return found
    items: list[Value] = []
    for a in step.attrs.values():
        if type(a) is Value:
            items.append(a)
        elif isinstance(a, (tuple, list)):
            items.extend(x for x in a if isinstance(x, Value))
    found = step.reads = tuple(items)
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
        if step.op == "transpose" and _contiguous_operand(step, live) and v not in plan.place:
            plan.place[v] = ("own",)
            plan.pinned.add(v)
        elif KERNELS[step.op].is_view(step):
            plan.place.setdefault(v, ("view", step.inputs[0]))
        else:
            plan.place.setdefault(v, ("own",))
        if step.op in ("stack", "concatenate"):
            _place_parts(plan, step)
    _copy_kept_slices(plan, live)
    read_by_attrs: set[Value] | None = None
    for step in plan.live:
        k = KERNELS[step.op].donates(step)
        if k is None:
            continue
        if read_by_attrs is None:
            read_by_attrs = {x for s in live for x in attr_values(s)}
        if _only_reader(plan, step, step.inputs[k], live, read_by_attrs):
            step.attrs["donated"] = True
    # Nothing after this asks who reads a value: the lists go now, not with the trace
    # (a long sequence has one per value while the rest of planning runs).
    for v in trace.values:
        v.consumers = ()
    return plan


def _copy_kept_slices(plan: ForwardPlan, live: set[Step]) -> None:
    """Give a view its own buffer where that frees a larger one before backward (see
    the module docstring)."""
    for step in plan.live:
        v, x = step.out, step.inputs[0]
        if plan.place.get(v) != ("view", x) or step.op != "getitem":
            continue
        if plan.place.get(x) != ("own",) or x in plan.pinned or v in plan.outputs:
            continue
        if 2 * _size(v) > _size(x) or x in plan.outputs:
            continue
        others = [s for s, _ in x.consumers if s in live and s is not step]
        if any(KERNELS[s.op].is_view(s) for s in others) or _read_in_backward(x, live):
            continue
        readers = [s for s, _ in v.consumers if s in live]
        if any(KERNELS[s.op].is_view(s) for s in readers) or not _read_in_backward(v, live):
            continue
        plan.place[v] = ("own",)


def _read_in_backward(x: Value, live: set[Step]) -> bool:
    """Whether a backward rule reads ``x`` (as an input it needs, as the ``a`` of a
    weight's ``a^T g``, or as its producer's output)."""
    p = x.producer
    if p is not None and x.needs_grad and "out" in KERNELS[p.op].needs(p):
        return True
    for s, k in x.consumers:
        if s not in live or not s.out.needs_grad:
            continue
        kern = KERNELS[s.op]
        if k in kern.needs(s):
            return True
        if any(j == k and s.inputs[w].needs_grad for w, j in kern.outer(s).items()):
            return True
    return False


def _size(v: Value) -> int:
    n = 1
    for d in v.shape:
        n *= d
    return n


def _only_reader(
    plan: ForwardPlan, step: Step, x: Value, live: set[Step], read_by_attrs: set[Value]
) -> bool:
    """Whether ``step`` is all that reads the buffer of ``x`` (forward and backward)."""
    p = x.producer
    return (
        plan.place.get(x) == ("own",)
        and x not in plan.outputs
        and [s for s, _ in x.consumers if s in live] == [step]
        and x not in read_by_attrs
        and "out" not in KERNELS[p.op].needs(p)
        and x.dtype == step.out.dtype
    )


#: A transposed 2-D parameter at most this large is copied row-major once per call for
#: the products that read it; a larger one is read as the transposed view. Measured with
#: BLAS on one thread (float32, per product, row-major copy vs view): W4's 192 x 64
#: recurrent weight 3.0 vs 3.5 us (the copy, 3.5 us per call, pays over 1000 steps); W1's
#: 512 x 128 41.4 vs 39.7 us and W3's 2048 x 512 1156 vs 1133 us: BLAS packs its operand
#: whichever the layout, and the copy (W3: 2.6 ms per call) is pure cost.
COPY_TRANSPOSED_BYTES = 128 * 1024


def _contiguous_operand(step: Step, live: set[Step]) -> bool:
    """Whether a transposed 2-D parameter (``W^T`` of a layer) is copied once per call
    into a C-contiguous buffer of its own: done when every use is the right operand of
    a 2-D product and the matrix is small (:data:`COPY_TRANSPOSED_BYTES`), where the
    products then run faster on a row-major matrix (as hand-written code does with
    ``ascontiguousarray(W.T)``)."""
    x = step.inputs[0]
    if step.op != "transpose" or x.kind == "op" or len(x.shape) != 2:
        return False
    if _size(x) * x.dtype.itemsize > COPY_TRANSPOSED_BYTES:
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
    uses: dict[Value, int] = {}
    for x in step.inputs:
        uses[x] = uses.get(x, 0) + 1
    for i, x in enumerate(step.inputs):
        if (
            x.kind != "op"
            or x in plan.place
            or uses[x] != 1
            or x.dtype != step.out.dtype
            or KERNELS[x.producer.op].is_view(x.producer)
        ):
            continue
        plan.place[x] = ("in", step.out, kern.region(step, i))
        placed.add(i)
    step.attrs["placed"] = placed
