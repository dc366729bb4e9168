"""Where an eager minigrad step spends its time: forward vs backward, then per op."""

from __future__ import annotations

import cProfile
import gc
import inspect
import os
import pstats
import sys
import time
from dataclasses import asdict
from typing import Any

import numpy as np

import minigrad
from minigrad.tape import Node

from .minigrad_steps import build_model, make_eager
from .workloads import Problem

# vjps shared by several ops, named after the ops that use them.
SHARED_VJPS = {
    "_times_out_vjp": "exp",
    "_select_vjp": "maximum",
    "_extreme_vjp": "max",
    "_mask_vjp": "clip",
    "_matmul_general_vjp": "matmul",
}


def _qualnames() -> dict[tuple[str, int], str]:
    """(file, first line) -> qualified name for minigrad's and rnn's functions and their
    closures (cProfile knows only the bare name, e.g. ``vjp``)."""
    names: dict[tuple[str, int], str] = {}

    def walk(code: Any) -> None:
        names[(code.co_filename, code.co_firstlineno)] = code.co_qualname
        for const in code.co_consts:
            if inspect.iscode(const):
                walk(const)

    mods = [m for n, m in list(sys.modules.items()) if n.split(".")[0] in ("minigrad", "rnn")]
    for mod in mods:
        src = getattr(mod, "__file__", None)
        if src and src.endswith(".py"):
            with open(src, encoding="utf-8") as f:
                walk(compile(f.read(), src, "exec"))
    return names


def _forward_backward_ms(p: Problem, rounds: int) -> tuple[float, float]:
    """Median CPU ms of the forward (layer + loss) and of ``backward``, without profiler."""
    loss_fn, _, _ = build_model(p)
    x = minigrad.tensor(p.x)
    fwd, bwd = [], []
    for _ in range(rounds):
        t0 = time.process_time()
        loss = loss_fn(x)
        t1 = time.process_time()
        loss.backward()
        fwd.append(t1 - t0)
        bwd.append(time.process_time() - t1)
    return float(np.median(fwd)) * 1e3, float(np.median(bwd)) * 1e3


def _nodes_by_op(loss: minigrad.Tensor) -> dict[str, int]:
    """How many recorded nodes of each op the loss's graph holds (iterative walk)."""
    counts: dict[str, int] = {}
    seen = {id(loss._node)}
    stack = [loss._node]
    while stack:
        node = stack.pop()
        counts[node.op] = counts.get(node.op, 0) + 1
        for parent in node.parents:
            if type(parent) is Node and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


class _GcClock:
    """CPU time spent inside the cyclic garbage collector, through ``gc.callbacks``."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.seconds += time.process_time() - self._start
            self.collections += 1


def census(p: Problem, rounds: int = 5) -> dict[str, Any]:
    """Nodes per step by op, CPU µs per recorded node in forward and in backward (NumPy
    work included), and the share of the step's CPU time spent in the garbage collector.
    The step runs as the benchmark runs it: the collector is left as the process has it."""
    loss_fn, params, _ = build_model(p)
    x = minigrad.tensor(p.x)
    clock = _GcClock()
    fwd, bwd, in_gc, total = [], [], [], []
    counts: dict[str, int] = {}
    gc.callbacks.append(clock)
    try:
        for k in range(rounds + 1):
            for q in params:
                q.grad = None
            before = clock.seconds
            t0 = time.process_time()
            loss = loss_fn(x)
            t1 = time.process_time()
            if k == 0:
                counts = _nodes_by_op(loss)
            loss.backward()
            del loss
            t2 = time.process_time()
            if k:  # the first round warms up
                fwd.append(t1 - t0)
                bwd.append(t2 - t1)
                total.append(t2 - t0)
                in_gc.append(clock.seconds - before)
    finally:
        gc.callbacks.remove(clock)
    nodes = sum(counts.values())
    return {
        "nodes": nodes,
        "nodes_per_time_step": nodes / p.workload.T,
        "nodes_by_op": counts,
        "forward_us_per_node": float(np.median(fwd)) * 1e6 / nodes,
        "backward_us_per_node": float(np.median(bwd)) * 1e6 / nodes,
        "step_cpu_ms_median": float(np.median(total)) * 1e3,
        "gc_share": float(np.sum(in_gc) / np.sum(total)),
        "gc_collections_per_step": clock.collections / rounds,
    }


def print_census(c: dict[str, Any], name: str) -> None:
    """The census as text."""
    by_op = ", ".join(f"{op} {n}" for op, n in c["nodes_by_op"].items())
    print(
        f"\nTape census of the eager step, {name}: {c['nodes']} nodes "
        f"({c['nodes_per_time_step']:.1f} per time step): {by_op}\n"
        f"  CPU per node: forward {c['forward_us_per_node']:.2f} µs, backward "
        f"{c['backward_us_per_node']:.2f} µs (NumPy work included); step "
        f"{c['step_cpu_ms_median']:.2f} ms, garbage collector {100 * c['gc_share']:.1f}% "
        f"({c['gc_collections_per_step']:.1f} collections per step)"
    )


def _op_of(q: str) -> tuple[str, str] | None:
    """(kind, op) for a module-level op function or vjp name, else None."""
    if "." in q:
        return None
    if q.endswith("_vjp"):
        # Each op records a module-level vjp named _<op>_vjp (a few are shared).
        return "backward", SHARED_VJPS.get(q, q[1:-4])
    if not q.startswith("_"):
        return "forward", q
    return None


def _per_op(stats: dict, qn: dict, root: str, rounds: int) -> dict[str, dict[str, float]]:
    per_op: dict[str, dict[str, float]] = {}
    ops_dir = os.path.join(root, "minigrad", "ops")
    for (file, line, _name), v in stats.items():
        if not file.startswith(ops_dir) and not file.endswith("functional.py"):
            continue
        kind_op = _op_of(qn.get((file, line), "."))
        if kind_op is None:
            continue
        kind, name = kind_op
        op = f"{os.path.splitext(os.path.basename(file))[0]}.{name}"
        entry = per_op.setdefault(op, {"forward": 0.0, "backward": 0.0, "calls": 0.0})
        entry[kind] += v[3] / rounds
        if kind == "forward":
            entry["calls"] += v[1] / rounds
    return dict(sorted(per_op.items(), key=lambda kv: -(kv[1]["forward"] + kv[1]["backward"])))


def profile_eager(p: Problem, rounds: int = 5, top: int = 25) -> dict[str, Any]:
    """Forward and backward CPU time of the eager step (no profiler), then cProfile's self
    time per function and, per op, the cumulative time of its forward and of its vjp."""
    step = make_eager(p)
    step()  # warm-up
    fwd_ms, bwd_ms = _forward_backward_ms(p, rounds)
    prof = cProfile.Profile(time.process_time)  # CPU time: a busy machine does not inflate it
    prof.enable()
    for _ in range(rounds):
        step()
    prof.disable()
    stats = pstats.Stats(prof).stats  # (file, line, name) -> (cc, nc, tt, ct, callers)
    qn = _qualnames()
    root = os.path.dirname(os.path.dirname(os.path.abspath(minigrad.__file__)))

    def label(key: tuple) -> str:
        file, line, name = key
        if file == "~":
            return name  # a builtin, e.g. <built-in method numpy...>
        q = qn.get((file, line), name)
        rel = os.path.relpath(file, root) if file.startswith(root) else os.path.basename(file)
        return f"{q} ({rel}:{line})"

    total = sum(v[2] for v in stats.values())
    self_time = sorted(
        ((label(k), v[2] / rounds, v[1] / rounds) for k, v in stats.items()), key=lambda r: -r[1]
    )[:top]
    return {
        "workload": asdict(p.workload),
        "rounds": rounds,
        "forward_cpu_ms_median": fwd_ms,
        "backward_cpu_ms_median": bwd_ms,
        "profiled_total_ms_per_step": total / rounds * 1e3,
        "self_time_top": [{"function": f, "self_ms": t * 1e3, "calls": c} for f, t, c in self_time],
        "per_op_cumulative": _per_op(stats, qn, root, rounds),
    }


def print_profile(prof: dict[str, Any]) -> None:
    """The profile as text: per op, then the top functions by self time."""
    w = prof["workload"]
    print(f"\nProfile of the eager minigrad step, {w['name']} ({prof['rounds']} steps)")
    print(
        f"  CPU time without profiler: forward {prof['forward_cpu_ms_median']:.2f} ms, "
        f"backward {prof['backward_cpu_ms_median']:.2f} ms (medians)"
    )
    total = prof["profiled_total_ms_per_step"]
    print(f"  under cProfile (CPU time): {total:.1f} ms per step (inflated by the profiler)")
    print("  per op (cumulative ms per step; forward = the op function, backward = its vjp):")
    print(f"    {'op':<34}{'forward':>10}{'backward':>10}{'calls':>9}")
    for op, e in list(prof["per_op_cumulative"].items())[:20]:
        print(
            f"    {op:<34}{e['forward'] * 1e3:>10.2f}{e['backward'] * 1e3:>10.2f}{e['calls']:>9.0f}"
        )
    print("  top functions by self time (ms per step):")
    for r in prof["self_time_top"]:
        print(f"    {r['self_ms']:>8.2f}  {r['calls']:>8.0f}x  {r['function']}")
    print(
        "  note: per-op figures are cumulative (they include NumPy and tape bookkeeping "
        "called inside); nested ops (functional composites) overlap."
    )
