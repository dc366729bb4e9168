"""What the generated program does for speed: 2-D products as ``np.dot`` into planned
buffers, a bias's gradient in one deferred reduction over all steps, activation
derivatives in blocks of steps; each with results equal to eager."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import rnn
from minigrad.compile import hoist

R = np.random.default_rng(7)


def _source(step) -> str:
    return next(iter(step.programs.values())).source


def _grads_agree(layer, loss, x, retain: bool = False) -> str:
    step = minigrad.compile(loss)
    out = step(x)
    out.backward(retain_graph=retain)
    if retain:
        out.backward()
    got = {k: p.grad.copy() for k, p in layer.named_parameters()}
    for p in layer.parameters():
        p.grad = None
    want = loss(x)
    want.backward(retain_graph=retain)
    if retain:
        want.backward()
    np.testing.assert_allclose(out.item(), want.item(), rtol=1e-13)
    for k, p in layer.named_parameters():
        np.testing.assert_allclose(got[k], p.grad, rtol=1e-12, atol=1e-15, err_msg=k)
    return _source(step)


def test_products_are_np_dot_into_planned_buffers() -> None:
    w = minigrad.tensor(R.normal(size=(4, 3)), requires_grad=True)
    step = minigrad.compile(lambda x: ((x @ w).tanh() @ w.T).sum())
    x = minigrad.tensor(R.normal(size=(2, 4)), requires_grad=True)
    got = step(x)
    got.backward()
    src = _source(step)
    assert "dot(" in src and "matmul(" not in src
    gw, gx = w.grad.copy(), x.grad.copy()
    w.grad = x.grad = None
    ((x @ w).tanh() @ w.T).sum().backward()
    np.testing.assert_allclose(gw, w.grad, rtol=1e-13)
    np.testing.assert_allclose(gx, x.grad, rtol=1e-13)


def test_batched_products_keep_matmul() -> None:
    w = minigrad.tensor(R.normal(size=(4, 3)), requires_grad=True)
    step = minigrad.compile(lambda x: (x @ w).sum())
    x = minigrad.tensor(R.normal(size=(2, 5, 4)))
    step(x).backward()
    assert "matmul(" in _source(step).split("def backward")[0]


def test_a_gru_bias_gradient_is_one_reduction_over_all_steps() -> None:
    minigrad.manual_seed(0)
    layer = rnn.GRU(3, 4, dtype=np.float64)  # b_hh is added at every step
    x = minigrad.tensor(R.normal(size=(6, 2, 3)))
    src = _grads_agree(layer, lambda x: (layer(x)[0] ** 2).sum(), x)
    assert "# d bias (12,): 6 uses in 1 reduction(s)" in src
    assert "unbroadcast" not in src


@pytest.mark.parametrize("retain", [False, True])
def test_derivatives_in_blocks_agree_with_eager(monkeypatch, retain: bool) -> None:
    minigrad.manual_seed(1)
    layer = rnn.GRU(3, 4, dtype=np.float64)
    x = minigrad.tensor(R.normal(size=(7, 2, 3)))
    # no memory for whole-sequence derivatives, blocks of 3 steps of (2, 8) float64
    monkeypatch.setattr(hoist, "BLOCK_BYTES", 3 * 2 * 8 * 8)
    monkeypatch.setattr(hoist, "BUDGET_BYTES", 0)
    src = _grads_agree(layer, lambda x: (layer(x)[0] ** 2).sum(), x, retain)
    backward = src.split("def backward")[1]
    # the sigmoid over the three gate blocks, (2, 12) float64 a step: 7 steps in
    # blocks of 2, 2, 2 and 1, two calls each, in the backward's stream (the tanh's,
    # in place, stays in the once-only prelude)
    assert backward.count("\n    subtract(1, k") == 4
