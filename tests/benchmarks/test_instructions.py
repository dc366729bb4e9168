"""benchmarks/stepbench/instructions: the steps it runs under valgrind, and its refusals.
(Counting itself takes valgrind and a minute; it is not run here.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from stepbench import instructions


@pytest.mark.parametrize("impl", ["manual", "eager", "compiled"])
def test_runs_the_steps_of_each_implementation(impl, monkeypatch):
    ran = []
    real = instructions.run_steps

    def counting(workload, name, steps):
        ran.append((workload, name, steps))
        real(workload, name, steps)

    monkeypatch.setattr(instructions, "run_steps", counting)
    instructions.main(["--workload", "W2", "--impl", impl, "--steps", "2"])
    assert ran == [("W2", impl, 2)]


def test_refuses_a_count_that_does_not_grow(monkeypatch):
    monkeypatch.setattr(instructions.shutil, "which", lambda name: "/usr/bin/valgrind")
    with pytest.raises(SystemExit, match=r"MORE \(2\) must exceed FEW \(3\)"):
        instructions.main(["--count", "3", "2"])


def test_says_how_to_install_valgrind_when_it_is_missing(monkeypatch):
    monkeypatch.setattr(instructions.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match="apt-get install valgrind"):
        instructions.main(["--count", "2", "12"])


def test_reads_the_count_from_callgrinds_summary(monkeypatch):
    class Done:
        returncode = 0
        stderr = "==1== Events    : Ir\n==1== Collected : 123456\n"

    seen = []
    monkeypatch.setattr(instructions.subprocess, "run", lambda cmd, **kw: seen.append(cmd) or Done)
    assert instructions.count("W2", "eager", 5) == 123456
    assert seen[0][:2] == ["valgrind", "--tool=callgrind"] and seen[0][-1] == "5"
