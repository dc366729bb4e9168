"""Where a compiled step spends its time: each line of the replayed program, timed.

The generated ``forward`` and ``backward`` (``Program.source``) are rebuilt with a clock
read after every statement, and the time of each is added to its *template line*: the
op comment above it with the time step removed (``# tanh layer=0/t=7`` counts as
``tanh layer=0``) and the NumPy function the line calls. So the 50 or 1000 copies of a
cell's step add up to one row per instruction of the cell, which is what to optimise.

The clock is ``perf_counter_ns`` (reading the CPU clock per line would cost more than
most lines); each read adds a fraction of a microsecond, so read the table as a
ranking and the total as an upper bound.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from typing import Any

import numpy as np

import minigrad

from .minigrad_steps import build_model
from .workloads import Problem

_STEP = re.compile(r"/?t=\d+")


def instrument(source: str, name: str) -> str:
    """The function ``name`` of ``source`` as ``{name}_timed(acc, clock)``, adding each
    statement's time to ``acc[label]``."""
    lines = source.split("\n")[1:]
    glob = [x.strip() for x in lines if x.strip().startswith("global ")]
    body = [x[4:] for x in lines if x.strip() and not x.strip().startswith("global ")]
    out = [f"def {name}_timed(acc, clock):", *(f"    {g}" for g in glob), "    t0 = clock()"]
    label, i = "(setup)", 0
    while i < len(body):
        line = body[i]
        if line.startswith("#"):
            label = _STEP.sub("", line[2:]).strip() or line[2:].strip()
            i += 1
            continue
        block = [line]
        i += 1
        while i < len(body) and body[i].startswith(" "):
            block.append(body[i])
            i += 1
        call = re.match(r"\s*([\w.]+)", line).group(1)  # type: ignore[union-attr]
        key = f"{name}: {label} :: {call}"
        out += [f"    {b}" for b in block]
        out.append(f"    t1 = clock(); acc[{key!r}] += t1 - t0; t0 = t1")
    return "\n".join(out)


def profile_compiled(p: Problem, steps: int | None = None) -> dict[str, Any]:
    """Per-line times of the compiled step of ``p``: the median over ``steps`` replays
    (by default more for small workloads), so a descheduled moment drops out."""
    w = p.workload
    steps = steps or max(5, min(100, 400_000 // (w.T * w.B * w.H)))
    loss_fn, params, _ = build_model(p)
    step = minigrad.compile(loss_fn)
    x = minigrad.tensor(p.x)
    step(x).backward()
    program = next(iter(step.programs.values()))
    forward, backward = program.source.split("\n\n\n")
    env = program.env
    exec(instrument(forward, "forward"), env)
    exec(instrument(backward, "backward"), env)
    samples: list[dict[str, int]] = []
    for _ in range(steps + 1):  # the first replay warms up
        acc: dict[str, int] = defaultdict(int)
        samples.append(acc)
        for q in params:
            q.grad = None
        step(x)  # binds this call's arrays
        env["derived"] = False
        env["forward_timed"](acc, time.perf_counter_ns)
        env["derived"] = False
        for i in range(len(program._seeds)):
            env[f"seed{i}"] = np.ones((), p.x.dtype)
        env["backward_timed"](acc, time.perf_counter_ns)
    keys = samples[1].keys()
    med = {k: float(np.median([s[k] for s in samples[1:]])) / 1e3 for k in keys}
    rows = sorted(((v, k) for k, v in med.items()), reverse=True)
    return {"steps": steps, "total_us": sum(r[0] for r in rows), "rows": rows}


def print_replay_profile(name: str, prof: dict[str, Any], top: int = 25) -> None:
    """The ``top`` template lines by time per step."""
    total = prof["total_us"]
    print(
        f"\n{name}: the compiled step's replay, per template line "
        f"(medians of {prof['steps']} steps; {total:.0f} µs per step with the clock reads)"
    )
    for us, key in prof["rows"][:top]:
        print(f"  {us:10.1f} µs {100 * us / total:5.1f}%  {key}")
