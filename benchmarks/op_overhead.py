"""Per-op overhead of minigrad, and the cost of backpropagating a very long chain.

1. Forward + backward of ``y = x.tanh(); y.backward(g)`` on a 1x32 float32 tensor
   (explicit cotangent g, so the number is one recorded op and its vjp, with no
   extra sum node), in microseconds per iteration, beside NumPy's bare
   ``np.tanh`` on the same array. Each sample times many iterations with
   ``time.perf_counter_ns``; the median over samples is reported after a warm-up.
2. A 100,000-node chain ``x = x * 1.0001`` (0-d float64): forward (recording) and
   backward times, reported separately.

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
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import minigrad


def median_us(fn, iters: int, samples: int, warmup: int = 200) -> float:
    """Median over ``samples`` of the mean time per call (µs) over ``iters`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(samples):
        t0 = time.perf_counter_ns()
        for _ in range(iters):
            fn()
        times.append((time.perf_counter_ns() - t0) / iters / 1e3)
    return statistics.median(times)


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

    return {
        "numpy_tanh_us": median_us(bare, iters, samples),
        "minigrad_tanh_forward_us": median_us(fwd_only, iters, samples),
        "minigrad_tanh_forward_backward_us": median_us(fwd_bwd, iters, samples),
    }


def long_chain(n: int, repeats: int) -> dict[str, float]:
    fwd, bwd = [], []
    for _ in range(repeats):
        x = minigrad.Tensor(np.array(1.0), requires_grad=True)
        gc.collect()
        t0 = time.perf_counter_ns()
        y = x
        for _ in range(n):
            y = y * 1.0001
        t1 = time.perf_counter_ns()
        y.backward()
        t2 = time.perf_counter_ns()
        fwd.append((t1 - t0) / 1e6)
        bwd.append((t2 - t1) / 1e6)
        expected = 1.0001**n
        assert np.isclose(x.grad, expected), (x.grad, expected)
        del x, y
    return {
        "chain_nodes": n,
        "chain_forward_ms": statistics.median(fwd),
        "chain_backward_ms": statistics.median(bwd),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--iters", type=int, default=2000, help="calls per timing sample")
    parser.add_argument("--samples", type=int, default=25, help="timing samples per case")
    parser.add_argument("--chain", type=int, default=100_000, help="nodes in the long chain")
    parser.add_argument("--chain-repeats", type=int, default=3)
    args = parser.parse_args(argv)

    results = {
        **op_overhead(args.iters, args.samples),
        **long_chain(args.chain, args.chain_repeats),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
    }
    rows = [
        ("np.tanh, (1, 32) float32", results["numpy_tanh_us"], "µs"),
        ("x.tanh() forward only", results["minigrad_tanh_forward_us"], "µs"),
        ("x.tanh().backward(g)", results["minigrad_tanh_forward_backward_us"], "µs"),
        (f"chain x*1.0001 x{args.chain:,}: forward", results["chain_forward_ms"], "ms"),
        (f"chain x*1.0001 x{args.chain:,}: backward", results["chain_backward_ms"], "ms"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'case':<{width}}  {'median':>10}")
    for name, value, unit in rows:
        print(f"{name:<{width}}  {value:>10.2f} {unit}")
    print(f"(Python {results['python']}, NumPy {results['numpy']}, {results['machine']})")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
