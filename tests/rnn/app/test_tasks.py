"""The long-dependency generators and their memoryless baselines; task training."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rnn.app import tasks
from rnn.app.tasks import ADDING_BASELINE, COPY_SYMBOLS, adding_batch, copy_baseline, copy_batch


def test_adding_shapes_and_marks():
    x, y = adding_batch(50, 7, np.random.default_rng(0))
    assert x.shape == (50, 7, 2) and y.shape == (7, 1)
    marks = x[:, :, 1]
    assert (marks.sum(axis=0) == 2).all()
    # One mark in each half, and the target is the sum of the marked values.
    assert (marks[:25].sum(axis=0) == 1).all() and (marks[25:].sum(axis=0) == 1).all()
    np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * marks).sum(axis=0))


def test_adding_baseline_is_the_mse_of_predicting_one():
    _, y = adding_batch(20, 200_000, np.random.default_rng(1))
    mse = float(((y - 1.0) ** 2).mean())
    assert ADDING_BASELINE == pytest.approx(1 / 6)
    assert mse == pytest.approx(ADDING_BASELINE, abs=0.003)


def test_adding_rejects_short_sequences():
    with pytest.raises(ValueError, match="at least 2"):
        adding_batch(1, 3, np.random.default_rng(0))


def test_copy_shapes_and_layout():
    T, n = 30, 10
    x, y = copy_batch(T, 5, np.random.default_rng(0))
    assert x.shape == y.shape == (T + 2 * n, 5)
    assert x.dtype.kind == "i" and x.max() < COPY_SYMBOLS
    assert ((x[:n] >= 1) & (x[:n] <= 8)).all()
    assert (x[n + T - 1] == 9).all()
    np.testing.assert_array_equal(y[-n:], x[:n])
    assert (y[:-n] == 0).all()


def test_copy_baseline_formula():
    assert copy_baseline(100) == pytest.approx(10 * math.log(8) / 120)
    assert copy_baseline(50, n_copy=5) == pytest.approx(5 * math.log(8) / 60)


def test_memoryless_strategy_scores_the_copy_baseline():
    """Blank (p=1) up to and including the delimiter step, then uniform over the 8 symbols."""
    T, n = 40, 10
    x, y = copy_batch(T, 64, np.random.default_rng(2))
    seen_delim = (np.cumsum(x == 9, axis=0) - (x == 9)) > 0  # at an earlier step
    probs = np.where(seen_delim[:, :, None], np.r_[0, [1 / 8] * 8, 0], np.eye(10)[0])
    picked = np.take_along_axis(probs, y[:, :, None], axis=2)[:, :, 0]
    assert (picked > 0).all()
    assert float(-np.log(picked).mean()) == pytest.approx(copy_baseline(T, n))


def test_irnn_initialisation():
    layer = tasks.make_cell("irnn", 2, 8)
    assert layer.nonlinearity == "relu"
    np.testing.assert_array_equal(layer.weight_hh_l0.data, np.eye(8))
    assert not layer.bias_ih_l0.data.any() and not layer.bias_hh_l0.data.any()
    assert np.abs(layer.weight_ih_l0.data).max() < 0.01


def test_unknown_cell_and_task_are_refused():
    with pytest.raises(ValueError, match="cell must be one of"):
        tasks.make_cell("transformer", 2, 4)
    with pytest.raises(ValueError, match="task must be one of"):
        tasks.baseline("sorting", 10)


def test_short_adding_training_beats_the_baseline():
    result = tasks.train_task(
        "adding",
        "gru",
        T=5,
        hidden=16,
        steps=150,
        batch=32,
        lr=0.01,
        progress=False,
        log=lambda line: None,
    )
    assert result.baseline == ADDING_BASELINE
    assert result.final_loss < 0.5 * ADDING_BASELINE
    assert [h[0] for h in result.history] == [100, 150]


def test_copy_training_runs_and_reports_per_step_cross_entropy():
    lines: list[str] = []
    result = tasks.train_task(
        "copy",
        "lstm",
        T=5,
        hidden=8,
        steps=4,
        batch=4,
        log_every=2,
        progress=False,
        log=lines.append,
    )
    assert result.baseline == pytest.approx(copy_baseline(5))
    assert len(lines) == 2 and "baseline" in lines[0]
    # Untrained: about ln 10 per step, far above the memoryless baseline.
    assert result.final_loss > result.baseline


def test_orthogonal_and_modrelu_options_build_the_exprnn_model():
    model = tasks.TaskModel("copy", "rnn", 8, "henaff", None, "matrix_exp", "modrelu")
    layer = model.rnn
    assert layer.nonlinearity == "modrelu"
    assert "rnn.parametrizations.weight_hh_l0.original" in dict(model.named_parameters())
    w = layer.weight_hh_l0.numpy().astype(np.float64)
    np.testing.assert_allclose(w @ w.T, np.eye(8), atol=1e-6)
    with pytest.raises(ValueError, match="lstm stacks 4 gate blocks"):
        tasks.TaskModel("copy", "lstm", 8, orthogonal="matrix_exp")
    with pytest.raises(ValueError, match="nonlinearity is chosen for the rnn cell only"):
        tasks.TaskModel("copy", "gru", 8, nonlinearity="modrelu")
