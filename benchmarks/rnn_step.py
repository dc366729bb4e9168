"""One RNN training step (forward over the sequence + loss + backward), side by side.

Every implementation runs the same step on the same data and weights, in one process,
interleaved round-robin; each is timed in CPU time and wall time, and every ratio is the
median over rounds of (its time / the reference's time in the same round), with min–max.
The reference (ratio 1.0) is ``manual``: ``rnn.manual``'s fast sequence functions with a
hand-written NumPy readout and softmax cross-entropy.

    python benchmarks/rnn_step.py --workload all
    python benchmarks/rnn_step.py --workload W1 W4 --repeat 40 --json out.json
    python benchmarks/rnn_step.py --workload W4 --scaling
    python benchmarks/rnn_step.py --workload W1 --profile
    python benchmarks/rnn_step.py --workload W2 W4 --impl manual --profile-compiled

Implementations: ``manual`` (the reference), ``eager`` (minigrad's rnn layers on the
tape), ``compiled`` (the same loss through ``minigrad.compile``), ``torch-loop``,
``torch-fused`` and ``autograd`` (HIPS); one that cannot run here is listed as skipped,
with the reason. BLAS runs on ``--blas-threads`` threads (default 1), set before NumPy is
imported; glibc's allocator thresholds are fixed for the run (``stepbench/allocator.py``;
``--malloc default`` keeps glibc's own policy).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stepbench import threads  # imports no NumPy: the BLAS threads must be set first

if __name__ == "__main__":
    threads.set_env(threads.from_argv(sys.argv))

import argparse
import json
import os
from typing import Any

from stepbench import allocator, report
from stepbench.implementations import IMPLEMENTATIONS, REFERENCE, available
from stepbench.machine import format_load, load_average, machine_info
from stepbench.profiling import census, print_census, print_profile, profile_eager
from stepbench.replay_profile import print_replay_profile, profile_compiled
from stepbench.suite import run_scaling, run_workload
from stepbench.workloads import WORKLOADS, build_workload


def progress(msg: str) -> None:
    """One line on stderr, so that stdout keeps only the tables."""
    print(f"[{msg}; {format_load(load_average())}]", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--workload", nargs="+", default=["all"], help="W1 W2 W3 W4 or all (default: all)"
    )
    ap.add_argument(
        "--impl",
        nargs="+",
        default=list(IMPLEMENTATIONS),
        metavar="IMPL",
        help=f"implementations, of: {', '.join(IMPLEMENTATIONS)} (default: all)",
    )
    ap.add_argument(
        "--repeat", type=int, default=30, help="timed rounds per impl (default: %(default)s)"
    )
    ap.add_argument(
        "--warmup", type=int, default=2, help="untimed rounds before timing (default: %(default)s)"
    )
    ap.add_argument(
        "--min-sample-ms",
        type=float,
        default=20.0,
        help="run a short step back to back until one sample lasts this long, in CPU ms "
        "(default: %(default)s)",
    )
    ap.add_argument(
        "--rtol", type=float, default=1e-3, help="agreement tolerance (default: %(default)s)"
    )
    ap.add_argument(
        "--blas-threads",
        type=int,
        default=threads.DEFAULT,
        help="BLAS threads (default: %(default)s)",
    )
    ap.add_argument("--torch-threads", type=int, help="torch threads (default: --blas-threads)")
    ap.add_argument(
        "--malloc",
        choices=("fixed", "default"),
        default="fixed",
        help="fix glibc's mmap and trim thresholds for the run (default), or keep its own",
    )
    ap.add_argument("--json", metavar="PATH", help="write every number to PATH")
    ap.add_argument("--scaling", action="store_true", help="T=100 vs T=1000 (W4 sizes)")
    ap.add_argument("--profile", action="store_true", help="profile the eager minigrad step")
    ap.add_argument(
        "--profile-compiled",
        action="store_true",
        help="time each template line of the compiled step's replayed program",
    )
    args = ap.parse_args(argv)
    args.names = list(WORKLOADS) if "all" in args.workload else args.workload
    for n in args.names:
        if n not in WORKLOADS:
            ap.error(f"unknown workload {n!r}; choose from {list(WORKLOADS)} or all")
    for k in args.impl:
        if k not in IMPLEMENTATIONS:
            ap.error(f"unknown implementation {k!r}; choose from {list(IMPLEMENTATIONS)}")
    return args


def run(args: argparse.Namespace) -> dict[str, Any]:
    malloc = allocator.fix() if args.malloc == "fixed" else "allocator: glibc's own policy"
    impls, skipped = available(args.impl)
    torch_threads = args.torch_threads or args.blas_threads
    if any(k.startswith("torch") for k in impls):
        import torch  # noqa: F401  (imported so that its threads can be pinned)
    pinned = threads.pin(args.blas_threads, torch_threads)
    info = machine_info()
    print(
        f"python {info['python']}, numpy {info['numpy']}, torch {info['torch']}, "
        f"autograd {info['autograd']}, {info['cpu_count']} CPUs; {threads.describe(pinned)}\n"
        f"{malloc}\n"
        f"{args.repeat} rounds after {args.warmup} warm-up rounds, interleaved in one process; "
        f"ratios to {REFERENCE!r} are medians of per-round CPU-time ratios (min–max)\n"
        f"start: {format_load(info['loadavg_start'])}"
    )
    out: dict[str, Any] = {
        "machine": info,
        "threads": pinned,
        "allocator": malloc,
        "command": " ".join([os.path.basename(sys.executable), *sys.argv]),
        "args": {k: v for k, v in vars(args).items() if k != "names"},
        "skipped": skipped,
        "workloads": {},
    }
    min_sample = args.min_sample_ms / 1e3
    for n in args.names:
        r = run_workload(n, impls, args.repeat, args.warmup, args.rtol, min_sample, progress)
        r["loadavg"] = load_average()
        out["workloads"][n] = r
        report.print_workload(n, r, skipped)
    report.print_summary(out["workloads"])
    if args.scaling:
        scaled = [k for k in (REFERENCE, "eager", "compiled") if k in impls]
        out["scaling"] = run_scaling(scaled, args.repeat, args.warmup, min_sample, progress)
        report.print_scaling(out["scaling"])
    if args.profile:
        out["profile"] = {}
        for n in args.names:
            progress(f"{n}: profiling the eager step")
            problem = build_workload(n)
            out["profile"][n] = profile_eager(problem)
            out["profile"][n]["census"] = census(problem)
            print_census(out["profile"][n]["census"], n)
            print_profile(out["profile"][n])
    if args.profile_compiled:
        out["replay_profile"] = {}
        for n in args.names:
            progress(f"{n}: profiling the compiled step's replay")
            prof = profile_compiled(build_workload(n))
            out["replay_profile"][n] = prof
            print_replay_profile(n, prof)
    info["loadavg_end"] = load_average()
    print(f"\nend: {format_load(info['loadavg_end'])}")
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = run(args)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(out, f, indent=1)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
