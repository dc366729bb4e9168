"""Smoke test of benchmarks/lyapunov.py: at a tiny size the engine's and the hand-derived
spectra agree and the report prints both times. No timing."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path

import numpy as np

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "lyapunov.py"


def _load():
    name = "benchmarks_lyapunov"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _PATH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


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
