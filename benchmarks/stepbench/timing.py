"""Interleaved timing in one process, CPU time beside wall time, and per-round ratios.

CPU time (``time.process_time``) counts only the cycles this process ran; wall time
(``time.perf_counter``) also counts the time it sat descheduled while other processes
ran. On a busy machine the longer a step is, the more often it is descheduled, so wall
time inflates the slower implementation's ratio; CPU time, with BLAS on one thread, does
not. Both are recorded; ratios are taken round by round against the reference sample of
the same round, so a load change between rounds cancels out.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .workloads import Step

Progress = Callable[[str], None]


@dataclass
class Samples:
    """Seconds per step, one sample per round: ``cpu[name][r]``, ``wall[name][r]``;
    ``inner[name]`` steps were run back to back (and averaged) in each sample."""

    cpu: dict[str, list[float]] = field(default_factory=dict)
    wall: dict[str, list[float]] = field(default_factory=dict)
    inner: dict[str, int] = field(default_factory=dict)


def _clock(step: Step, n: int) -> tuple[float, float]:
    """CPU and wall seconds per step over n steps back to back."""
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(n):
        step()
    return (time.process_time() - c0) / n, (time.perf_counter() - w0) / n


def calibrate(steps: dict[str, Step], warmup: int, min_sample: float) -> dict[str, int]:
    """Run ``warmup`` untimed rounds, then choose for each step how many back-to-back runs
    make one sample last at least ``min_sample`` CPU seconds (the clock's granularity and
    one-off interruptions then matter less for sub-millisecond steps)."""
    for _ in range(warmup):
        for s in steps.values():
            s()
    inner = {}
    for name, s in steps.items():
        cpu, _ = _clock(s, 1)
        inner[name] = max(1, min(1000, math.ceil(min_sample / max(cpu, 1e-6))))
    return inner


def time_interleaved(
    steps: dict[str, Step],
    repeat: int,
    warmup: int = 2,
    min_sample: float = 0.02,
    progress: Progress | None = None,
) -> Samples:
    """``repeat`` rounds; each round samples every step once, starting one later in the
    list each round (A B C, B C A, C A B, ...) so no step always follows the same one."""
    inner = calibrate(steps, warmup, min_sample)
    out = Samples({k: [] for k in steps}, {k: [] for k in steps}, inner)
    names = list(steps)
    for r in range(repeat):
        for i in range(len(names)):
            name = names[(r + i) % len(names)]
            cpu, wall = _clock(steps[name], inner[name])
            out.cpu[name].append(cpu)
            out.wall[name].append(wall)
        if progress is not None and repeat >= 4 and r + 1 == repeat // 2:
            progress(f"round {r + 1}/{repeat}")
    return out


def _spread(values: np.ndarray) -> dict[str, float]:
    return {
        "median": float(np.median(values)),
        "min": float(np.min(values)),
        "max": float(np.max(values)),
    }


def summarize(samples: Samples, ref: str) -> dict[str, dict]:
    """Per implementation: CPU and wall ms per step (median, min, max) and the ratio to
    ``ref`` taken round by round (median, min, max), for CPU and for wall time."""
    out = {}
    ref_cpu, ref_wall = np.array(samples.cpu[ref]), np.array(samples.wall[ref])
    for name in samples.cpu:
        cpu, wall = np.array(samples.cpu[name]), np.array(samples.wall[name])
        out[name] = {
            "cpu_ms": _spread(cpu * 1e3),
            "wall_ms": _spread(wall * 1e3),
            "cpu_ratio": _spread(cpu / ref_cpu),
            "wall_ratio": _spread(wall / ref_wall),
            "steps_per_sample": samples.inner[name],
            "cpu_samples_ms": (cpu * 1e3).tolist(),
            "wall_samples_ms": (wall * 1e3).tolist(),
        }
    return out
