"""Storage: lifetimes on one timeline (forward, then backward), families, buffer reuse.

Positions: forward step i runs at 2i, the outputs are copied at 2F, backward step r
at 2F + 2 + 2r (a deferred weight-gradient GEMM right after it, at 2F + 3 + 2r).
Each buffer lives from its first write to its last read; a linear scan over the start
positions hands a buffer whose life has ended to the next one of the same size, so a
forward temporary that backward never reads is reused at the next time step, and
its storage again for gradients.

*Families*: the per-use operands of a shared weight's gradient ``sum_t a_t^T g_t`` are
laid out as consecutive rows of one buffer, so the sum is one GEMM over a view (one
buffer per block of uses when the sum runs in blocks: see ``gradplan``).
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np

from .arena import Arena
from .gradplan import GradPlan, Slot
from .kernels import KERNELS
from .plan import ForwardPlan, attr_values
from .trace import Value

__all__ = ["Storage", "allocate", "forward_root"]


class Storage:
    """The planned arrays: ``values[v]`` (None for bound values and their views) and
    ``grads[slot]``: views of the phantom ``arena`` until it is materialized."""

    def __init__(self) -> None:
        self.values: dict[Value, np.ndarray | None] = {}
        self.grads: dict[Slot, np.ndarray] = {}
        self.copied: set[Value] = set()  # views NumPy could not make: copied instead
        self.arena = Arena()
        self.nbytes = 0
        # Whether backward reuses the storage of a forward value that backward reads:
        # a second backward of the same call must then recompute the forward first.
        self.reuses_forward = False


class _Item:
    __slots__ = ("dtype", "end", "members", "shape", "start")

    def __init__(self, shape: tuple, dtype: np.dtype) -> None:
        self.shape, self.dtype = shape, dtype
        self.start, self.end = 1 << 60, -1
        self.members: list[tuple[Any, tuple | None]] = []  # (value or slot, region)

    def span(self, start: int, end: int) -> None:
        self.start, self.end = min(self.start, start), max(self.end, end)


def allocate(fp: ForwardPlan, gp: GradPlan | None) -> Storage:
    """Lifetimes, families and reuse; returns every planned array."""
    F = len(fp.live)
    pos = {s: 2 * i for i, s in enumerate(fp.live)}
    bpos = {s: 2 * F + 2 + 2 * r for r, s in enumerate(gp.active)} if gp else {}
    end = 2 * F + 3 + 2 * len(bpos)
    group = _group_positions(gp, bpos) if gp else {}
    uses = _forward_uses(fp, gp, pos, bpos, group, F)
    items: dict[Any, _Item] = {}
    for v, place in fp.place.items():
        if place[0] == "own" and v.producer in pos:
            it = items[v] = _Item(v.shape, v.dtype)
            it.members.append((v, None))
    for v, (lo, hi) in uses.items():
        root = forward_root(fp, v)
        if root in items:
            items[root].span(lo, hi)
    for v in fp.pinned:
        items[v].span(0, end)
    if gp:
        _grad_items(gp, bpos, group, end, items, F)
        _families(fp, gp, items)
        _activation_families(gp, items)
    store = Storage()
    _scan(list({id(i): i for i in items.values()}.values()), store, 2 * F + 1)
    _resolve(fp, gp, store)
    return store


def _group_positions(gp: GradPlan, bpos: dict) -> dict[tuple[int, int], int]:
    """Where the deferred sum (GEMM or row sum) that reads each use ``(step index,
    input)`` of a weight or bias runs: after the last use of its block in backward."""
    at = {}
    for s in gp.slots.values():
        for uses in (s.outers, s.sums):
            if not uses:
                continue
            for block in s.blocks(uses):
                p = max(bpos[st] for st, _ in block) + 1
                for st, k in block:
                    at[(st.index, k)] = p
    return at


def _forward_uses(fp, gp, pos, bpos, group, F) -> dict[Value, list[int]]:
    """Per value, ``[first, last]`` position where a step reads or writes it."""
    uses: dict[Value, list[int]] = {}

    def use(v: Value, p: int) -> None:
        r = uses.get(v)
        if r is None:
            uses[v] = [p, p]
        elif p < r[0]:
            r[0] = p
        elif p > r[1]:
            r[1] = p

    for s in fp.live:
        use(s.out, pos[s])
        for v in (*s.inputs, *attr_values(s)):
            use(v, pos[s])
    for v in fp.outputs:
        use(v, 2 * F)
    if gp:
        for s in gp.active:
            kern = KERNELS[s.op]
            for k in kern.needs(s):
                use(s.out if k == "out" else s.inputs[k], bpos[s])
            for v in attr_values(s):
                use(v, bpos[s])
        for slot in gp.slots.values():
            for st, k in slot.outers:
                use(st.inputs[KERNELS[st.op].outer(st)[k]], group[(st.index, k)])
    return uses


def forward_root(fp: ForwardPlan, v: Value) -> Value:
    """The value whose planned buffer holds ``v`` (through views and regions)."""
    while True:
        place = fp.place.get(v, ("bound",))
        if place[0] == "view":
            v = place[1]
        elif place[0] == "in":
            v = place[1]
        else:
            return v


def _grad_items(gp, bpos, group, end, items, F) -> None:
    for slot in gp.slots.values():
        root = slot.root()
        if root not in items:
            it = items[root] = _Item(root.value.shape, root.value.dtype)
            it.members.append((root, None))
        it = items[root]
        first = [bpos[s] for s, _ in slot.contribs]
        first += [group[(s.index, k)] for s, k in (*slot.outers, *slot.sums)]
        start = 2 * F + 1 if slot.seed else min(first, default=2 * F + 1)
        p = slot.value.producer
        last = bpos.get(p, end) if p is not None else end
        it.span(start, max([last, *_deferred_reads(slot, group)]))


def _deferred_reads(slot: Slot, group: dict[tuple[int, int], int]) -> list[int]:
    """Where deferred sums read this slot (as the ``g`` of a weight's ``a^T g`` or of
    a bias's row sum)."""
    p = slot.value.producer
    if p is None:
        return []
    kern = KERNELS[p.op]
    ks = [*kern.outer(p), *kern.rowsum(p)]
    return [group[(p.index, k)] for k in ks if (p.index, k) in group]


def _families(fp: ForwardPlan, gp: GradPlan, items: dict) -> None:
    for w in gp.slots.values():
        if len(w.outers) < 2:
            continue
        for block in w.blocks(w.outers):
            uses = sorted(block, key=lambda u: u[0].index)
            gs = [gp.slots[st.out] for st, _ in uses]
            _join_family([g for g in gs if g.home is None], items)
            a_vals = [st.inputs[KERNELS[st.op].outer(st)[k]] for st, k in uses]
            _join_family([a for a in a_vals if fp.place.get(a) == ("own",)], items)


def _activation_families(gp: GradPlan, items: dict) -> None:
    """The outputs of one activation at every time step, as rows of one buffer, so its
    derivative for all steps is one strided view (see ``hoist``)."""
    from .hoist import DERIVATIVES, template

    groups: dict[tuple, list[Value]] = {}
    for step in reversed(gp.active):
        if step.op in DERIVATIVES and (key := template(step)) is not None:
            groups.setdefault(key, []).append(step.out)
    for members in groups.values():
        _join_family(members, items)


def _join_family(members: list, items: dict) -> None:
    """Merge the items of ``members`` (same shape and dtype) into one stacked buffer."""
    if len(members) < 2:
        return
    its = [items.get(m) for m in members]
    if any(it is None or len(it.members) != 1 for it in its):
        return
    shape, dtype = its[0].shape, its[0].dtype
    if any(it.shape != shape or it.dtype != dtype for it in its) or len(set(map(id, its))) != len(
        its
    ):
        return
    fam = _Item((len(its), *shape), dtype)
    for i, (m, it) in enumerate(zip(members, its, strict=True)):
        fam.span(it.start, it.end)
        fam.members.append((m, (i,)))
        items[m] = fam


def _scan(items: list[_Item], store: Storage, backward: int) -> None:
    """Linear scan: reuse the storage of any buffer whose life has ended. Buffers are
    offsets in ``store.arena``; their arrays are views of its phantom block. Notes when
    a forward value that backward reads (alive past ``backward``) gives its storage up."""
    items.sort(key=lambda it: it.start)
    read_in_backward: dict[int, bool] = {}  # offset -> whether its last owner is one
    free: dict[tuple, list[int]] = {}
    busy: list[tuple[int, int, int, tuple]] = []
    offsets = []
    for n, it in enumerate(items):
        while busy and busy[0][0] < it.start:
            _, _, offset, key = heapq.heappop(busy)
            free.setdefault(key, []).append(offset)
        size = math.prod(it.shape)
        key = (size, it.dtype.str)
        pool = free.get(key)
        if pool:
            offset = pool.pop()
            store.reuses_forward |= read_in_backward[offset]
        else:
            offset = store.arena.reserve(size * it.dtype.itemsize)
        offsets.append(offset)
        heapq.heappush(busy, (it.end, n, offset, key))
        forward = any(not isinstance(m, Slot) for m, _ in it.members)
        read_in_backward[offset] = forward and it.end > backward
    store.arena.open()
    store.nbytes = store.arena.nbytes
    for it, offset in zip(items, offsets, strict=True):
        arr = store.arena.buffer(offset, math.prod(it.shape), it.dtype).reshape(it.shape)
        for m, region in it.members:
            a = arr if region is None else _region(arr, region)
            if isinstance(m, Slot):
                store.grads[m] = a
            else:
                store.values[m] = a


def _resolve(fp: ForwardPlan, gp: GradPlan | None, store: Storage) -> None:
    """Views and regions, computed once on the planned buffers."""
    for s in fp.live:
        _value_array(fp, s.out, store)
    if gp:
        for slot in gp.slots.values():
            _slot_array(slot, store)


def _value_array(fp: ForwardPlan, v: Value, store: Storage) -> np.ndarray | None:
    chain = []
    while v not in store.values:
        place = fp.place.get(v, ("bound",))
        if place[0] in ("bound", "own"):
            store.values[v] = None
            break
        chain.append(v)
        v = place[1]
    for c in reversed(chain):
        base = store.values[fp.place[c][1]]
        if base is None:
            store.values[c] = None
        elif fp.place[c][0] == "in":
            store.values[c] = _region(base, fp.place[c][2])
        else:
            step = c.producer
            try:
                store.values[c] = KERNELS[step.op].view_of(step, base)
            except (AttributeError, ValueError):
                store.values[c] = np.empty(c.shape, c.dtype)
                store.nbytes += store.values[c].nbytes
                store.copied.add(c)
    return store.values[v]


def _slot_array(slot: Slot, store: Storage) -> np.ndarray:
    chain = []
    s = slot
    while s not in store.grads:
        chain.append(s)
        s = s.home[0]
    for c in reversed(chain):
        base = store.grads[c.home[0]]
        rel = c.home[1]
        if rel[0] == "index":
            a = _region(base, rel[1])
        elif rel[0] == "same":
            a = base
        elif rel[0] == "transpose":
            a = base.transpose(rel[1])
        else:
            a = base.view()
            a.shape = rel[1]
        store.grads[c] = a
    return store.grads[slot]


def _region(arr: np.ndarray, region: Any) -> np.ndarray:
    """``arr[region]`` as a view even where it selects one element (``g[0]`` of a 1-d
    gradient): a trailing ``...`` keeps NumPy from returning a scalar copy."""
    index = region if isinstance(region, tuple) else (region,)
    if not any(i is Ellipsis for i in index):
        index = (*index, Ellipsis)
    return arr[index]
