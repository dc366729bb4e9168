"""Per-op overhead of minigrad, and the cost of backpropagating a very long chain.

1. Forward + backward of ``y = x.tanh(); y.backward(g)`` on a 1x32 float32 tensor
   (explicit cotangent g, so the number is one recorded op and its vjp, with no
   extra sum node), in microseconds per iteration, beside NumPy's bare
   ``np.tanh`` on the same array. Each sample times many iterations; the median over
   samples is reported after a warm-up.
2. A 100,000-node chain ``x = x * 1.0001`` (0-d float64): forward (recording) and
   backward times, reported separately.

Every time is taken twice: in CPU time of this process (``time.process_time_ns``), the
figure to compare, since a shared machine deschedules a process now and then and wall
time counts those pauses; and in wall time (``time.perf_counter_ns``) beside it. The
load average is printed with the results.

Run: ``python benchmarks/op_overhead.py [--json PATH]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stepbench.machine import format_load, load_average

import minigrad


def timed(fn: Callable[[], object]) -> tuple[object, int, int]:
    """``fn()``, its CPU time and its wall time (ns)."""
    cpu0, wall0 = time.process_time_ns(), time.perf_counter_ns()
    out = fn()
    return out, time.process_time_ns() - cpu0, time.perf_counter_ns() - wall0


def median_us(fn: Callable[[], object], iters: int, samples: int, warmup: int = 200) -> dict:
    """Medians over ``samples`` of the mean CPU and wall time per call (µs) over
    ``iters`` calls: ``{"cpu": ..., "wall": ...}``."""
    for _ in range(warmup):
        fn()

    def run() -> None:
        for _ in range(iters):
            fn()

    cpu, wall = [], []
    for _ in range(samples):
        _, c, w = timed(run)
        cpu.append(c / iters / 1e3)
        wall.append(w / iters / 1e3)
    return {"cpu": statistics.median(cpu), "wall": statistics.median(wall)}


def op_overhead(iters: int, samples: int) -> dict[str, float]:
    data = np.random.default_rng(0).standard_normal((1, 32)).astype(np.float32)
    x = minigrad.Tensor(data, requires_grad=True)
    g = np.ones((1, 32), np.float32)

    def fwd_bwd() -> None:
        x.tanh().backward(g)

    def fwd_only() -> None:
        x.tanh()

    def bare() -> None:
        np.tanh(data)

    cases = {"numpy_tanh": bare, "minigrad_tanh_forward": fwd_only}
    cases["minigrad_tanh_forward_backward"] = fwd_bwd
    results = {}
    for name, fn in cases.items():
        times = median_us(fn, iters, samples)
        results[f"{name}_cpu_us"], results[f"{name}_wall_us"] = times["cpu"], times["wall"]
    return results


def long_chain(n: int, repeats: int) -> dict[str, float]:
    times: dict[str, list[float]] = {"forward_cpu": [], "forward_wall": []}
    times.update({"backward_cpu": [], "backward_wall": []})
    for _ in range(repeats):
        x = minigrad.Tensor(np.array(1.0), requires_grad=True)
        gc.collect()

        def chain(x=x):
            y = x
            for _ in range(n):
                y = y * 1.0001
            return y

        y, cpu, wall = timed(chain)
        times["forward_cpu"].append(cpu / 1e6)
        times["forward_wall"].append(wall / 1e6)
        _, cpu, wall = timed(y.backward)
        times["backward_cpu"].append(cpu / 1e6)
        times["backward_wall"].append(wall / 1e6)
        expected = 1.0001**n
        assert np.isclose(x.grad, expected), (x.grad, expected)
        del x, y
    medians = {f"chain_{k}_ms": statistics.median(v) for k, v in times.items()}
    return {"chain_nodes": n, **medians}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--iters", type=int, default=2000, help="calls per timing sample")
    parser.add_argument("--samples", type=int, default=25, help="timing samples per case")
    parser.add_argument("--chain", type=int, default=100_000, help="nodes in the long chain")
    parser.add_argument("--chain-repeats", type=int, default=3)
    args = parser.parse_args(argv)

    load_before = load_average()
    results = {
        **op_overhead(args.iters, args.samples),
        **long_chain(args.chain, args.chain_repeats),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "load_average": [load_before, load_average()],
    }
    rows = [
        ("np.tanh, (1, 32) float32", "numpy_tanh", "us"),
        ("x.tanh() forward only", "minigrad_tanh_forward", "us"),
        ("x.tanh().backward(g)", "minigrad_tanh_forward_backward", "us"),
        (f"chain x*1.0001 x{args.chain:,}: forward", "chain_forward", "ms"),
        (f"chain x*1.0001 x{args.chain:,}: backward", "chain_backward", "ms"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'case (medians)':<{width}}  {'CPU':>13}  {'wall':>13}")
    for label, key, unit in rows:
        cpu, wall = results[f"{key}_cpu_{unit}"], results[f"{key}_wall_{unit}"]
        shown = "µs" if unit == "us" else unit
        print(f"{label:<{width}}  {cpu:>10.2f} {shown}  {wall:>10.2f} {shown}")
    print(f"(Python {results['python']}, NumPy {results['numpy']}, {results['machine']})")
    print(f"before: {format_load(load_before)}; after: {format_load(load_average())}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
