"""A task run as a JSON record: what was run, its learning curve, its final figure and
what it cost (wall and CPU time, the machine's load). ``rnn task --history PATH`` writes
one, rewriting it after every log window so that a long run can be watched (and a run
that is stopped still leaves its curve); ``docs/make_results.py`` builds the results
table and plots from them.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from .command import write_atomically
from .tasks import TaskResult

__all__ = ["read_record", "task_record", "write_record"]


def _number(x: float) -> float | None:
    """JSON has no NaN: an unmeasured figure is null."""
    return None if x is None or not math.isfinite(x) else float(x)


def task_record(result: TaskResult, command: str, settings: dict[str, Any]) -> dict[str, Any]:
    """The record of ``result`` (finished or not): ``command`` is the command line that
    ran it, ``settings`` its options. ``curve`` rows are ``[step, mean training loss
    over the window, mean gradient norm, wall seconds, CPU seconds]``; ``final_loss``
    (on 1000 fresh sequences) is null until the run has finished."""
    curve = [
        [step, _number(loss), _number(norm), round(wall, 3), round(cpu, 3)]
        for (step, loss, norm), (wall, cpu) in zip(result.history, result.times, strict=True)
    ]
    return {
        "command": command,
        "task": result.task,
        "cell": result.cell,
        "T": result.T,
        "settings": settings,
        "baseline": result.baseline,
        "final_loss": _number(result.final_loss),
        "steps": result.steps,
        "wall": round(result.wall, 3) if result.wall else (curve[-1][3] if curve else 0.0),
        "cpu": round(result.cpu, 3) if result.cpu else (curve[-1][4] if curve else 0.0),
        "load": _number(result.load if result.wall else os.getloadavg()[0]),
        "curve": curve,
    }


def write_record(path: str | os.PathLike[str], record: dict[str, Any]) -> Path:
    """Write ``record`` as indented JSON, atomically (a reader never sees half a file)."""
    text = json.dumps(record, indent=1) + "\n"
    return write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_record(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The record saved at ``path``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
