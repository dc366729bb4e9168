"""benchmarks/stepbench/capture_phases: the first compiled call, phase by phase, at tiny
sizes. No timed assertions: the phases are all found, account for the whole call, and
the timed functions are put back afterwards."""

from __future__ import annotations

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
    assert "first call, median of 2 captures" in out and "roll" in out and "the trace:" in out
