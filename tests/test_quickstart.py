"""The README's Quickstart and the CI scripts agree (they are the project's front door)."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _quickstart_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", section, re.S)]


def test_quickstart_has_exactly_two_one_line_commands():
    commands = _quickstart_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert commands[0].startswith("bash .ci/setup && ")
    assert commands[0].endswith("-m rnn demo")
    assert commands[1].startswith("bash .ci/setup && ")


def test_ci_run_runs_the_readme_test_command():
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    code = [line for line in lines if line.strip() and not line.startswith("#")]
    assert code[-1] == _quickstart_commands()[1]


def test_ci_scripts_are_strict_bash_and_executable():
    for name in ("setup", "run"):
        script = ROOT / ".ci" / name
        text = script.read_text()
        assert text.startswith("#!/usr/bin/env bash\n")
        assert "\nset -euo pipefail\n" in text
        assert os.access(script, os.X_OK)
