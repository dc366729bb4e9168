"""Horizontal fusion: sibling elementwise ops on adjacent slices become one op.

A cell computes its gates from slices of one pre-activation buffer: a GRU's reset and
update gates are ``sigmoid(x_r + h_r)`` and ``sigmoid(x_z + h_z)``, where ``x_r, x_z``
are adjacent column blocks of the input projection and ``h_r, h_z`` of the recurrent
product; an LSTM's input and forget gates are ``sigmoid`` of adjacent blocks. Run one
by one, each op costs a NumPy call (four for a sigmoid) on a small block. Rewritten,

    x_r + h_r, x_z + h_z   ->   a = x[..., r|z] + h[..., r|z];  a_r, a_z = a[..., r], a[..., z]

the siblings are one op over the joint columns, and their outputs are views of its
output, so every consumer reads the same numbers it read before. Repeating the pass
fuses what the fused outputs feed (``sigmoid(a_r), sigmoid(a_z)`` next). Backward
follows from the rewritten trace: the views' gradients are regions of the fused op's
gradient, so the derivative runs once over the joint block too.

Siblings are ops of one kind, in one scope (one time step), whose every input is a
column slice ``base[..., lo:hi]`` of the same base per input position, with the slices
of consecutive siblings adjacent in every input, and no broadcasting. Only the planned
program changes: eager mode and the drawn graph are untouched.
"""

from __future__ import annotations

from .kernels.fused import AFFINE, affine_attrs, columns
from .trace import Step, Trace, Value

__all__ = ["fuse_siblings"]

#: elementwise ops whose output column j depends only on the inputs' column j
FUSIBLE = frozenset({"add", "sub", "mul", "div", "neg", "tanh", "sigmoid", "relu", "exp"})
#: activations fused across kinds, as ``affine_tanh`` (see ``kernels.fused``)
GATES = frozenset({*AFFINE, "affine_tanh"})


def fuse_siblings(trace: Trace, live: set[Step]) -> int:
    """Rewrite ``trace`` in place until no siblings are left; returns how many groups
    were fused. ``live`` is the set of steps the outputs depend on (updated). Ops of
    one kind first; then the sigmoid and tanh gates of a step left side by side."""
    total = 0
    shared: dict[tuple, dict] = {}  # one set of column constants per gate layout
    for mixed in (False, True):
        while runs := _sibling_runs(trace, live, mixed):
            for run in runs:
                _fuse(trace, run, live, shared if mixed else None)
            trace.steps.sort(key=lambda s: s.index)
            for i, s in enumerate(trace.steps):
                s.index = i
            total += len(runs)
    return total


def _columns(v: Value) -> tuple[Value, int, int] | None:
    """``(base, lo, hi)`` when ``v`` is ``base[..., lo:hi]`` (a view of whole rows)."""
    p = v.producer
    if p is None or p.op != "getitem" or not p.attrs.get("basic"):
        return None
    base = p.inputs[0]
    idx = p.attrs["index"]
    parts = idx if type(idx) is tuple else (idx,)
    if not parts or type(parts[-1]) is not slice or len(base.shape) != len(v.shape):
        return None
    lead = parts[:-1]
    whole_rows = lead == (Ellipsis,) or (
        len(lead) == len(base.shape) - 1 and all(_full(x) for x in lead)
    )
    if not whole_rows:
        return None
    lo, hi, stride = parts[-1].indices(base.shape[-1])
    if stride != 1 or hi <= lo or v.shape[:-1] != base.shape[:-1]:
        return None
    return base, lo, hi


def _full(x: object) -> bool:
    return type(x) is slice and x == slice(None)


def _sibling_runs(trace: Trace, live: set[Step], mixed: bool) -> list[list[tuple[Step, list]]]:
    groups: dict[tuple, list[tuple[Step, list]]] = {}
    for step in trace.steps:
        if step not in live or step.op not in (GATES if mixed else FUSIBLE):
            continue
        out = step.out
        if any(x.shape != out.shape or x.dtype != out.dtype for x in step.inputs):
            continue
        cols = [_columns(x) for x in step.inputs]
        if any(c is None for c in cols):
            continue
        key = ("gates" if mixed else step.op, step.scope, tuple(id(c[0]) for c in cols))
        groups.setdefault(key, []).append((step, cols))
    runs = []
    for members in groups.values():
        members.sort(key=lambda m: m[1][0][1])
        run = [members[0]]
        for m in members[1:]:
            if all(c[1] == p[2] for c, p in zip(m[1], run[-1][1], strict=True)):
                run.append(m)
                continue
            if len(run) > 1:
                runs.append(run)
            run = [m]
        if len(run) > 1:
            runs.append(run)
    if mixed:  # a run of one kind was fused already, or is an affine_tanh
        runs = [r for r in runs if len({s.op for s, _ in r}) > 1]
    return runs


def _fuse(trace: Trace, run: list[tuple[Step, list]], live: set[Step], shared: dict | None) -> None:
    """One op over the joint columns before the first sibling; the siblings become
    views of its output (their values, and so their consumers, stay as they were)."""
    first = min(s.index for s, _ in run)
    order = first - 1 + 0.5  # sorts between the step before the first sibling and it
    head = run[0][0]
    joint = []
    for k, (base, lo, _) in enumerate(run[0][1]):
        hi = run[-1][1][k][2]
        joint.append(_view(trace, base, lo, hi, head.scope, order, live))
        order += 0.01
    width = run[-1][1][0][2] - run[0][1][0][1]
    out = _value(trace, (*head.out.shape[:-1], width), head.out)
    out.needs_grad = any(x.needs_grad for x in joint)
    if shared is not None:
        layout = tuple((s.op, s.out.shape[-1], s.attrs.get("signature")) for s, _ in run)
        if layout not in shared:
            parts = [columns(s.op, s.attrs, s.out.shape[-1], s.out.dtype) for s, _ in run]
            shared[layout] = affine_attrs(parts)
        fused = _step(trace, "affine_tanh", joint, out, head.scope, order, live)
        fused.attrs = dict(shared[layout])
    else:
        fused = _step(trace, head.op, joint, out, head.scope, order, live)
        fused.attrs = {k: v for k, v in head.attrs.items() if k != "deriv"}
    fused.reads = None
    lo = 0
    for step, _ in run:
        for x in step.inputs:
            x.consumers.remove(next(c for c in x.consumers if c[0] is step))
        n = step.out.shape[-1]
        step.op, step.inputs = "getitem", [out]
        step.attrs, step.reads = _slice_attrs(lo, lo + n), None
        out.consumers.append((step, 0))
        lo += n


def _view(trace, base, lo, hi, scope, order, live) -> Value:
    out = _value(trace, (*base.shape[:-1], hi - lo), base)
    out.needs_grad = base.needs_grad
    step = _step(trace, "getitem", [base], out, scope, order, live)
    step.attrs, step.reads = _slice_attrs(lo, hi), None
    return out


def _slice_attrs(lo: int, hi: int) -> dict:
    idx = (Ellipsis, slice(lo, hi))
    return {"parts": idx, "tuple": True, "basic": True, "unique": True, "index": idx}


def _value(trace: Trace, shape: tuple, like: Value) -> Value:
    v = Value(len(trace.values), "op", shape, like.dtype, None)
    trace.values.append(v)
    return v


def _step(trace, op, inputs, out, scope, order, live) -> Step:
    step = Step(-1, op, inputs, out, ())
    step.index = order  # a fractional position until the steps are renumbered
    step.scope = scope
    out.producer = step
    for k, x in enumerate(inputs):
        x.consumers.append((step, k))
    trace.steps.append(step)
    live.add(step)
    return step
