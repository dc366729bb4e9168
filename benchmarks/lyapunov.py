"""The full Lyapunov spectrum of a GRU, from the engine's Jacobians and from hand-derived ones.

Workload: a GRU with H = 128 hidden units (I = 32 inputs, PyTorch's default init, float64)
driven by T = 1,000 standard-normal inputs from h_0 = 0; all D = 128 exponents by
Benettin's QR method, no warm-up. Two implementations, same weights, same inputs:

- ``engine``: :func:`rnn.dynamics.lyapunov_spectrum` (the trajectory, every J_t exact from
  the engine by batched reverse mode, one QR per step);
- ``manual``: the trajectory from ``rnn.manual``'s GRU core, every J_t from the hand-derived
  formula of :func:`rnn.manual.jacobians.gru_step_jacobians` (vectorised over time), and the
  same QR loop. This is the approach of studies that hand-derive the Jacobians for speed.

They run interleaved round-robin in one process; times are CPU seconds
(``time.process_time``, BLAS on one thread) per full spectrum, median and min–max over the
repeats, with the wall time beside them and the load average. The two spectra must agree
to 1e-8.

    OPENBLAS_NUM_THREADS=1 python benchmarks/lyapunov.py            # H=128, T=1000, 3 repeats
    OPENBLAS_NUM_THREADS=1 python benchmarks/lyapunov.py --repeat 5 --hidden 64 --T 500
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402

import minigrad  # noqa: E402
import rnn  # noqa: E402
from rnn import dynamics, manual  # noqa: E402
from rnn.manual.jacobians import gru_step_jacobians  # noqa: E402


def workload(hidden: int, T: int, inputs: int = 32, seed: int = 0) -> tuple[rnn.GRU, np.ndarray]:
    """The GRU (float64, default init) and its inputs (T, I)."""
    minigrad.manual_seed(seed)
    layer = rnn.GRU(inputs, hidden, dtype=np.float64)
    return layer, np.random.default_rng(seed).standard_normal((T, inputs))


def engine_spectrum(layer: rnn.GRU, x: np.ndarray) -> np.ndarray:
    """All exponents with the engine's Jacobians."""
    return dynamics.lyapunov_spectrum(layer, x, warmup=0)


def manual_spectrum(layer: rnn.GRU, x: np.ndarray) -> np.ndarray:
    """All exponents with hand-derived Jacobians (same QR loop and start as the engine's)."""
    p = {k.removesuffix("_l0"): np.asarray(v) for k, v in layer.state_dict().items()}
    xp = x @ p["weight_ih"].T + p["bias_ih"]
    T, H = len(x), p["weight_hh"].shape[1]
    states = np.zeros((T + 1, H))
    for t in range(T):
        (h,), _ = manual.steps.GRU.forward(
            xp[t : t + 1], (states[t : t + 1],), p["weight_hh"], p["bias_hh"]
        )
        states[t + 1] = h[0]
    jacobians = gru_step_jacobians(xp, states[:-1], p["weight_hh"], p["bias_hh"])
    q = dynamics.spectra._orthonormal(H, H, 0)
    total = np.zeros(H)
    for J in jacobians:
        q, r = np.linalg.qr(J @ q)
        total += np.log(np.abs(np.diagonal(r)))
    return np.sort(total / T)[::-1]


IMPLEMENTATIONS: dict[str, Callable[[rnn.GRU, np.ndarray], np.ndarray]] = {
    "engine": engine_spectrum,
    "manual": manual_spectrum,
}


def run(hidden: int, T: int, repeat: int, out=sys.stdout) -> dict[str, list[tuple[float, float]]]:
    """(CPU s, wall s) per repeat and implementation, interleaved; checks agreement."""
    layer, x = workload(hidden, T)
    spectra = {name: fn(layer, x) for name, fn in IMPLEMENTATIONS.items()}  # warm-up
    gap = np.abs(spectra["engine"] - spectra["manual"]).max()
    if not gap <= 1e-8:
        raise SystemExit(f"the spectra differ by {gap:.3g}")
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in IMPLEMENTATIONS}
    for i in range(repeat):
        names = list(IMPLEMENTATIONS)
        for name in names[i % 2 :] + names[: i % 2]:  # alternate who goes first
            c, w = time.process_time(), time.perf_counter()
            IMPLEMENTATIONS[name](layer, x)
            times[name].append((time.process_time() - c, time.perf_counter() - w))
        print(f"  repeat {i + 1}/{repeat} done", file=sys.stderr)
    print(
        f"GRU H={hidden}, T={T}, all {hidden} exponents; lambda_max {spectra['engine'][0]:+.4f}, "
        f"sum {spectra['engine'].sum():+.4f}; engine vs manual differ by {gap:.1e}",
        file=out,
    )
    print(f"load average {os.getloadavg()[0]:.1f}; CPU s (median, min-max) / wall s", file=out)
    for name, ts in times.items():
        cpu = [c for c, _ in ts]
        wall = statistics.median(w for _, w in ts)
        print(
            f"  {name:<7} {statistics.median(cpu):6.2f} ({min(cpu):.2f}-{max(cpu):.2f})"
            f"   wall {wall:6.2f}",
            file=out,
        )
    ratio = statistics.median(
        a[0] / b[0] for a, b in zip(times["engine"], times["manual"], strict=True)
    )
    print(f"  engine / manual (median of per-round CPU ratios): {ratio:.2f}", file=out)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--T", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    run(args.hidden, args.T, args.repeat)


if __name__ == "__main__":
    main()
