"""Smoke test of benchmarks/higher_order.py at tiny sizes: it runs, its HVP agrees with
finite differences, and forward mode's memory does not grow with T (no timing asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import higher_order


def test_jvp_costs_report_times_and_memory():
    short, long = higher_order.jvp_costs(5, repeat=1), higher_order.jvp_costs(50, repeat=1)
    assert short["forward_ms"] > 0 and short["jvp_ms"] > 0 and short["ratio"] > 0
    assert long["peak_gradient_bytes"] > 2 * short["peak_gradient_bytes"]  # the tape grows
    assert long["peak_jvp_bytes"] < 2 * short["peak_jvp_bytes"] + 64 * 1024  # no tape


def test_hvp_costs_check_the_product_first():
    r = higher_order.hvp_costs(1, T=3, B=2, I=5, H=4, V=5)
    assert r["check_rel_err"] < 1e-5
    assert r["gradient_ms"] > 0 and r["hvp_ms"] > 0
