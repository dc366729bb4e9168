"""Every script in examples/ runs with --quick and prints a result that shows learning."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(name: str) -> str:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("result: ")]
    assert len(lines) == 1, result.stdout
    return lines[0]


def number(pattern: str, line: str) -> float:
    match = re.search(pattern, line)
    assert match, line
    return float(match.group(1))


def test_every_example_is_tested():
    assert {p.name for p in EXAMPLES.glob("*.py")} == {
        "hello.py",
        "classify.py",
        "generate.py",
        "seq2seq.py",
        "sine.py",
    }


def test_hello():
    line = run("hello.py")
    assert "'hell' -> 'ello' (4/4 characters right" in line


def test_classify():
    assert number(r"accuracy ([\d.]+)", run("classify.py")) > 0.8  # chance 0.5


def test_generate():
    assert number(r"token accuracy ([\d.]+)", run("generate.py")) > 0.8  # chance 0.1


def test_seq2seq():
    assert number(r"greedy token accuracy ([\d.]+)", run("seq2seq.py")) > 0.8  # chance 0.1


def test_sine():
    line = run("sine.py")
    assert number(r"MSE ([\d.]+) vs", line) < 0.6 * number(r"last-value ([\d.]+)", line)
