"""Backward planning: where each gradient lives, so that little is copied or zeroed.

Every value the gradient reaches gets a :class:`Slot`. A slot either owns storage or
is a *view of another slot*, which is how the planner removes work:

- **slices**: when disjoint basic indexes cover a tensor (the time steps of the input
  projection, the gate chunks), each slice's gradient is its region of the parent's
  gradient, so nothing is scattered or zero-filled;
- **pass-through**: an input of add, sub (left), addmm (the added term), reshape or
  transpose used nowhere else has exactly the output's gradient: the two share
  storage, and when the input's gradient already has a place (a slice of a parent),
  the output's gradient is put there instead, so its producer writes the final
  location directly (destination passing);
- **joins**: the gradient of a part of a ``stack``/``concatenate`` is its region of
  the join's gradient, taken over in place when nothing reads that storage later
  (checked against the backward order).

Contributions to a slot run in reverse execution order: the first writes, the rest
add; a matmul's weight gradient ``a^T g`` is deferred and summed over all uses at once,
and so is a bias's ``sum_rows g`` (one reduction over the rows of all steps). Deferring
keeps every use's ``g`` alive until the sum runs: when they would take more than
``DEFER_BYTES``, the uses are summed in *blocks* of consecutive uses (in backward
order) of about ``BLOCK_BYTES`` of ``g`` each but at least ``BLOCK_ROWS`` rows, so
their storage is reused block after block while each sum stays one GEMM over many
rows.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..ops.indexing import is_basic
from .kernels import KERNELS
from .plan import ForwardPlan
from .trace import Step, Value

__all__ = ["GradPlan", "Slot", "plan_grads"]


#: the per-use gradients a deferred weight or bias sum reads may take this much memory
DEFER_BYTES = 1 << 20
#: beyond it, the uses are summed in blocks whose gradients take about this much,
BLOCK_BYTES = 1 << 18
#: and that have at least this many rows (a GEMM summing fewer runs slower per row)
BLOCK_ROWS = 512


class Slot:
    """The gradient of one value: its contributions ``(step, k)`` in the order they
    run, and its ``home`` (None: own storage; else ``(slot, relation)``)."""

    __slots__ = ("block", "contribs", "home", "index", "outers", "seed", "skip", "sums", "value")

    def __init__(self, value: Value) -> None:
        self.value = value
        self.index = value.index
        # Uses (step, input) by kind; the deferred kinds (matmul weights, biases) stay
        # an empty tuple until there is one: a long sequence has tens of thousands of
        # slots, and planning holds them all at once.
        self.contribs: list[tuple[Step, int]] = []
        self.outers: list[tuple[Step, int]] | tuple = ()
        self.sums: list[tuple[Step, int]] | tuple = ()  # bias uses: g summed over rows
        self.home: tuple | None = None
        self.seed = False
        # contributions already in place (aliases): (step index, input), rarely more
        # than one, so a tuple
        self.skip: tuple[tuple[int, int], ...] = ()
        self.block = 0  # uses per deferred sum (0: all in one)

    def add_use(self, step: Step, k: int, outer: bool, rowsum: bool) -> None:
        """Note that input ``k`` of ``step`` contributes to this gradient (as a matmul
        weight's ``a^T g``, a bias's row sum, or otherwise)."""
        if outer:
            self.outers = self.outers or []
            self.outers.append((step, k))
        elif rowsum:
            self.sums = self.sums or []
            self.sums.append((step, k))
        else:
            self.contribs.append((step, k))

    def skips(self, step: Step, k: int) -> None:
        """Mark input ``k`` of ``step`` as contributing by aliasing (no code runs)."""
        self.skip = (*self.skip, (step.index, k))

    def unskips(self, step: Step, k: int) -> None:
        """Undo :meth:`skips`."""
        self.skip = tuple(x for x in self.skip if x != (step.index, k))

    def blocks(self, uses: list[tuple[Step, int]]) -> list[list[tuple[Step, int]]]:
        """``uses`` (``outers`` or ``sums``, in backward order) cut into the blocks
        summed at once."""
        n = self.block or len(uses) or 1
        return [uses[i : i + n] for i in range(0, len(uses), n)]

    def root(self) -> Slot:
        s = self
        while s.home is not None:
            s = s.home[0]
        return s

    def __repr__(self) -> str:
        return f"<Slot g{self.index} {self.value.shape} home={self.home and self.home[1]}>"


class GradPlan:
    """Slots by value, the steps whose backward runs (reverse order)."""

    def __init__(self) -> None:
        self.slots: dict[Value, Slot] = {}
        self.active: list[Step] = []
        self.seeds: list[Value] = []


def plan_grads(fp: ForwardPlan) -> GradPlan:
    """Slots, contributions and storage relations for the backward of ``fp``."""
    gp = GradPlan()
    for v in fp.outputs:
        if v.needs_grad and v not in gp.slots:
            gp.slots[v] = Slot(v)
            gp.slots[v].seed = True
            gp.seeds.append(v)
    for step in reversed(fp.live):
        if step.out not in gp.slots:
            continue
        gp.active.append(step)
        outer, sums = KERNELS[step.op].outer(step), KERNELS[step.op].rowsum(step)
        for k, x in enumerate(step.inputs):
            if not x.needs_grad:
                continue
            slot = gp.slots.get(x) or gp.slots.setdefault(x, Slot(x))
            slot.add_use(step, k, k in outer, k in sums)
    _slices(gp)
    _pass_through(gp)
    _joins(gp)
    _block_sizes(gp)
    return gp


def _block_sizes(gp: GradPlan) -> None:
    """Sum a weight's (or bias's) deferred uses in blocks when their gradients would
    take more than ``DEFER_BYTES`` (see the module docstring)."""
    for w in gp.slots.values():
        uses = w.outers or w.sums
        if len(uses) < 2:
            continue
        per = max(_nbytes(st.out) for st, _ in uses)
        if per * len(uses) > DEFER_BYTES:
            rows = min(math.prod(st.out.shape[:-1]) for st, _ in uses)
            w.block = max(2, BLOCK_BYTES // max(per, 1), -(-BLOCK_ROWS // max(rows, 1)))


def _nbytes(v: Value) -> int:
    return math.prod(v.shape) * v.dtype.itemsize


def _slices(gp: GradPlan) -> None:
    for slot in list(gp.slots.values()):
        cs = slot.contribs
        if not cs or slot.outers or slot.sums or slot.seed:
            continue
        if any(s.op != "getitem" or not is_basic(s.attrs["index"]) for s, _ in cs):
            continue
        count = np.zeros(slot.value.shape, np.int8)
        for s, _ in cs:
            count[s.attrs["index"]] += 1
        if not (count == 1).all():
            continue
        for s, _k in cs:
            child = gp.slots.get(s.out)
            if child is None or child.home is not None:
                break
        else:
            for s, k in cs:
                gp.slots[s.out].home = (slot, ("index", s.attrs["index"]))
                slot.skips(s, k)


def _inverse(rel: tuple, x: Value, out: Value) -> tuple:
    """The relation from x's gradient to the output's, given the one the other way."""
    if rel[0] == "same":
        return rel
    if rel[0] == "reshape":
        return ("reshape", out.shape)
    inverse = rel[1]
    return ("transpose", tuple(int(i) for i in np.argsort(inverse)))


def _pass_through(gp: GradPlan) -> None:
    for step in gp.active:
        go = gp.slots[step.out]
        for k, rel in KERNELS[step.op].through(step).items():
            x = step.inputs[k]
            gx = gp.slots.get(x)
            if gx is None or gx.contribs != [(step, k)] or gx.outers or gx.sums or gx.seed:
                continue
            if step.inputs.count(x) != 1 or x.dtype != step.out.dtype:
                continue
            own = step.op == "transpose" and x.kind != "op" and len(x.shape) == 2
            if own and go.home is None and gx.root() is not go:
                go.home = (gx, _inverse(rel, x, step.out))
            elif gx.home is None and go.root() is not gx:
                gx.home = (go, rel)
            elif go.home is None and gx.root() is not go:
                go.home = (gx, _inverse(rel, x, step.out))
            else:
                continue
            gx.skips(step, k)


def _joins(gp: GradPlan) -> None:
    for step in gp.active:
        if step.op not in ("stack", "concatenate"):
            continue
        go = gp.slots[step.out]
        kern: Any = KERNELS[step.op]
        taken = []
        uses: dict[Value, int] = {}
        for x in step.inputs:
            uses[x] = uses.get(x, 0) + 1
        for i, x in enumerate(step.inputs):
            gx = gp.slots.get(x)
            if gx is None or gx.home is not None or uses[x] != 1:
                continue
            if not gx.contribs or gx.contribs[0] != (step, i) or go.root() is gx:
                continue
            gx.home = (go, ("index", kern.region(step, i)))
            gx.skips(step, i)
            taken.append((gx, i))
        if taken and not _join_safe(gp, step, go):
            for gx, i in taken:
                gx.home = None
                gx.unskips(step, i)


def _join_safe(gp: GradPlan, step: Step, go: Slot) -> bool:
    """Parts may take over the join's gradient only if every other slot sharing its
    storage is read before the join's backward runs (i.e. is produced after it)."""
    root = go.root()
    for s in gp.slots.values():
        if s.root() is not root or _under(s, go):
            continue
        p = s.value.producer
        if p is None or p.index < step.index:
            return False
    return True


def _under(s: Slot, top: Slot) -> bool:
    while s is not None:
        if s is top:
            return True
        s = s.home[0] if s.home is not None else None
    return False
