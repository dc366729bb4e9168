"""Every script in examples/ runs with --quick and prints a result that shows learning."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def default_env() -> dict[str, str]:
    """The environment without any choice of BLAS threads (the machine's defaults)."""
    return {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}


def run(name: str) -> str:
    env = default_env()
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


def test_an_example_limits_blas_to_one_thread_with_default_settings():
    code = (
        "import runpy, sys, minigrad; sys.argv = ['hello.py', '--quick']; "
        f"runpy.run_path({str(EXAMPLES / 'hello.py')!r}, run_name='__main__'); "
        "print('threads', minigrad.get_num_threads())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
        env=default_env(), check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "threads 1"
