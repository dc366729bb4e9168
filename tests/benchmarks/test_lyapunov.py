"""Smoke test of benchmarks/lyapunov.py: at a tiny size the engine's and the hand-derived
spectra agree and the report prints both times. No timing."""

from __future__ import annotations

import io

import numpy as np
from scripts import load_script


def _load():
    return load_script("benchmarks/lyapunov.py", "benchmarks_lyapunov")


def test_engine_and_hand_derived_spectra_agree():
    bench = _load()
    layer, x = bench.workload(hidden=5, T=30, inputs=3)
    engine = bench.engine_spectrum(layer, x)
    hand = bench.manual_spectrum(layer, x)
    assert engine.shape == (5,)
    np.testing.assert_allclose(engine, hand, rtol=0, atol=1e-10)


def test_report_names_both_implementations():
    out = io.StringIO()
    times = _load().run(hidden=4, T=10, repeat=1, out=out)
    text = out.getvalue()
    assert "engine / manual" in text and "differ by" in text
    assert set(times) == {"engine", "manual"} and all(len(t) == 1 for t in times.values())
