"""The cost of forward mode and of second derivatives, against the first-order work.

Two measurements, each interleaved round-robin in one process (medians of ``--repeat``
samples after a warm-up, in wall-clock and in CPU time of this process; only ratios
measured in one run are compared):

1. **jvp through a long LSTM** (an ``rnn.LSTMCell`` unrolled over T steps, float64,
   I = H = 64, N = 8, T = 1000 by default): the time of ``minigrad.func.jvp`` of the
   final hidden state along a random direction of the whole input sequence, against
   the time of the forward alone, both under ``no_grad`` (no tape). Memory: the peak
   traced allocation of one call (tracemalloc) at T = 100 and T = 1000, for the
   forward, the jvp and a reverse-mode gradient of the same output, beyond the memory
   of the inputs.
2. **Hessian-vector product on a W1-sized LSTM** (the char-LSTM of rnn_step.py's W1:
   I = 65, H = 128, V = 65, T = 100, B = 32, one-hot input, linear readout and softmax
   cross-entropy, here in float64): ``minigrad.func.hvp`` with respect to every
   parameter (forward-over-reverse) against one gradient (forward + ``backward()``).

    python benchmarks/higher_order.py                 # both, default sizes
    python benchmarks/higher_order.py --repeat 5 --json out.json
    python benchmarks/higher_order.py --T 200 --only jvp
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

import minigrad
import rnn
from minigrad import Tensor, func
from minigrad.functional import cross_entropy, linear

F64 = np.float64


def interleaved(fns: dict[str, Callable[[], object]], repeat: int, warmup: int = 1) -> dict:
    """Median wall-clock and CPU seconds of each function, timed round-robin (gc paused
    while timing). CPU time (``process_time``: this process only, BLAS on one thread)
    is what other work on a shared machine disturbs least."""
    for _ in range(warmup):
        for f in fns.values():
            f()
    wall: dict[str, list[float]] = {k: [] for k in fns}
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, f in fns.items():
            gc.collect()
            gc.disable()
            t0, c0 = time.perf_counter(), time.process_time()
            f()
            cpu[k].append(time.process_time() - c0)
            wall[k].append(time.perf_counter() - t0)
            gc.enable()
    return {k: (float(np.median(wall[k])), float(np.median(cpu[k]))) for k in fns}


def peak_bytes(fn: Callable[[], object]) -> int:
    """Peak traced allocation during one call, beyond what was allocated before it and
    what it returns (the result is dropped before the peak is read)."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    result = fn()
    del result
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


# ------------------------------------------------------------------------------- jvp
def lstm_problem(T: int, I: int = 64, H: int = 64, N: int = 8, seed: int = 0):
    minigrad.manual_seed(seed)
    rng = np.random.default_rng(seed)
    cell = rnn.LSTMCell(I, H, dtype=F64)
    x = Tensor(rng.standard_normal((T, N, I)))
    v = Tensor(rng.standard_normal((T, N, I)))
    return cell, x, v


def jvp_costs(T: int, repeat: int) -> dict:
    cell, x, v = lstm_problem(T)

    def last_state(x: Tensor) -> Tensor:
        # The LSTM unrolled step by step, keeping only the running state: the forward
        # itself needs memory independent of T, so any growth is the mode's own.
        state = None
        for t in range(x.shape[0]):
            state = cell(x[t], state)
        return state[0]

    @minigrad.no_grad()
    def forward() -> object:
        return last_state(x)

    @minigrad.no_grad()
    def jvp() -> object:
        return func.jvp(last_state, (x,), (v,))

    def gradient() -> object:
        xg = Tensor(x.data, requires_grad=True)
        return minigrad.grad(last_state(xg).sum(), xg)

    times = interleaved({"forward": forward, "jvp": jvp}, repeat)
    return {
        "T": T,
        "forward_ms": 1e3 * times["forward"][0],
        "jvp_ms": 1e3 * times["jvp"][0],
        "ratio": times["jvp"][0] / times["forward"][0],
        "forward_cpu_ms": 1e3 * times["forward"][1],
        "jvp_cpu_ms": 1e3 * times["jvp"][1],
        "cpu_ratio": times["jvp"][1] / times["forward"][1],
        "peak_forward_bytes": peak_bytes(forward),
        "peak_jvp_bytes": peak_bytes(jvp),
        "peak_gradient_bytes": peak_bytes(gradient),
    }


# ------------------------------------------------------------------------------- hvp
def w1_problem(seed: int = 0, T: int = 100, B: int = 32, I: int = 65, H: int = 128, V: int = 65):
    minigrad.manual_seed(seed)
    rng = np.random.default_rng(seed)
    layer = rnn.LSTM(I, H, dtype=F64)
    k = 1.0 / np.sqrt(H)
    readout = {
        "weight": Tensor(rng.uniform(-k, k, (V, H)), requires_grad=True),
        "bias": Tensor(rng.uniform(-k, k, V), requires_grad=True),
    }
    x = Tensor(np.eye(I)[rng.integers(0, I, (T, B))])
    targets = rng.integers(0, V, T * B)
    return layer, readout, x, targets


def hvp_costs(repeat: int, **sizes: int) -> dict:
    layer, readout, x, targets = w1_problem(**sizes)
    T, B, _ = x.shape
    H = layer.hidden_size
    params = {**dict(layer.named_parameters()), **{f"readout.{k}": t for k, t in readout.items()}}
    rng = np.random.default_rng(1)
    direction = {k: Tensor(rng.standard_normal(p.shape)) for k, p in params.items()}

    def loss(p: dict) -> Tensor:
        lstm_params = {k: t for k, t in p.items() if not k.startswith("readout.")}
        out, _ = func.functional_call(layer, lstm_params, (x,))
        logits = linear(out.reshape(T * B, H), p["readout.weight"], p["readout.bias"])
        return cross_entropy(logits, targets)

    def gradient() -> object:
        for q in params.values():
            q.grad = None
        loss(params).backward()
        return [q.grad for q in params.values()]

    def hvp() -> object:
        return func.hvp(loss, (params,), (direction,))

    # Before timing: H v against central differences of the gradient along v.
    def grad_at(eps: float) -> dict:
        shifted = {k: Tensor(p.data + eps * direction[k].data) for k, p in params.items()}
        return func.grad(loss)(shifted)

    eps = 1e-5
    (_,), (hv,) = hvp()
    up, down = grad_at(eps), grad_at(-eps)
    check = max(
        float(np.abs((up[k].data - down[k].data) / (2 * eps) - hv[k].data).max())
        / max(1e-12, float(np.abs(hv[k].data).max()))
        for k in params
    )
    times = interleaved({"gradient": gradient, "hvp": hvp}, repeat)
    return {
        "check_rel_err": check,
        "gradient_ms": 1e3 * times["gradient"][0],
        "hvp_ms": 1e3 * times["hvp"][0],
        "ratio": times["hvp"][0] / times["gradient"][0],
        "gradient_cpu_ms": 1e3 * times["gradient"][1],
        "hvp_cpu_ms": 1e3 * times["hvp"][1],
        "cpu_ratio": times["hvp"][1] / times["gradient"][1],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="timed samples per measurement")
    ap.add_argument("--T", type=int, default=1000, help="sequence length of the jvp measurement")
    ap.add_argument("--only", choices=["jvp", "hvp"], help="run one measurement")
    ap.add_argument("--json", metavar="PATH", help="write every number to PATH")
    args = ap.parse_args(argv)
    result: dict = {
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "cpus": os.cpu_count(),
            "load": os.getloadavg() if hasattr(os, "getloadavg") else None,
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
        }
    }
    if args.only in (None, "jvp"):
        rows = [jvp_costs(T, args.repeat) for T in sorted({100, args.T})]
        result["jvp"] = rows
        print("jvp through an LSTM cell over T steps (I=H=64, N=8, float64), tangent on the input:")
        print("     T  forward ms  jvp ms  ratio  (cpu ratio)   peak MiB: forward   jvp  gradient")
        for r in rows:
            print(
                f"{r['T']:>6}  {r['forward_ms']:>10.1f}  {r['jvp_ms']:>6.1f}  {r['ratio']:>5.2f}"
                f"  ({r['cpu_ratio']:.2f})      {r['peak_forward_bytes'] / 2**20:>16.2f}"
                f" {r['peak_jvp_bytes'] / 2**20:>5.2f} {r['peak_gradient_bytes'] / 2**20:>9.2f}"
            )
    if args.only in (None, "hvp"):
        r = hvp_costs(args.repeat)
        result["hvp"] = r
        print("Hessian-vector product, W1-sized char-LSTM (float64), all parameters:")
        print(
            f"  gradient {r['gradient_ms']:.1f} ms   hvp {r['hvp_ms']:.1f} ms   "
            f"ratio {r['ratio']:.2f} (cpu ratio {r['cpu_ratio']:.2f}); "
            f"H v vs finite differences: rel. err {r['check_rel_err']:.1e}"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
