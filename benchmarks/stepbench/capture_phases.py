"""Where the first call of a compiled step spends its time, phase by phase.

The first call of ``minigrad.compile(loss_fn)`` runs the function once under the tracer,
plans a program and generates, compiles and runs it (see docs/compile.md). Each phase
is one function of ``minigrad.compile``; while measuring, each is wrapped with a CPU
clock (``time.process_time``) that counts its *own* time (a phase called inside another
is taken out of the outer one), and the compiled function is captured afresh
``--repeat`` times. Printed: the median CPU ms of each phase, its share, and the median
first call (the call and its ``backward()``, as ``rnn_step.py`` times it).

    python benchmarks/stepbench/capture_phases.py --workload W2 W4
    python benchmarks/stepbench/capture_phases.py --workload W2 --repeat 20

BLAS runs on ``--blas-threads`` threads (default 1), set before NumPy is imported, as in
``rnn_step.py``; the header says what is in force and the load average at the start,
the last line the load average at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    # Run as a script, the folder on sys.path is this one; stepbench lives one up.
    here, benchmarks = Path(__file__).resolve().parent, Path(__file__).resolve().parents[1]
    if sys.path and Path(sys.path[0]).resolve() == here:
        sys.path[0] = str(benchmarks)
    elif str(benchmarks) not in sys.path:
        sys.path.insert(0, str(benchmarks))

from stepbench import threads  # imports no NumPy: the BLAS threads must be set first

if __name__ == "__main__":
    threads.set_env(threads.from_argv(sys.argv))

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import minigrad
import minigrad.compile.arena as arena_mod
import minigrad.compile.codegen as codegen_mod
import minigrad.compile.plan as plan_mod
import minigrad.compile.program as program_mod
from stepbench.machine import format_load, load_average, machine_info
from stepbench.minigrad_steps import build_model
from stepbench.workloads import WORKLOADS, Problem, build_workload

# (label, module or class, attribute): the functions timed, in the order they run
PHASES: list[tuple[str, Any, str]] = [
    ("liveness and placement", program_mod, "plan_forward"),
    ("fusion", plan_mod, "fuse_siblings"),
    ("gradient plan", program_mod, "plan_grads"),
    ("lifetimes and arena layout", program_mod, "allocate"),
    ("code generation", program_mod, "generate"),
    ("hoisted derivatives", codegen_mod, "hoist"),
    ("roll", codegen_mod, "roll"),
    ("compile()", codegen_mod, "_define"),
    ("real arena", arena_mod.Arena, "materialize"),
    ("first replay: forward", program_mod.Program, "run"),
    ("first replay: backward", program_mod.Program, "_vjp"),
]
TRACE = "trace (the function, eager, under the tracer)"
OTHER = "other (key, guards, outputs, releasing the trace)"
EAGER = "for scale: the eager forward (not part of the call)"


class PhaseClock:
    """CPU time per label, each call's own (time spent in nested timed calls is
    charged to them, not to the caller)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self._inner: list[float] = []

    def wrap(self, label: str, fn: Callable) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Any:
            t0 = time.process_time()
            self._inner.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                dt = time.process_time() - t0
                inner = self._inner.pop()
                self.totals[label] = self.totals.get(label, 0.0) + dt - inner
                if self._inner:
                    self._inner[-1] += dt

        return timed


@contextmanager
def timed_phases(clock: PhaseClock) -> Iterator[None]:
    """Wrap every phase function with ``clock`` for the duration of the block."""
    saved = [(owner, name, owner.__dict__[name]) for _, owner, name in PHASES]
    try:
        for label, owner, name in PHASES:
            setattr(owner, name, clock.wrap(label, owner.__dict__[name]))
        yield
    finally:
        for owner, name, fn in saved:
            setattr(owner, name, fn)


def first_call_phases(p: Problem, repeat: int) -> tuple[dict[str, list[float]], list[float]]:
    """CPU seconds per phase over ``repeat`` fresh captures of the compiled step of
    ``p``, and the first calls' (each the call and its backward). Each capture follows
    an eager run of the same function (its forward timed as ``EAGER``, then its
    backward), for scale."""
    loss_fn, _, _ = build_model(p)
    x = minigrad.Tensor(p.x)
    per: dict[str, list[float]] = {}
    totals = []
    for _ in range(repeat):
        t0 = time.process_time()
        loss = loss_fn(x)
        per.setdefault(EAGER, []).append(time.process_time() - t0)
        loss.backward()
        clock = PhaseClock()
        step = minigrad.compile(clock.wrap(TRACE, loss_fn))
        with timed_phases(clock):
            t0 = time.process_time()
            step(x).backward()
            total = time.process_time() - t0
        totals.append(total)
        clock.totals[OTHER] = total - sum(clock.totals.values())
        for label, t in clock.totals.items():
            per.setdefault(label, []).append(t)
    return per, totals


def print_phases(workload: str, per: dict[str, list[float]], totals: list[float]) -> None:
    first = statistics.median(totals)
    print(f"\n{workload}: first call, median of {len(totals)} captures: {first * 1e3:.1f} CPU ms")
    order = [TRACE, *(label for label, _, _ in PHASES), OTHER]
    for label in order:
        if label in per:
            ms = statistics.median(per[label]) * 1e3
            print(f"  {label:51s} {ms:9.1f} ms  {ms / (first * 1e3):6.1%}")
    if EAGER in per:
        eager = statistics.median(per[EAGER]) * 1e3
        trace = statistics.median(per[TRACE]) * 1e3
        print(f"  {EAGER:51s} {eager:9.1f} ms  (the trace: {trace / eager:.1f} eager forwards)")


def header(pinned: dict[str, Any], info: dict[str, Any]) -> str:
    """The versions, the BLAS threads in force and the load average at the start."""
    return (
        f"python {info['python']}, numpy {info['numpy']}, {info['cpu_count']} CPUs; "
        f"{threads.describe(pinned)}\n"
        f"start: {format_load(info['loadavg_start'])}"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workload", nargs="+", default=["W2", "W4"], help="W1 W2 W3 W4")
    ap.add_argument("--repeat", type=int, default=5, help="fresh captures per workload")
    ap.add_argument("--blas-threads", type=int, default=threads.DEFAULT, help="BLAS threads")
    args = ap.parse_args(argv)
    for name in args.workload:
        if name not in WORKLOADS:
            ap.error(f"unknown workload {name!r}; choose from {list(WORKLOADS)}")
    print(header(threads.pin(args.blas_threads, None), machine_info()))
    for name in args.workload:
        per, totals = first_call_phases(build_workload(name), args.repeat)
        print_phases(name, per, totals)
    print(f"\nend: {format_load(load_average())}")


if __name__ == "__main__":
    main()
