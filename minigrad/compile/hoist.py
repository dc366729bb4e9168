"""Activation derivatives for all time steps at once.

tanh' = 1 - tanh^2 and sigmoid' = s (1 - s) depend only on the forward outputs, so
they need not be computed step by step inside the backward loop (two NumPy calls
per step). When the outputs of the same activation at every time step lie at a
regular stride in memory (the steps' outputs in a stacked sequence, or a family of
per-step buffers), the derivative of all of them is two calls over one strided view
at the start of backward, and each step's backward is a single multiply.

Where nothing else in backward reads those outputs (the candidate of a GRU), the
derivative overwrites them in place and costs no memory; otherwise it goes into a
buffer of its own, within a memory budget (beyond it, the steps differentiate one by
one as before). A flag makes a second backward (``retain_graph=True``) reuse the
derivatives instead of differentiating them again.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .gradplan import GradPlan
from .kernels import KERNELS, Emitter
from .kernels.fused import DERIVATIVE as AFFINE_DERIVATIVE
from .trace import Step, Value

if TYPE_CHECKING:
    from .memory import Storage

__all__ = ["DERIVATIVES", "hoist", "template"]

# op -> (code computing the derivative into {s} from the outputs {o}, may run in place)
DERIVATIVES = {
    "tanh": ("multiply({o}, {o}, {s}); subtract(1, {s}, {s})", True),
    "sigmoid": ("subtract(1, {o}, {s}); multiply({s}, {o}, {s})", False),
    "affine_tanh": (AFFINE_DERIVATIVE, True),
}


def template(step: Step) -> tuple | None:
    """Which op of the per-step template a step is: same op and shape, same scope
    apart from the time step. None outside a time step."""
    scope = _without_step(step.scope)
    if scope is None:
        return None
    return (step.op, step.out.shape, step.out.dtype.str, scope, step.attrs.get("signature"))


def _without_step(scope: tuple[str, ...]) -> tuple[str, ...] | None:
    """``scope`` without its time step (``t=3``); None when it names none."""
    kept = tuple(s for s in scope if not (s[:2] == "t=" and s[2:].isdecimal()))
    return kept if len(kept) < len(scope) else None


#: derivatives of all steps at once may take this much memory (or 5% of the plan's)
BUDGET_BYTES = 1 << 20
#: a derivative that needs a buffer of its own beyond the budget is computed in blocks
#: of steps into one buffer of about this size, reused block after block
BLOCK_BYTES = 1 << 18


def hoist(
    em: Emitter, gp: GradPlan, store: Storage, readers: dict[Value, int]
) -> dict[Step, list[str]]:
    """Emit the all-steps derivatives; mark each covered step with its slice. Returns
    the lines of blocked derivatives to emit before the backward of a step."""
    groups: dict[tuple, list[Step]] = {}
    for step in gp.active:
        if step.op in DERIVATIVES and (key := template(step)) is not None:
            groups.setdefault(key, []).append(step)
    lines = []
    budget, spent = max(BUDGET_BYTES, store.nbytes // 20), 0
    before: dict[Step, list[str]] = {}
    for steps in groups.values():
        if len(steps) < 2:
            continue
        at = sorted(
            ((store.values[s.out].ctypes.data, k) for k, s in enumerate(steps)),
        )
        steps = [steps[k] for _, k in at]
        outs = [store.values[s.out] for s in steps]
        merged = _regular(outs, [a for a, _ in at])
        if merged is None:
            continue
        code, in_place_ok = DERIVATIVES[steps[0].op]
        in_place = in_place_ok and all(readers.get(s.out, 0) == 1 for s in steps)
        if not in_place:
            if spent + merged.nbytes > budget:
                _blocks(em, store, steps, merged, before)
                continue
            spent += merged.nbytes
        d = merged if in_place else np.empty(merged.shape, merged.dtype)
        o, s = em.const(merged, "k"), em.const(d, "k")
        lines.append(code.format(o=o, s=s, **_names(em, steps[0])))
        for k, step in enumerate(steps):
            step.attrs["deriv"] = em.const(d[k], "k")
    if lines:
        em.line("global derived")
        em.line("if not derived:")
        em.lines.extend(f"    {x}" for x in lines)
        em.line("    derived = True")
    return before


def _names(em: Emitter, step: Step) -> dict[str, str]:
    """Constants a derivative's code reads besides {o} and {s} (a fused op's columns)."""
    names = getattr(KERNELS[step.op], "derivative_names", None)
    return names(em, step) if names is not None else {}


def _blocks(
    em: Emitter, store: Storage, steps: list[Step], merged: np.ndarray, before: dict
) -> None:
    """Derivatives of ``steps`` (in time order) in blocks of K steps, each computed
    into one (K, ...) buffer just before the backward reaches its last step: two
    calls per block instead of two per step, in memory that does not grow with T."""
    k = max(2, BLOCK_BYTES // max(1, merged[0].nbytes))
    if k >= len(steps):
        k = len(steps)
    d = np.empty((k, *merged.shape[1:]), merged.dtype)
    store.nbytes += d.nbytes
    code = DERIVATIVES[steps[0].op][0]
    for lo in range(0, len(steps), k):
        block = steps[lo : lo + k]
        n = len(block)
        o, s = em.const(merged[lo : lo + n], "k"), em.const(d[:n], "k")
        code_k = code.format(o=o, s=s, **_names(em, steps[0]))
        before[max(block, key=lambda st: st.index)] = [code_k]
        for j, step in enumerate(block):
            step.attrs["deriv"] = em.const(d[j], "k")


def _regular(arrays: list[np.ndarray], addresses: list[int]) -> np.ndarray | None:
    """One (n, *shape) view over arrays (at ``addresses``, in order) at a constant
    stride in memory, or None."""
    first = arrays[0]
    step = addresses[1] - addresses[0]
    if step <= 0:
        return None
    for b in arrays:
        if b.shape != first.shape or b.strides != first.strides:
            return None
    for a, b in itertools.pairwise(addresses):
        if b - a != step:
            return None
    if np.shares_memory(arrays[0], arrays[1]):
        return None
    # Every element of the view lies in one of the arrays (same layout, constant stride).
    return as_strided(first, (len(arrays), *first.shape), (step, *first.strides))


def backward_readers(gp: GradPlan, root: Callable[[Value], Value]) -> dict[Value, int]:
    """How many backward reads the storage of each forward value has (kernel needs and
    weight GEMMs), counted on ``root(v)``, the value owning the storage (a view is read
    where its base is)."""
    counts: dict[Value, int] = {}

    def read(v: Value) -> None:
        r = root(v)
        counts[r] = counts.get(r, 0) + 1

    for step in gp.active:
        kern: Any = KERNELS[step.op]
        for k in kern.needs(step):
            read(step.out if k == "out" else step.inputs[k])
    for w in gp.slots.values():
        for st, k in w.outers:  # the a of each deferred a^T g
            read(st.inputs[KERNELS[st.op].outer(st)[k]])
    return {v: counts.get(root(v), 0) for v in {s.out for s in gp.active}}
