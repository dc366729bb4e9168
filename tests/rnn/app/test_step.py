"""rnn.app.step.train_step: one optimiser step for every job, refusing non-finite ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim
from rnn.app.step import Diverged, train_step


def model_and_loss(scale: float = 1.0):
    minigrad.manual_seed(0)
    layer = nn.Linear(3, 2, dtype=np.float64)
    x = minigrad.tensor(np.ones((4, 3)) * scale)
    return layer, lambda: (layer(x) ** 2).mean()


def weights(layer) -> list[np.ndarray]:
    return [p.data.copy() for p in layer.parameters()]


def test_returns_the_loss_and_the_norm_before_clipping():
    layer, loss = model_and_loss(scale=10.0)
    value = loss()
    expected = value.item()
    value.backward()
    norm = math.sqrt(sum(float((p.grad**2).sum()) for p in layer.parameters()))
    opt = optim.SGD(layer.parameters(), lr=0.1)
    done = train_step(loss(), opt, clip=0.5)
    assert done.loss == pytest.approx(expected)
    assert done.grad_norm == pytest.approx(norm)
    clipped = math.sqrt(sum(float((p.grad**2).sum()) for p in layer.parameters()))
    assert clipped == pytest.approx(0.5, rel=1e-5)  # the update used the clipped gradient


def test_a_step_equals_zero_grad_backward_step():
    layer, loss = model_and_loss()
    twin, twin_loss = model_and_loss()
    train_step(loss(), optim.Adam(layer.parameters(), lr=0.01))
    opt = optim.Adam(twin.parameters(), lr=0.01)
    opt.zero_grad()
    twin_loss().backward()
    opt.step()
    for a, b in zip(weights(layer), weights(twin), strict=True):
        assert np.array_equal(a, b)


def test_a_non_finite_loss_is_refused_before_the_update():
    layer, loss = model_and_loss()
    before = weights(layer)
    with pytest.raises(Diverged, match="the loss at step 7 is nan") as e:
        train_step(loss() * float("nan"), optim.SGD(layer.parameters(), lr=0.1), number=7)
    assert not e.value.weights_changed
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(layer), strict=True))


def test_a_non_finite_gradient_is_refused_before_the_update():
    layer, loss = model_and_loss()
    before = weights(layer)
    layer.weight.register_hook(lambda g: np.full_like(g, np.inf))
    with pytest.raises(Diverged, match="gradient is NaN or infinite"):
        train_step(loss(), optim.SGD(layer.parameters(), lr=0.1))
    assert all(np.array_equal(a, b) for a, b in zip(before, weights(layer), strict=True))


def test_weights_made_non_finite_by_the_update_are_reported():
    layer, loss = model_and_loss(scale=100.0)  # gradients far above 1: lr * g overflows
    with (
        np.errstate(over="ignore"),
        pytest.raises(Diverged, match="weights became NaN or infinite after the update") as e,
    ):
        train_step(loss(), optim.SGD(layer.parameters(), lr=1e308))
    assert e.value.weights_changed
