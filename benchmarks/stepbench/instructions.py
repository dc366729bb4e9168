"""Instructions per training step, counted under valgrind: a figure a busy machine can't move.

CPU time on a shared machine moves by a third between runs of the same code; the number
of instructions a step executes does not (with a fixed hash seed). This script runs a
workload's step ``--steps`` times after three warm-up steps; under callgrind, the
difference between two step counts, divided by the difference, is the cost of one step
without the imports and the set-up:

    python benchmarks/stepbench/instructions.py --workload W2 --impl eager --count 2 12

runs ``valgrind --tool=callgrind`` twice (2 and 12 steps) and prints instructions per step
(about a minute for W2). ``--impl manual`` gives the reference's. Without ``--count`` it
just runs the steps (what valgrind is pointed at). Instructions are not time (a cache miss
or a BLAS kernel costs more per instruction than the interpreter's loop), so the ratios
of ``rnn_step.py`` stay the figures to report; this one says whether a change to the
per-op path removed work, whatever the load.
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

import argparse
import os
import re
import shutil
import subprocess


def run_steps(workload: str, impl: str, steps: int) -> None:
    """Build the step and run it 3 + ``steps`` times."""
    from stepbench.implementations import IMPLEMENTATIONS
    from stepbench.workloads import build_workload

    step = IMPLEMENTATIONS[impl].make(build_workload(workload))
    for _ in range(3 + steps):
        step()


def count(workload: str, impl: str, steps: int) -> int:
    """Instructions callgrind counts for the whole run of ``steps`` steps."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    cmd += [sys.executable, __file__, "--workload", workload, "--impl", impl]
    done = subprocess.run([*cmd, "--steps", str(steps)], env=env, capture_output=True, text=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workload", default="W2", help="W1, W2, W3 or W4 (default W2)")
    ap.add_argument("--impl", default="eager", help="manual, eager or compiled (default eager)")
    ap.add_argument("--steps", type=int, default=1, help="steps to run (without --count)")
    ap.add_argument(
        "--count",
        type=int,
        nargs=2,
        metavar=("FEW", "MORE"),
        default=None,
        help="run under callgrind with FEW and MORE steps; print per step",
    )
    args = ap.parse_args(argv)
    if args.count is None:
        run_steps(args.workload, args.impl, args.steps)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    few, more = args.count
    if more <= few:
        raise SystemExit(f"--count: MORE ({more}) must exceed FEW ({few})")
    a, b = count(args.workload, args.impl, few), count(args.workload, args.impl, more)
    per = (b - a) / (more - few)
    print(f"{args.workload} {args.impl}: {per:,.0f} instructions per step ({few} and {more} steps)")


if __name__ == "__main__":
    main()
