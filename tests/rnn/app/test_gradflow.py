"""The gradient-flow study: profiles, the decay they show, the table, JSON and the plot."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad
from minigrad import nn
from rnn.app import gradflow
from rnn.app.tasks import adding_batch
from rnn.layers import RNN


@pytest.fixture(scope="module")
def study() -> gradflow.Study:
    return gradflow.measure(
        T=30, hidden=16, train_steps=5, models=["tanh-orth-0.5", "irnn", "lstm"], seed=0
    )


def test_profile_matches_the_hand_derived_recursion():
    """∂L/∂h_{t-1} = W_hh^T diag(1 - h_t^2) ∂L/∂h_t, checked in NumPy for one sequence."""
    minigrad.set_default_dtype(np.float64)
    try:
        minigrad.manual_seed(3)
        layer, head = RNN(2, 5), nn.Linear(5, 1)
        x, y = adding_batch(8, 1, np.random.default_rng(3))
        norms, _ = gradflow.gradient_profile(layer, head, x, y)
        hs = [s.data[0] for s in layer.run(minigrad.tensor(x), keep_steps=True).steps[(0, 0)]]
    finally:
        minigrad.set_default_dtype(np.float32)
    w_hh, w = layer.weight_hh_l0.data, head.weight.data[0]
    g = 2 * (hs[-1] @ w + head.bias.data[0] - y[0, 0]) * w
    expected = [np.linalg.norm(g)]
    for t in range(len(hs) - 1, 0, -1):
        g = w_hh.T @ ((1 - hs[t] ** 2) * g)
        expected.append(np.linalg.norm(g))
    np.testing.assert_allclose(norms, expected, rtol=1e-10)


def test_small_scale_tanh_gradient_vanishes_with_distance(study):
    init = next(c for c in study.curves if c.model == "tanh-orth-0.5" and c.stage == "init")
    norms = np.array(init.norms)
    assert len(norms) == 30
    # ‖W_hh‖ = 0.5 and tanh' ≤ 1: at least a factor 2 lost per step.
    assert (norms[1:] <= 0.5 * norms[:-1] * (1 + 1e-9)).all()
    assert init.ratio < 0.5**29


def test_lstm_gradient_decays_slower_than_small_scale_tanh(study):
    curves = {(c.model, c.stage): c for c in study.curves}
    assert curves[("lstm", "init")].ratio > 1e3 * curves[("tanh-orth-0.5", "init")].ratio


def test_irnn_starts_without_vanishing(study):
    irnn = next(c for c in study.curves if c.model == "irnn" and c.stage == "init")
    assert irnn.ratio > 0.1


def test_stages_and_clipping_bookkeeping(study):
    assert [c.stage for c in study.curves[:3]] == ["init", "trained", "trained+clip"]
    clipped = [c for c in study.curves if c.stage == "trained+clip"]
    unclipped = [c for c in study.curves if c.stage == "trained"]
    assert all(0.0 <= c.clipped <= 1.0 for c in clipped)
    assert all(c.clipped == 0.0 for c in unclipped)
    assert all(math.isfinite(c.loss) for c in clipped)


def test_table_and_json(study):
    table = gradflow.format_table(study)
    assert "ratio 1/T" in table and "tanh-orth-0.5" in table and "trained+clip" in table
    d = study.to_dict()
    assert d["T"] == 30 and len(d["curves"]) == 9
    assert d["curves"][0]["ratio"] == pytest.approx(study.curves[0].ratio)


def test_init_only_and_unknown_model():
    s = gradflow.measure(T=5, hidden=4, train_steps=0, models=["gru"])
    assert [c.stage for c in s.curves] == ["init"]
    with pytest.raises(ValueError, match="unknown model"):
        gradflow.measure(T=5, models=["transformer"])


def test_plot_writes_a_file(study, tmp_path):
    pytest.importorskip("matplotlib")
    for suffix in ("png", "svg"):
        path = tmp_path / f"gradflow.{suffix}"
        gradflow.plot(study, str(path))
        assert path.stat().st_size > 1000


def test_plot_without_matplotlib_says_how_to_install(study, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match=r"pip install 'minigrad\[plots\]'"):
        gradflow.plot(study, str(tmp_path / "x.png"))
