"""create_graph=True (minigrad/differentiable.py): gradients with history, to any order,
beside the first-order array path, which must stay free of any recording; and no
memory kept across many Hessian-vector products."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

import minigrad
from minigrad import Tensor, func, ops, tape


def _x(*values: float) -> Tensor:
    return Tensor(np.array(values), requires_grad=True)


def test_grad_with_create_graph_returns_tensors_differentiable_to_any_order():
    x = _x(0.3, -1.2)
    y = ops.tanh(x).sum()
    (g1,) = minigrad.grad(y, x, create_graph=True)
    assert isinstance(g1, Tensor) and g1.requires_grad
    t = np.tanh(x.data)
    np.testing.assert_allclose(g1.data, 1 - t**2, rtol=1e-14)
    (g2,) = minigrad.grad(g1.sum(), x, create_graph=True)
    np.testing.assert_allclose(g2.data, -2 * t * (1 - t**2), rtol=1e-14)
    (g3,) = minigrad.grad(g2.sum(), x)
    assert isinstance(g3, np.ndarray)  # without create_graph: arrays, as before
    np.testing.assert_allclose(g3, -2 * (1 - t**2) ** 2 + 4 * t**2 * (1 - t**2), rtol=1e-13)


def test_backward_with_create_graph_leaves_a_differentiable_grad():
    x = _x(1.5, -0.5)
    (x * x * x).sum().backward(create_graph=True)
    assert isinstance(x.grad, Tensor)
    np.testing.assert_allclose(x.grad.data, 3 * x.data**2)
    penalty = (x.grad * x.grad).sum()  # d/dx sum (3x^2)^2 = 36 x^3
    (d,) = minigrad.grad(penalty, x)
    np.testing.assert_allclose(d, 36 * x.data**3)


def test_create_graph_retains_the_graph_by_default_and_plain_backward_frees_it():
    x = _x(2.0)
    y = (x * x).sum()
    minigrad.grad(y, x, create_graph=True)
    minigrad.grad(y, x)  # still there
    with pytest.raises(RuntimeError, match="a second time"):
        minigrad.grad(y, x, create_graph=True)


def test_first_order_backward_records_nothing():
    x = _x(0.1, 0.2, 0.3)
    w = Tensor(np.ones((3, 3)), requires_grad=True)
    loss = ops.sigmoid(ops.tanh(x @ w) * x).sum()
    before = tape.sequence_mark()
    loss.backward()
    # No node was created by the backward: the next sequence number follows directly.
    assert tape.sequence_mark() == before + 1
    assert isinstance(x.grad, np.ndarray) and isinstance(w.grad, np.ndarray)


def test_create_graph_and_array_paths_agree_on_first_derivatives():
    rng = np.random.default_rng(0)
    w = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    x = Tensor(rng.normal(size=(5, 4)))
    h = ops.tanh(x @ w)
    loss = (ops.sigmoid(h[1:]) * h[:-1]).sum() + ops.logaddexp(h, 0.0).mean()
    plain = minigrad.grad(loss, w, retain_graph=True)[0]
    graph = minigrad.grad(loss, w, create_graph=True)[0]
    np.testing.assert_allclose(graph.data, plain, rtol=1e-13, atol=1e-15)


def test_grad_inside_forward_mode_needs_create_graph():
    def f(x):
        y = (x * x).sum()
        return Tensor(minigrad.grad(y, x)[0])

    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="create_graph=True"):
        func.jvp(f, (x,), (Tensor(np.ones(2)),))


def test_hooks_see_tensors_under_create_graph():
    x = _x(1.0, 2.0)
    y = x * 3.0
    seen = []
    y.register_hook(lambda g: seen.append(type(g)) or g * 2.0)
    (g,) = minigrad.grad((y * y).sum(), x, create_graph=True)
    assert seen == [Tensor]
    np.testing.assert_allclose(g.data, 2 * 2 * 3 * 3 * x.data)


def _hvp_round(w: Tensor, x: Tensor, v: Tensor) -> float:
    def loss(w):
        return (ops.tanh(x @ w) ** 2.0).sum()

    _, (hv,) = func.hvp(loss, (w,), (v,))
    return float(hv.data.sum())


def test_memory_is_flat_over_a_thousand_hessian_vector_products():
    rng = np.random.default_rng(0)
    w, x, v = (Tensor(rng.normal(size=s)) for s in ((8, 8), (4, 8), (8, 8)))
    # With the cyclic collector off, anything kept alive by a reference cycle (the way
    # a create_graph gradient can point back at its own graph) would pile up.
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        tracemalloc.start()
        # Warm up until Python's free lists of small objects are full (they count as
        # allocated): about 750 rounds here.
        for _ in range(1000):
            _hvp_round(w, x, v)
        objects = len(gc.get_objects())
        early, _ = tracemalloc.get_traced_memory()
        for _ in range(1000):
            _hvp_round(w, x, v)
        late, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert len(gc.get_objects()) - objects < 50
    finally:
        if was:
            gc.enable()
    assert late - early < 16 * 1024, f"grew {late - early} bytes over 1000 HVPs"
