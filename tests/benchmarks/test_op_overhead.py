"""Smoke test of benchmarks/op_overhead.py: at tiny sizes every case is reported in CPU
time beside wall time, in the table and in the JSON. No timing."""

from __future__ import annotations

import json

from scripts import load_script


def _load():
    return load_script("benchmarks/op_overhead.py", "benchmarks_op_overhead")


def test_every_case_is_timed_in_cpu_and_wall_time(tmp_path, capsys):
    out = tmp_path / "op.json"
    argv = ["--iters", "5", "--samples", "3", "--chain", "200", "--chain-repeats", "2"]
    _load().main([*argv, "--json", str(out)])
    results = json.loads(out.read_text())
    cases = ["numpy_tanh", "minigrad_tanh_forward", "minigrad_tanh_forward_backward"]
    keys = [f"{case}_{clock}_us" for case in cases for clock in ("cpu", "wall")]
    keys += [
        f"chain_{part}_{clock}_ms" for part in ("forward", "backward") for clock in ("cpu", "wall")
    ]
    assert all(results[key] >= 0 for key in keys), results
    assert results["chain_forward_wall_ms"] > 0 and results["chain_nodes"] == 200
    table = capsys.readouterr().out
    assert table.splitlines()[0].split()[-2:] == ["CPU", "wall"]
    assert "load average" in table
