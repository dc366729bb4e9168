"""The replayed softmax cross-entropy: the loss and dL/dz as eager for every reduction,
ignored targets (some or all), logits read elsewhere or only by the loss."""

from __future__ import annotations

import re

import numpy as np
import pytest

import minigrad
from minigrad import ops

R = np.random.default_rng(3)


def _logits_fns():
    def only_the_loss(x, w, t, **kw):
        return ops.cross_entropy(x @ w, t, **kw)  # the logits' buffer may hold exp(z - m)

    def logits_read_again(x, w, t, **kw):
        z = x @ w
        loss = ops.cross_entropy(z, t, **kw)
        return loss + (z * z).sum() if loss.ndim == 0 else loss.sum() + (z * z).sum()

    return [only_the_loss, logits_read_again]


@pytest.mark.parametrize("fn", _logits_fns(), ids=lambda f: f.__name__)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("targets", [[1, 0, 3, 2, 2], [1, -1, 3, -1, 0], [-1] * 5])
def test_cross_entropy_replays_as_eager(fn, reduction: str, targets: list[int]) -> None:
    t = np.array(targets)
    w = minigrad.tensor(R.normal(size=(3, 4)), requires_grad=True)

    def loss(x):
        out = fn(x, w, t, ignore_index=-1, reduction=reduction)
        return out.sum() if out.ndim else out

    step = minigrad.compile(loss)
    for call in range(3):
        x = minigrad.tensor(R.normal(size=(5, 3)) * (1 + 100 * (call == 2)), requires_grad=True)
        w.grad = None
        got = step(x)
        got.backward()
        gw, gx = w.grad.copy(), x.grad.copy()
        w.grad = x.grad = None
        want = loss(x)
        if np.isnan(want.item()):
            assert np.isnan(got.item())
            continue
        want.backward()
        np.testing.assert_allclose(got.item(), want.item(), rtol=1e-13)
        np.testing.assert_allclose(gw, w.grad, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(gx, x.grad, rtol=1e-12, atol=1e-14)
    assert step.captures == 1


def test_the_loss_keeps_exp_in_the_logits_buffer_only_when_nothing_else_reads_them() -> None:
    t = np.array([0, 1])
    w = minigrad.tensor(R.normal(size=(3, 4)), requires_grad=True)
    x = minigrad.tensor(R.normal(size=(2, 3)))
    same = []
    for fn in _logits_fns():
        step = minigrad.compile(lambda x, fn=fn: fn(x, w, t))
        step(x).backward()
        source = next(iter(step.programs.values())).source
        # forward: copyto(loss, rule(z rows, e, s, attrs))
        z, e = re.search(r"copyto\(v\d+, rule\d+\((\w+), (\w+),", source).groups()
        same.append(z == e)
    assert same == [True, False]


def test_huge_logits_replay_without_warnings() -> None:
    """Row maxima near float32's largest value: the replay checks them as eager does, with
    no overflow warning (the project's pytest settings turn RuntimeWarning into errors)."""
    t = np.array([0, 1])

    def loss(z):
        return ops.cross_entropy(z * 1.0, t)

    step = minigrad.compile(loss)
    ones = minigrad.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    step(ones)
    step(ones)
    z = np.array([[3e38, 3e38, 1.0], [3e38, 1.0, 1.0]], np.float32)
    eager = loss(minigrad.tensor(z, requires_grad=True))
    replayed = step(minigrad.tensor(z, requires_grad=True))
    assert float(replayed) == float(eager)
