"""The benchmark harness (benchmarks/rnn_step.py and benchmarks/stepbench): every workload,
at tiny sizes, gives the same loss and gradients in each implementation as in the
reference; timing, ratios, thread pinning and the command line work end to end. No timed
assertions."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from scripts import load_script

_BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _load():
    # running the script puts benchmarks/ on sys.path for stepbench
    return load_script("benchmarks/rnn_step.py", "benchmarks_rnn_step")


bench = _load()
from stepbench import (  # noqa: E402
    implementations,
    minigrad_steps,
    numpy_steps,
    profiling,
    replay_profile,
    threads,
    timing,
    workloads,
)

WORKLOADS = list(workloads.WORKLOADS)
TINY = {"I": 5, "H": 6, "V": 4, "T": 7, "B": 3}


def _tiny(name: str):
    return workloads.build_workload(name, **TINY)


def _assert_agree(result, ref, tol=1e-5):
    loss, grads = result
    rloss, rgrads = ref
    assert np.isfinite(loss)
    assert loss == pytest.approx(rloss, rel=tol)
    assert set(grads) == set(workloads.GRAD_NAMES) == set(rgrads)
    for name in workloads.GRAD_NAMES:
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
    sizes = {n: (w.cell, w.I, w.H, w.V, w.T, w.B) for n, w in workloads.WORKLOADS.items()}
    assert sizes == {
        "W1": ("lstm", 65, 128, 65, 100, 32),
        "W2": ("rnn", 32, 32, 32, 50, 1),
        "W3": ("lstm", 512, 512, 64, 50, 64),
        "W4": ("gru", 64, 64, 64, 1000, 8),
    }


@pytest.mark.parametrize("name", WORKLOADS)
def test_eager_agrees_with_manual(name):
    p = _tiny(name)
    ref = numpy_steps.make_manual(p)()
    step = minigrad_steps.make_eager(p)
    _assert_agree(step(), ref)
    _assert_agree(step(), ref)  # a second step: gradients are reset, not accumulated


@pytest.mark.parametrize("name", WORKLOADS)
def test_compiled_agrees_with_manual_or_is_skipped_with_a_note(name):
    ok, skipped = implementations.available(["compiled"])
    if not minigrad_steps.has_compile():
        assert ok == ["manual"] and "minigrad.compile" in skipped["compiled"]
        return
    p = _tiny(name)
    ref = numpy_steps.make_manual(p)()
    step = minigrad_steps.make_compiled(p)
    for _ in range(3):  # capture, then replays
        _assert_agree(step(), ref)


@pytest.mark.parametrize("name", WORKLOADS)
def test_manual_loss_is_softmax_cross_entropy(name):
    p = _tiny(name)
    loss, _ = numpy_steps.make_manual(p)()
    x = p.x.astype(np.float64)
    params64 = {k: v.astype(np.float64) for k, v in p.params.items()}
    out = numpy_steps.manual.forward(p.workload.cell, x, params64)[0]
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
    pytest.importorskip(impl.split("-")[0])
    p = _tiny(name)
    make = implementations.IMPLEMENTATIONS[impl].make
    _assert_agree(make(p)(), numpy_steps.make_manual(p)(), tol=1e-4)


def test_missing_package_is_skipped_with_its_reason(monkeypatch):
    fake = replace(
        implementations.IMPLEMENTATIONS["autograd"],
        missing=implementations._importable("no_such_module_xyz"),
    )
    monkeypatch.setitem(implementations.IMPLEMENTATIONS, "autograd", fake)
    ok, skipped = implementations.available(["eager", "autograd"])
    assert ok == ["manual", "eager"]
    assert "no_such_module_xyz" in skipped["autograd"]


def test_ratios_are_per_round_and_rounds_rotate():
    calls = []

    def fake(name, cost):
        def step():
            calls.append(name)
            sum(range(cost))  # CPU work, so process_time advances
            return 0.0, {}

        return step

    steps = {"manual": fake("manual", 20000), "slow": fake("slow", 60000)}
    s = timing.time_interleaved(steps, repeat=4, warmup=0, min_sample=0.0)
    assert s.inner == {"manual": 1, "slow": 1}
    assert len(s.cpu["slow"]) == len(s.wall["slow"]) == 4
    timed = calls[2:]  # the first two calls are the calibration
    assert timed[:2] == ["manual", "slow"] and timed[2:4] == ["slow", "manual"]
    summary = timing.summarize(s, "manual")
    assert summary["manual"]["cpu_ratio"] == {"median": 1.0, "min": 1.0, "max": 1.0}
    ratios = np.divide(s.cpu["slow"], s.cpu["manual"])
    assert summary["slow"]["cpu_ratio"]["median"] == pytest.approx(float(np.median(ratios)))
    assert summary["slow"]["cpu_ratio"]["min"] == pytest.approx(float(ratios.min()))


def test_blas_threads_come_from_the_command_line():
    assert threads.from_argv(["x", "--blas-threads", "3"]) == 3
    assert threads.from_argv(["x", "--blas-threads=2"]) == 2
    assert threads.from_argv(["x", "--workload", "W1"]) == threads.DEFAULT


def test_cli_writes_json(tmp_path, monkeypatch, capsys):
    # The command line end to end at tiny sizes (the workload table is patched).
    tiny = {n: replace(w, **TINY) for n, w in workloads.WORKLOADS.items()}
    monkeypatch.setattr(workloads, "WORKLOADS", tiny)
    out = tmp_path / "out.json"
    argv = ["--workload", "W2", "W4", "--impl", "eager", "compiled", "--repeat", "2"]
    assert bench.main([*argv, "--warmup", "1", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(report["workloads"]) == {"W2", "W4"}
    w4 = report["workloads"]["W4"]
    timed = {"manual", "eager"} | ({"compiled"} if minigrad_steps.has_compile() else set())
    assert set(w4["timing"]) == timed
    assert all(c["ok"] for c in w4["checks"].values())
    assert w4["timing"]["manual"]["cpu_ratio"]["median"] == 1.0
    assert len(w4["timing"]["eager"]["cpu_samples_ms"]) == 2
    assert set(w4["peak_memory_bytes"]) == set(w4["peak_memory_build_3_steps_bytes"]) == timed
    assert report["machine"]["numpy"] == np.__version__
    assert report["threads"]["requested"] == 1
    text = capsys.readouterr()
    assert "W4" in text.out and "load average" in text.out and "CPU ratio" in text.out
    assert "W2: timing" in text.err
    if not minigrad_steps.has_compile():
        assert "compiled" in report["skipped"] and "minigrad.compile" in text.out
    else:  # the small one-step figure of compiled is explained in the legend
        assert "planned buffers exist before the step, so the first column" in text.out


def test_profile_reports_forward_and_backward_per_op():
    prof = profiling.profile_eager(_tiny("W1"), rounds=1, top=5)
    assert prof["forward_cpu_ms_median"] > 0 and prof["backward_cpu_ms_median"] > 0
    ops = prof["per_op_cumulative"]
    assert any(e["forward"] > 0 for e in ops.values())
    assert any(e["backward"] > 0 for e in ops.values())
    assert len(prof["self_time_top"]) == 5


def test_replay_profile_sums_the_time_steps_into_template_lines():
    prof = replay_profile.profile_compiled(_tiny("W4"), steps=3)
    keys = [key for _, key in prof["rows"]]
    assert keys and not any("t=" in k for k in keys)  # time steps folded together
    assert any(k.startswith("forward: addmm layer=0 ::") for k in keys)
    assert any(k.startswith("backward: d sigmoid layer=0 ::") for k in keys)
    assert prof["total_us"] == pytest.approx(sum(us for us, _ in prof["rows"]))


def test_census_counts_the_nodes_of_the_step_and_times_the_collector(capsys):
    p = _tiny("W4")
    c = profiling.census(p, rounds=2)
    # a GRU step records 11 nodes: the step's slice of the projection, the recurrent
    # addmm, the add and sigmoid over all gates, the r, z, x_n and h_n slices, and
    # n = tanh(addcmul(x_n, r, h_n)), h' = lerp(n, h, z)
    T = p.workload.T
    assert c["nodes_by_op"]["getitem"] == 5 * T
    assert c["nodes_by_op"]["sigmoid"] == c["nodes_by_op"]["tanh"] == T
    assert c["nodes_by_op"]["addcmul"] == c["nodes_by_op"]["lerp"] == T
    assert "mul" not in c["nodes_by_op"]
    assert c["nodes"] == sum(c["nodes_by_op"].values())
    assert c["nodes_per_time_step"] == pytest.approx(11, abs=12 / T)
    assert c["forward_us_per_node"] > 0 and c["backward_us_per_node"] > 0
    assert 0 <= c["gc_share"] < 1
    profiling.print_census(c, "W4")
    assert "nodes" in capsys.readouterr().out


def test_the_documented_command_is_the_one_the_harness_takes():
    root = _BENCH.parent
    command = "benchmarks/rnn_step.py --workload all"
    for doc in ("README.md", "docs/performance.md", "benchmarks/README.md"):
        assert command in (root / doc).read_text(encoding="utf-8"), doc
    args = bench.parse_args(["--workload", "all"])
    assert args.names == ["W1", "W2", "W3", "W4"]
    assert {"eager", "compiled", "manual"} <= set(args.impl)
