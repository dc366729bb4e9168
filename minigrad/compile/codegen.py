"""Turn a plan into two straight-line Python functions, ``forward`` and ``backward``.

Every planned array is a global of the generated module (``v12`` a value, ``g12`` its
gradient, ``k…``/``i…`` constants and precomputed views, ``s…`` scratch); the arrays of
inputs, parameters and constants are rebound before each call. Each line is one or two
NumPy calls writing into a planned buffer, so a replay does no Python bookkeeping
beyond the calls themselves. ``Program.source`` shows the result.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..ops.core import unbroadcast
from .gradplan import GradPlan, Slot
from .hoist import backward_readers, hoist
from .kernels import KERNELS, NUMPY_NAMES, Emitter, Target
from .memory import Storage, forward_root
from .plan import ForwardPlan
from .roll import roll
from .trace import Value

__all__ = ["Code", "generate"]


def base_env() -> dict[str, Any]:
    env: dict[str, Any] = {n: getattr(np, n) for n in sorted(NUMPY_NAMES)}
    env["unbroadcast"] = unbroadcast
    env["add_into"] = lambda t, r: np.add(t, r, t)
    env["derived"] = False
    return env


class _Refs(Emitter):
    """An emitter that also names traced values."""

    def ref(self, x: Any) -> str:
        return f"v{x.index}" if isinstance(x, Value) else self.const(x, "k")


class Code:
    """The generated lines of ``forward`` and ``backward`` (None without a backward),
    the environment they name, the names they assign and those to keep. It refers to
    no part of the trace or the plans, which can go before :meth:`build` rolls,
    compiles and prunes it."""

    def __init__(
        self, env: dict, fwd: list[str], bwd: list[str] | None, names: list[str], keep: set[str]
    ) -> None:
        self.env, self.fwd, self.bwd, self.names, self.keep = env, fwd, bwd, names, keep

    def build(self) -> tuple[dict, str]:
        """The environment with the compiled functions, and the program's source."""
        env, names = self.env, self.names
        fwd = roll(self.fwd, env, set(names))
        self.fwd = []
        src = _function("forward", fwd, names)
        _define(env, "forward", fwd, names)
        bwd: list[str] = []
        if self.bwd is not None:
            bwd = roll(self.bwd, env, set(names))
            self.bwd = []
            src += "\n\n\n" + _function("backward", bwd, names)
            _define(env, "backward", bwd, names)
        _prune(env, (*fwd, *bwd, *names), self.keep)
        return env, src


def generate(fp: ForwardPlan, gp: GradPlan | None, store: Storage) -> Code:
    """The lines of the program and the environment (planned arrays included)."""
    env = base_env()
    em = _Refs(env)
    for v, a in store.values.items():
        if a is not None:
            env[f"v{v.index}"] = a
    bound_views = _forward(em, fp, store)
    fwd = em.lines
    bwd: list[str] | None = None
    if gp is not None:
        for slot, a in store.grads.items():
            env[f"g{slot.index}"] = a
        em.lines, em.prelude = [], []
        _backward(em, fp, gp, store)
        bwd = em.prelude + em.lines
    names = {*bound_views, *_assigned(bwd or []), *_assigned(fwd)} - {"global derived"}
    return Code(env, fwd, bwd, sorted(names), {f"v{v.index}" for v in fp.outputs})


_NAME = re.compile(r"[A-Za-z_]\w*")


def _prune(env: dict, lines: tuple[str, ...], keep: set[str]) -> None:
    """Drop the arrays no line names (views of aliased gradients, regions whose owner
    writes them through another name): a long sequence has tens of thousands. The
    names are collected line by line: one list of every identifier of a long program
    would be its largest allocation."""
    used = set(keep)
    for x in lines:
        used.update(_NAME.findall(x))
    kept = [(k, v) for k, v in env.items() if k in used or not isinstance(v, np.ndarray)]
    # The compiled code's names are interned strings: keys equal to them share their
    # storage, and the table, emptied and refilled, no longer spans the dropped names.
    env.clear()
    env.update((sys.intern(k), v) for k, v in kept)


# Generated functions are compiled in pieces of at most this many lines: compiling one
# function of a hundred thousand lines would take hundreds of megabytes at once.
CHUNK = 500


def _assigned(lines: list[str]) -> set[str]:
    """Names the lines assign at the top level (views bound per call, transposes)."""
    out = set()
    for x in lines:
        if not x.startswith(" ") and " = " in x and not x.startswith("#"):
            out.update(n.strip() for n in x.split(" = ", 1)[0].split(","))
    out.discard("global derived")
    return out | ({"derived"} if any(x == "global derived" for x in lines) else set())


def _function(name: str, lines: list[str], names: list[str]) -> str:
    body = [x for x in lines if x != "global derived"]
    used = [n for n in names if any(n in x for x in body)]
    head = [f"def {name}():"] + ([f"    global {', '.join(used)}"] if used else [])
    return "\n".join(head + [f"    {x}" for x in body or ["pass"]])


def _define(env: dict, name: str, lines: list[str], names: list[str]) -> None:
    """Compile ``name()`` from ``lines``, in pieces that split only at top-level lines."""
    pieces: list[list[str]] = [[]]
    for x in lines:
        if len(pieces[-1]) >= CHUNK and not x.startswith(" "):
            pieces.append([])
        pieces[-1].append(x)
    if len(pieces) == 1:
        exec(compile(_function(name, lines, names), "<minigrad.compile program>", "exec"), env)
        return
    calls = []
    for i, piece in enumerate(pieces):
        part = f"{name}_{i}"
        exec(compile(_function(part, piece, names), "<minigrad.compile program>", "exec"), env)
        calls.append(f"{part}()")
    exec(compile(_function(name, calls, []), "<minigrad.compile program>", "exec"), env)


def _forward(em: _Refs, fp: ForwardPlan, store: Storage) -> list[str]:
    bound_views = []
    for step in fp.live:
        kern: Any = KERNELS[step.op]
        o = f"v{step.out.index}"
        ins = [f"v{x.index}" for x in step.inputs]
        if fp.place[step.out][0] == "view" and step.out not in store.copied:
            if store.values.get(step.out) is None:
                em.line(f"{o} = {kern.view_code(step, ins[0])}")
                bound_views.append(o)
            continue
        n = len(em.lines)
        kern.forward(em, step, o, ins)
        if len(em.lines) > n:
            em.lines.insert(n, f"# {step.op} {'/'.join(step.scope)}".rstrip())
    return bound_views


def _backward(em: _Refs, fp: ForwardPlan, gp: GradPlan, store: Storage) -> None:
    written: set[Slot] = set()
    before = hoist(em, gp, store, backward_readers(gp, lambda v: forward_root(fp, v)))
    for j, v in enumerate(gp.seeds):
        em.line(f"copyto(g{v.index}, seed{j})")
        written.add(gp.slots[v])
    pending = _deferred_blocks(gp)
    for step in gp.active:
        em.lines.extend(before.get(step, ()))
        kern: Any = KERNELS[step.op]
        outer = {*kern.outer(step), *kern.rowsum(step)}
        ts: list[Target | None] = []
        for k, x in enumerate(step.inputs):
            slot = gp.slots.get(x) if x.needs_grad else None
            if slot is None or k in outer:
                ts.append(None)
                continue
            if (step.index, k) in slot.skip:
                mode = "skip"
            else:
                mode = "add" if slot in written else "write"
            written.add(slot)
            ts.append(Target(f"g{x.index}", x.shape, mode))
        if any(t is not None and t.mode != "skip" for t in ts):
            em.line(f"# d {step.op} {'/'.join(step.scope)}".rstrip())
            ins = [f"v{x.index}" for x in step.inputs]
            kern.backward(em, step, f"g{step.out.index}", ins, f"v{step.out.index}", ts)
        for k in outer:
            block = pending.get((step.index, k))
            if block is None:
                continue
            block[0] -= 1
            if block[0] == 0:
                _, w, kind, uses = block
                grad = _weight_grad if kind == "outer" else _bias_grad
                grad(em, gp, store, w, uses, w in written)
                written.add(w)


def _deferred_blocks(gp: GradPlan) -> dict[tuple[int, int], list]:
    """Per deferred use ``(step index, input)``: its block's ``[uses left, weight,
    "outer" | "sum", uses]``, one list shared by the block's uses (its sum is emitted
    when the count reaches 0)."""
    blocks: dict[tuple[int, int], list] = {}
    for w in gp.slots.values():
        for kind, uses in (("outer", w.outers), ("sum", w.sums)):
            if not uses:
                continue
            for b in w.blocks(uses):
                rec = [len(b), w, kind, b]
                for st, k in b:
                    blocks[(st.index, k)] = rec
    return blocks


def _weight_grad(
    em: _Refs, gp: GradPlan, store: Storage, w: Slot, uses: list, written: bool
) -> None:
    """sum over ``uses`` of a^T g, one GEMM per run of adjacent rows."""
    pairs = []
    for step, k in uses:
        j = KERNELS[step.op].outer(step)[k]
        a = step.inputs[j]
        pairs.append((store.values.get(a), f"v{a.index}", store.grads[gp.slots[step.out]]))
    planned = sorted(
        ((p[0].ctypes.data, p[2].ctypes.data, p) for p in pairs if p[0] is not None),
        key=lambda q: q[0],
    )
    groups = _runs(planned) + [[p] for p in pairs if p[0] is None]
    t = f"g{w.index}"
    em.line(f"# d weight {w.value.shape}: {len(pairs)} uses in {len(groups)} GEMM(s)")
    same = all(st.inputs[KERNELS[st.op].outer(st)[k]].dtype == w.value.dtype for st, k in uses)
    for grp in groups:
        if grp[0][0] is None:
            a_t = f"{grp[0][1]}.T"
            g = em.const(grp[0][2], "k")
        else:
            a_t = em.const(_merge([p[0] for p in grp]).T, "k")
            g = em.const(_merge([p[2] for p in grp]), "k")
        if written:
            # A later block is summed into the gradient: its product goes to a buffer
            # laid out as the gradient (W^T's is a view of W's), so the sum is one pass.
            order = "F" if _f_only(em.env.get(t)) else "C"
        out = t if not written else em.scratch(w.value.shape, w.value.dtype, 9, order)
        code = em.product(a_t, g, out) if same and len(w.value.shape) == 2 else None
        code = code or f"matmul({a_t}, {g}, {out})"
        em.line(code if not written else f"{code}; add({t}, {out}, {t})")
        written = True


def _f_only(a: Any) -> bool:
    """Whether ``a`` is a 2-D array laid out column by column only (a transposed view)."""
    return (
        isinstance(a, np.ndarray)
        and a.ndim == 2
        and a.flags.f_contiguous
        and not a.flags.c_contiguous
    )


def _bias_grad(em: _Refs, gp: GradPlan, store: Storage, w: Slot, uses: list, written: bool) -> None:
    """sum over ``uses`` of g summed over its rows: one reduction per run of adjacent rows."""
    gs = sorted(
        ((g.ctypes.data, g) for g in (store.grads[gp.slots[st.out]] for st, _ in uses)),
        key=lambda q: q[0],
    )
    groups: list[list[np.ndarray]] = []
    last = None
    for q in gs:
        if last is not None and _follows(last, q):
            groups[-1].append(q[1])
        else:
            groups.append([q[1]])
        last = q
    t = f"g{w.index}"
    em.line(f"# d bias {w.value.shape}: {len(gs)} uses in {len(groups)} reduction(s)")
    for grp in groups:
        g = em.const(_merge(grp), "k")
        if not written:
            em.line(f"add.reduce({g}, 0, None, {t})")
            written = True
        else:
            s = em.scratch(w.value.shape, w.value.dtype, 10)
            em.line(f"add.reduce({g}, 0, None, {s}); add({t}, {s}, {t})")


def _runs(planned: list) -> list[list]:
    """Split (a, name, g) triples, given as (address of a, address of g, triple) sorted
    by a's address, into runs where both the a's and the g's follow each other in
    memory with the same layout."""
    runs: list[list] = []
    last = None
    for q in planned:
        p = q[2]
        if last is not None and _follows((last[0], last[2][0]), (q[0], p[0])):
            if _follows((last[1], last[2][2]), (q[1], p[2])):
                runs[-1].append(p)
                last = q
                continue
        runs.append([p])
        last = q
    return runs


def _follows(x: tuple[int, np.ndarray], y: tuple[int, np.ndarray]) -> bool:
    """Whether the array of ``y`` (address, array) starts where that of ``x`` ends,
    with the same 2-D layout."""
    (xa, x_), (ya, y_) = x, y
    return (
        x_.ndim == 2
        and x_.shape == y_.shape
        and x_.strides == y_.strides
        and ya == xa + x_.shape[0] * x_.strides[0]
    )


def _merge(parts: list[np.ndarray]) -> np.ndarray:
    """One view over consecutive row blocks (checked by :func:`_follows`)."""
    first = parts[0]
    if len(parts) == 1:
        return first
    rows = first.shape[0] * len(parts)
    return as_strided(first, (rows, first.shape[1]), first.strides, writeable=False)
