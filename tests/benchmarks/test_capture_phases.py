"""benchmarks/stepbench/capture_phases: the first compiled call, phase by phase, at tiny
sizes. No timed assertions: the phases are all found, account for the whole call, and
the timed functions are put back afterwards."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from stepbench import capture_phases, workloads


def test_every_phase_is_timed_and_the_phases_add_up_to_the_first_call(capsys):
    p = workloads.build_workload("W4", I=5, H=6, V=4, T=7, B=3)
    before = {name: owner.__dict__[name] for _, owner, name in capture_phases.PHASES}
    per, totals = capture_phases.first_call_phases(p, repeat=2)
    labels = [label for label, _, _ in capture_phases.PHASES]
    eager = per.pop(capture_phases.EAGER)  # for scale, outside the call
    assert len(eager) == 2 and all(t > 0 for t in eager)
    assert set(per) == {capture_phases.TRACE, *labels, capture_phases.OTHER}
    assert all(len(v) == 2 for v in per.values())
    for i, total in enumerate(totals):
        assert total > 0
        assert sum(v[i] for v in per.values()) == pytest.approx(total, rel=1e-9, abs=1e-12)
        assert all(v[i] >= 0 for k, v in per.items() if k != capture_phases.OTHER)
    per[capture_phases.EAGER] = eager
    after = {name: owner.__dict__[name] for _, owner, name in capture_phases.PHASES}
    assert after == before  # nothing left wrapped
    capture_phases.print_phases("W4", per, totals)
    out = capsys.readouterr().out
    assert "first call, median of 2 captures" in out and "roll" in out and "eager forwards)" in out


def test_the_documented_command_runs_from_the_repository_root():
    """Both documents give the script's path (not ``-m`` from benchmarks/), and that
    command runs as given: BLAS threads pinned before NumPy, the header and the end."""
    root = Path(__file__).resolve().parents[2]
    command = "benchmarks/stepbench/capture_phases.py --workload W2"
    for doc in ("docs/performance.md", "benchmarks/README.md"):
        text = (root / doc).read_text(encoding="utf-8")
        assert command in text and "-m stepbench.capture_phases" not in text, doc
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    script = "benchmarks/stepbench/capture_phases.py"
    run = subprocess.run(
        [sys.executable, script, "--workload", "W1", "--repeat", "1"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith(f"python {platform.python_version()}, numpy ")
    assert "BLAS threads 1 (" in lines[0] and "NOT pinned" not in lines[0]
    assert lines[1].startswith("start: ") and lines[-1].startswith("end: ")
    assert "W1: first call, median of 1 captures" in run.stdout
    assert re.search(r"\(the trace: \d+\.\d eager forwards\)", run.stdout)
