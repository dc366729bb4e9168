"""Horizontal fusion: sibling elementwise ops on adjacent column slices run as one op
over the joint block, with values and gradients as eager."""

from __future__ import annotations

import re

import numpy as np
import pytest

import minigrad
import rnn

R = np.random.default_rng(5)


def _source(step) -> str:
    return next(iter(step.programs.values())).source


def _check(fn, *shapes: tuple) -> str:
    """Compiled fn agrees with eager (values and gradients); returns the program."""
    xs = [minigrad.tensor(R.normal(size=s), requires_grad=True) for s in shapes]
    step = minigrad.compile(fn)
    got = step(*xs)
    got.backward()
    grads = [x.grad.copy() for x in xs]
    for x in xs:
        x.grad = None
    want = fn(*xs)
    want.backward()
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-13)
    for g, x in zip(grads, xs, strict=True):
        np.testing.assert_allclose(g, x.grad, rtol=1e-12, atol=1e-15)
    return _source(step)


def test_adjacent_siblings_become_one_op_over_the_joint_columns() -> None:
    def gates(a, b):
        r = (a[:, 0:3] + b[:, 0:3]).sigmoid()
        z = (a[:, 3:6] + b[:, 3:6]).sigmoid()
        n = (a[:, 6:9] * r).tanh()
        return (n * z).sum()

    src = _check(gates, (2, 9), (2, 9))
    forward = src.split("def backward")[0]
    assert forward.count("# sigmoid") == 1 and forward.count("# add") == 1
    # the one sigmoid runs on (2, 6): its output buffer has the joint width
    assert re.search(r"# sigmoid\n\s+multiply\((v\d+), 0.5", forward)


@pytest.mark.parametrize(
    "body",
    [
        lambda a: (a[:, 0:3].tanh() * a[:, 6:9].tanh()).sum(),  # columns 3:6 lie between
        lambda a: (a[:, 0:3].tanh() * a[:, 3:6].exp()).sum(),  # different ops
        lambda a: (a[0:1, 0:3].tanh() * a[0:1, 3:6].tanh()).sum(),  # not whole rows
    ],
    ids=["gap", "different-ops", "partial-rows"],
)
def test_what_is_not_adjacent_or_alike_stays_apart(body) -> None:
    src = _check(body, (2, 9))
    forward = src.split("def backward")[0]
    assert forward.count("# tanh") + forward.count("# exp") + forward.count("# sigmoid") == 2


def test_sigmoid_and_tanh_gates_side_by_side_run_as_one_affine_tanh() -> None:
    def lstm_like(a):
        i, f, g, o = (a[:, k : k + 2] for k in range(0, 8, 2))
        c = f.sigmoid() * 0.5 + i.sigmoid() * g.tanh()
        return (o.sigmoid() * c.tanh()).sum()

    src = _check(lstm_like, (3, 8))
    forward = src.split("def backward")[0]
    assert forward.count("# affine_tanh") == 1
    assert forward.count("# sigmoid") == 0 and forward.count("# tanh") == 1  # tanh(c)


@pytest.mark.parametrize("cls", [rnn.LSTM, rnn.GRU])
def test_cells_fuse_their_gates_and_agree_with_eager(monkeypatch, cls: type) -> None:
    # every time step's lines written out, not rolled into one loop, to count them
    monkeypatch.setattr(minigrad.compile.roll, "MIN_RUN", 10**9)
    minigrad.manual_seed(0)
    layer = cls(3, 4, dtype=np.float64)
    src = _check(lambda x: (layer(x)[0] ** 2).sum(), (5, 2, 3))
    forward = src.split("def backward")[0]
    if cls is rnn.GRU:
        # one sigmoid over all the gate blocks, one per step (its r|z add is one op too)
        assert forward.count("# sigmoid") == 5
    else:
        # the sigmoids of i|f and o and the tanh of g, side by side, run as one affine
        # tanh over all four blocks per step: one transcendental pass, as hand-written
        assert forward.count("# affine_tanh") == 5 and forward.count("# sigmoid") == 0
        assert forward.count("# tanh ") == 5  # tanh(c)
