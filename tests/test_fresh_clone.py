"""A fresh clone sets itself up: the README's set-up step, in a new virtual environment.

A green run in a developer's environment can hide a missing dependency or install
step; this test clones the repository's committed state into a temporary folder and
runs ``bash .ci/setup`` there, so such a gap fails the suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_fresh_clone_sets_up_and_runs(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    setup = subprocess.run(
        ["bash", ".ci/setup"], cwd=clone, env=env, capture_output=True, text=True, timeout=1200
    )
    assert setup.returncode == 0, setup.stdout + setup.stderr
    python = clone / ".venv" / "bin" / "python"
    where = subprocess.run(
        [str(python), "-c", "import minigrad, rnn; print(minigrad.__file__); print(rnn.__file__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert all(line.startswith(str(clone)) for line in where.stdout.split()), where.stdout
    # Everything the suite and the jobs import is installed by the set-up alone.
    deps = "import numpy, graphviz, tqdm, pytest, hypothesis, matplotlib"
    subprocess.run([str(python), "-c", deps], cwd=tmp_path, env=env, check=True)
    cli = subprocess.run(
        [str(python), "-m", "rnn", "check", "--cell", "gru"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert cli.returncode == 0 and "result: MATCH" in cli.stdout, cli.stdout + cli.stderr
    # A second run of the set-up only checks, and says so.
    again = subprocess.run(
        ["bash", ".ci/setup"], cwd=clone, env=env, capture_output=True, text=True
    )
    assert again.returncode == 0 and "done" in again.stdout
