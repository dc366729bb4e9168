"""One workload end to end: build every step, check it, time it, measure memory."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

import numpy as np

from . import memory
from .checks import compare
from .implementations import IMPLEMENTATIONS, REFERENCE
from .timing import Progress, summarize, time_interleaved
from .workloads import Problem, Step, build_workload

MEMORY_BUILD = ("manual", "eager", "compiled")


def _build_and_check(
    p: Problem, impls: list[str], rtol: float
) -> tuple[dict[str, Step], dict, float, dict[str, float]]:
    """Every step built and run once (CPU ms of that first call recorded: for a compiled
    step it includes the capture), and checked against the reference's result."""
    steps: dict[str, Step] = {}
    first_ms: dict[str, float] = {}
    results = {}
    for k in impls:
        c0 = time.process_time()
        steps[k] = IMPLEMENTATIONS[k].make(p)
        results[k] = steps[k]()
        first_ms[k] = (time.process_time() - c0) * 1e3
    ref = results[REFERENCE]
    checks = {}
    for k, res in results.items():
        if k != REFERENCE:
            errs = compare(res, ref)
            checks[k] = {"errors": errs, "ok": all(v <= rtol for v in errs.values())}
    return steps, checks, ref[0], first_ms


def run_workload(
    name: str,
    impls: list[str],
    repeat: int,
    warmup: int,
    rtol: float,
    min_sample: float,
    progress: Progress,
) -> dict[str, Any]:
    """Check and time every implementation on workload ``name``; W4 adds peak memory."""
    p = build_workload(name)
    progress(f"{name}: building and checking {', '.join(impls)}")
    steps, checks, loss, first_ms = _build_and_check(p, impls, rtol)
    progress(f"{name}: timing, {repeat} interleaved rounds")
    samples = time_interleaved(
        steps, repeat, warmup, min_sample, lambda msg: progress(f"{name}: {msg}")
    )
    result: dict[str, Any] = {
        "workload": asdict(p.workload),
        "loss": loss,
        "check_rtol": rtol,
        "checks": checks,
        "first_call_cpu_ms": first_ms,
        "timing": summarize(samples, REFERENCE),
    }
    if name == "W4":
        progress(f"{name}: peak memory")
        result["peak_memory_bytes"] = {k: memory.peak_memory(s) for k, s in steps.items()}
        # building + three steps: the target compares compiled with manual; torch's
        # allocator is invisible and HIPS autograd is slow under tracemalloc
        result["peak_memory_build_3_steps_bytes"] = {
            k: memory.peak_memory_build(lambda k=k: IMPLEMENTATIONS[k].make(p))
            for k in steps
            if k in MEMORY_BUILD
        }
        result["peak_memory_note"] = memory.NOTE
    return result


def run_scaling(
    impls: list[str], repeat: int, warmup: int, min_sample: float, progress: Progress
) -> dict[str, Any]:
    """Step time at T=100 and T=1000 with W4's other sizes, interleaved in one run."""
    steps = {}
    for T in (100, 1000):
        p = build_workload("W4", T=T)
        for k in impls:
            steps[f"{k} T={T}"] = IMPLEMENTATIONS[k].make(p)
    progress(f"scaling: timing {len(steps)} steps, {repeat} interleaved rounds")
    samples = time_interleaved(steps, repeat, warmup, min_sample)
    med = {k: float(np.median(v)) * 1e3 for k, v in samples.cpu.items()}
    return {
        "sizes": "GRU I=64 H=64 V=64 B=8",
        "cpu_median_ms": med,
        "cpu_min_max_ms": {k: [min(v) * 1e3, max(v) * 1e3] for k, v in samples.cpu.items()},
        "ratio_T1000_over_T100": {
            k: float(np.median(np.divide(samples.cpu[f"{k} T=1000"], samples.cpu[f"{k} T=100"])))
            for k in impls
        },
        "target": "at most 11",
    }
