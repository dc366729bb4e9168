"""Peak memory of one step under tracemalloc."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable

from .workloads import Step

NOTE = (
    "tracemalloc peak minus the traced memory before the step (Python objects and NumPy "
    "buffers); torch's allocator is invisible to tracemalloc, so the torch figures cover "
    "only Python-side objects"
)


def peak_memory(step: Step) -> int:
    """Peak traced (Python + NumPy) allocation during one step, minus the traced memory
    before it, in bytes. Torch's own allocator is not traced."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - base


def peak_memory_build(make: Callable[[], Step], steps: int = 3) -> int:
    """Peak traced allocation over building a step and running it ``steps`` times, minus
    the traced memory before, in bytes (a compiled step's plan and buffers count here)."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        step = make()
        for _ in range(steps):
            step()
        peak = tracemalloc.get_traced_memory()[1]
        del step
    finally:
        tracemalloc.stop()
    return peak - base
