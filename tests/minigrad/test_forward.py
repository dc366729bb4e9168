"""Forward mode (minigrad/forward.py): tangents beside values, batched, per pass; memory
that does not grow with the length of the computation; ops without rules named."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import minigrad
from minigrad import Tensor, forward, func, ops
from minigrad.ops import record
from minigrad.ops.registry import primitive, unregister


def test_batched_tangents_push_many_directions_in_one_pass():
    x = Tensor(np.array([0.3, -0.7, 1.1]))
    with forward.forward_pass():
        t = Tensor(x.data)
        forward.set_tangent(t, np.eye(3)[:2])  # two directions, batch axis first
        y = ops.tanh(t) * t
        dy = forward.tangent(y)
    assert dy.shape == (2, 3)
    d = np.tanh(x.data) + x.data * (1 - np.tanh(x.data) ** 2)
    np.testing.assert_allclose(dy, np.eye(3)[:2] * d, rtol=1e-14)


def test_a_tangent_left_by_an_earlier_pass_is_ignored():
    with forward.forward_pass():
        t = Tensor(np.ones(2))
        forward.set_tangent(t, np.ones((1, 2)))
        y = t * 2.0
        assert forward.tangent(y) is not None
    with forward.forward_pass():
        z = y * 3.0  # y still holds the old pass's tangent: it must not count
        assert forward.tangent(y) is None and forward.tangent(z) is None
    assert not forward.is_active()


def test_jvp_of_a_tensor_that_requires_grad_keeps_the_primal_on_the_tape():
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y, dy = func.jvp(lambda w: (w * w).sum(), (w,), (Tensor(np.array([1.0, 0.0])),))
    assert dy.item() == pytest.approx(2.0)
    y.backward()
    np.testing.assert_allclose(w.grad, 2 * w.data)
    # tangents are not recorded (no reverse-over-forward): a gradient through one refuses
    with pytest.raises(RuntimeError, match="reverse mode over forward mode is not supported"):
        dy.backward()


def test_forward_mode_memory_does_not_grow_with_the_number_of_steps():
    rng = np.random.default_rng(0)
    w = Tensor(rng.normal(0, 0.3, (16, 16)))

    def run(steps: int) -> int:
        x = Tensor(rng.normal(size=(steps, 4, 16)))
        v = Tensor(rng.normal(size=(steps, 4, 16)))

        def last(x):
            h = ops.tanh(x[0] @ w)
            for t in range(1, steps):
                h = ops.tanh(x[t] + h @ w)
            return h

        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        with minigrad.no_grad():
            func.jvp(last, (x,), (v,))
        peak = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        return peak

    short, long = run(20), run(400)
    assert long < 1.5 * short + 16 * 1024, f"peak {short} bytes at 20 steps, {long} at 400"


def test_an_op_without_a_jvp_is_named():
    def _twice_vjp(g):
        return (g * 2.0,)

    @primitive(_twice_vjp)
    def twice(a):
        return record("twice", a.data * 2.0, (a,), _twice_vjp)

    try:
        with pytest.raises(NotImplementedError, match="twice: no forward-mode"):
            func.jvp(twice, (Tensor(np.ones(2)),), (Tensor(np.ones(2)),))
        x = Tensor(np.ones(2), requires_grad=True)
        with pytest.raises(NotImplementedError, match="twice: no differentiable vjp"):
            minigrad.grad(twice(x).sum(), x, create_graph=True)
        np.testing.assert_array_equal(minigrad.grad(twice(x).sum(), x)[0], [2.0, 2.0])
    finally:
        unregister("twice")


def test_set_tangent_outside_a_pass_is_an_error():
    with pytest.raises(RuntimeError, match="no forward-mode pass"):
        forward.set_tangent(Tensor(np.ones(1)), np.ones((1, 1)))
