"""Smoke test of benchmarks/rnn_step.py: every workload, at tiny sizes, gives the same loss
and gradients in each implementation as in the hand-written reference. No timing."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "rnn_step.py"


def _load():
    name = "benchmarks_rnn_step"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, _PATH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


bench = _load()
WORKLOADS = list(bench.WORKLOADS)
TINY = {"I": 5, "H": 6, "V": 4, "T": 7, "B": 3}


def _tiny(name: str):
    return bench.build_workload(name, **TINY)


def _assert_agree(result, ref, tol=1e-5):
    loss, grads = result
    rloss, rgrads = ref
    assert np.isfinite(loss)
    assert loss == pytest.approx(rloss, rel=tol)
    assert set(grads) == set(bench.GRAD_NAMES) == set(rgrads)
    for name in bench.GRAD_NAMES:
        g, r = grads[name], rgrads[name]
        assert g.shape == r.shape, name
        assert g.dtype == np.float32, name
        np.testing.assert_allclose(g, r, rtol=tol, atol=tol * np.abs(r).max(), err_msg=name)


@pytest.mark.parametrize("name", WORKLOADS)
def test_workload_shapes_and_dtypes(name):
    p = _tiny(name)
    w = p.workload
    assert p.x.shape == (w.T, w.B, w.I) and p.x.dtype == np.float32
    assert p.targets.shape == (w.T, w.B) and p.targets.min() >= 0 and p.targets.max() < w.V
    assert p.weight_y.shape == (w.V, w.H) and p.bias_y.shape == (w.V,)
    bound = 1 / np.sqrt(w.H)
    for v in (*p.params.values(), p.weight_y, p.bias_y):
        assert v.dtype == np.float32 and np.abs(v).max() <= bound
    if w.input == "onehot":
        assert np.array_equal(p.x.sum(axis=2), np.ones((w.T, w.B), np.float32))


def test_full_sizes_match_the_method():
    sizes = {n: (w.cell, w.I, w.H, w.V, w.T, w.B) for n, w in bench.WORKLOADS.items()}
    assert sizes == {
        "W1": ("lstm", 65, 128, 65, 100, 32),
        "W2": ("rnn", 32, 32, 32, 50, 1),
        "W3": ("lstm", 512, 512, 64, 50, 64),
        "W4": ("gru", 64, 64, 64, 1000, 8),
    }


@pytest.mark.parametrize("name", WORKLOADS)
def test_minigrad_agrees_with_manual(name):
    p = _tiny(name)
    ref = bench.make_manual(p)()
    step = bench.make_minigrad(p)
    _assert_agree(step(), ref)
    _assert_agree(step(), ref)  # a second step: gradients are reset, not accumulated


@pytest.mark.parametrize("name", WORKLOADS)
def test_manual_loss_is_softmax_cross_entropy(name):
    p = _tiny(name)
    loss, _ = bench.make_manual(p)()
    params64 = {k: v.astype(np.float64) for k, v in p.params.items()}
    out = bench.manual.forward(p.workload.cell, p.x.astype(np.float64), params64)[0]
    z = out.reshape(-1, p.workload.H) @ p.weight_y.T.astype(np.float64) + p.bias_y
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    expected = -logp[np.arange(z.shape[0]), p.targets.reshape(-1)].mean()
    assert loss == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(
    "impl",
    [
        "autograd",
        pytest.param("torch-loop", marks=pytest.mark.torch),
        pytest.param("torch-fused", marks=pytest.mark.torch),
    ],
)
@pytest.mark.parametrize("name", WORKLOADS)
def test_optional_implementations_agree(impl, name):
    pytest.importorskip(bench.IMPLEMENTATIONS[impl][1])
    p = _tiny(name)
    _assert_agree(bench.IMPLEMENTATIONS[impl][0](p)(), bench.make_manual(p)(), tol=1e-4)


def test_cli_writes_json(tmp_path, monkeypatch, capsys):
    # The command line end to end at tiny sizes (the workload table is patched).
    tiny = {n: bench.replace(w, **TINY) for n, w in bench.WORKLOADS.items()}
    monkeypatch.setattr(bench, "WORKLOADS", tiny)
    out = tmp_path / "out.json"
    argv = ["--workload", "W2", "W4", "--impl", "minigrad", "--repeat", "2", "--warmup", "1"]
    assert bench.main([*argv, "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(report["workloads"]) == {"W2", "W4"}
    w4 = report["workloads"]["W4"]
    assert set(w4["timing"]) == {"manual", "minigrad"}
    assert w4["checks"]["minigrad"]["ok"]
    assert w4["timing"]["manual"]["ratio_to_manual"] == 1.0
    assert len(w4["timing"]["minigrad"]["samples_ms"]) == 2
    assert set(w4["peak_memory_bytes"]) == {"manual", "minigrad"}
    assert report["machine"]["numpy"] == np.__version__
    assert "W4" in capsys.readouterr().out


def test_profile_reports_forward_and_backward_per_op():
    prof = bench.profile_minigrad(_tiny("W1"), rounds=1, top=5)
    assert prof["forward_ms_median"] > 0 and prof["backward_ms_median"] > 0
    ops = prof["per_op_cumulative"]
    assert any(e["forward"] > 0 for e in ops.values())
    assert any(e["backward"] > 0 for e in ops.values())
    assert len(prof["self_time_top"]) == 5
