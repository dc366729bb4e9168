"""The backward engine (minigrad/engine.py): reuse, depth, graph lifetime, dtypes,
accumulation and hooks. Passing over pieces of a split is in test_engine_pieces.py."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

import minigrad
from minigrad import Tensor


def leaf(values, dtype=np.float64) -> Tensor:
    return Tensor(np.asarray(values, dtype), requires_grad=True)


# --------------------------------------------------------------- reuse (pitfall 2)


def test_diamond_sums_both_paths():
    a = leaf([1.0, -2.0, 3.0])
    b = a + a
    c = b * b  # c = 4 a^2, dc/da = 8 a
    c.sum().backward()
    np.testing.assert_allclose(a.grad, 8 * a.data)


def test_parameter_reused_at_1000_steps_gets_the_sum():
    w = leaf(0.5)
    h = Tensor(np.array(1.0))
    for _ in range(1000):
        h = h + w * 0.001
    h.backward()
    np.testing.assert_allclose(w.grad, 1000 * 0.001)
    # And through a product chain: h_t = h_{t-1} * w  =>  dh/dw = T w^(T-1).
    w = leaf(1.0001)
    h = Tensor(np.array(1.0))
    for _ in range(1000):
        h = h * w
    h.backward()
    np.testing.assert_allclose(w.grad, 1000 * 1.0001**999, rtol=1e-10)


# --------------------------------------------------------------- depth (pitfall 1)


def test_zero_dim_values_and_grads_are_arrays():
    # NumPy returns scalars, not 0-d arrays, from ufuncs on 0-d inputs; in-place
    # accumulation into such a scalar would be silently lost.
    x = leaf(0.5)
    y = x.tanh() * 2.0 + x
    assert type(y.data) is np.ndarray
    h = x * 1.0
    h.retain_grad()
    (h * 3.0 + h * 4.0 + h).backward()
    assert type(x.grad) is np.ndarray and type(h.grad) is np.ndarray
    assert x.grad == 8.0 and h.grad == 8.0
    (gx,) = minigrad.grad(x * 2.0 + x * 3.0 + x, x)
    assert type(gx) is np.ndarray and gx == 6.0
    x.grad = None
    x.backward()
    x.backward()
    assert type(x.grad) is np.ndarray and x.grad == 2.0


def test_100000_node_chain_backpropagates_without_recursion():
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0
    del y  # tearing the chain down must not recurse either
    gc.collect()


# ---------------------------------------------------------- graph lifetime (pitfall 5)


def test_second_backward_without_retain_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x.tanh() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()


def test_a_vjp_returning_the_wrong_number_of_gradients_is_named():
    from minigrad.ops.core import record

    x = leaf([1.0, 2.0])
    y = record("twice", x.data * 2, (x,), lambda g: (g * 2, g))
    with pytest.raises(RuntimeError, match="twice: its vjp returned 2 gradients for 1 inputs"):
        y.sum().backward()


def test_retain_graph_allows_a_second_backward_and_accumulates():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad, 4 * x.data)


def test_graph_memory_is_released_after_backward():
    w = leaf(np.random.default_rng(0).standard_normal((64, 64)))

    def step():
        h = Tensor(np.ones((8, 64)))
        for _ in range(10):
            h = (h @ w).tanh()
        h.sum().backward()

    for _ in range(3):
        step()
    tracemalloc.start()
    try:
        step()
        first, _ = tracemalloc.get_traced_memory()
        for _ in range(30):
            step()
        last, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 30 steps each holding ~10 saved (8, 64) arrays would be ~1.2 MB.
    assert last - first < 64 * 1024


def test_saved_values_are_freed_while_the_output_is_alive():
    x = leaf(np.ones(1000))
    y = (x * 2.0).tanh().sum()
    y.backward()
    node = y._node
    seen = []
    stack = [node]
    while stack:
        n = stack.pop()
        seen.append(n)
        stack.extend(p for p in n.parents if isinstance(p, minigrad.autograd.Node))
    assert all(n.vjp is None for n in seen)


# ---------------------------------------------------------------- dtype (float32)


def test_float32_graph_stays_float32():
    x = Tensor(np.array([0.5, -1.5], np.float32), requires_grad=True)
    w = Tensor(np.ones((2, 2), np.float32), requires_grad=True)
    y = 2.0 * x + 1 - x / 3.0
    y = (y**2 + y.exp() - 0.5).tanh() @ w
    y = minigrad.functional.log_softmax(y.sigmoid() * 1.5, axis=0)
    loss = y.mean() * 0.1
    assert y.dtype == np.float32 and loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_grads_keep_the_leaf_dtype_when_mixed_with_float64():
    x = Tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    y = x * np.array([3.0, 4.0])  # float64 array promotes the result, as NumPy
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3, 4])


# ---------------------------------------------------------------- accumulation


def test_leaves_accumulate_and_intermediates_keep_no_grad():
    x = leaf([1.0, 2.0])
    for _ in range(3):
        h = x * 2.0
        h.sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 6.0])
    assert h.grad is None
    x.grad = None
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])


def test_retain_grad_keeps_an_intermediate_grad():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    h.retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * h.data)
    assert h.grad.dtype == h.dtype


def test_constant_leaves_get_no_grad():
    c = Tensor(np.ones(2))
    x = leaf([1.0, 2.0])
    (x * c).sum().backward()
    assert c.grad is None


# ------------------------------------------------------------------------- hooks


def test_leaf_hook_sees_the_summed_grad_and_may_replace_it():
    x = leaf([1.0, 2.0])
    seen = []
    x.register_hook(lambda g: seen.append(g.copy()))
    handle = x.register_hook(lambda g: g * 10)
    (x * 2.0 + x).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    np.testing.assert_array_equal(x.grad, [30.0, 30.0])
    handle.remove()
    handle.remove()  # removing twice is harmless
    x.grad = None
    (x * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 2.0])
    assert len(seen) == 2


def test_a_gradient_a_leaf_hook_keeps_is_not_the_grad_that_accumulates():
    # As PyTorch's AccumulateGrad, which clones a gradient someone else holds: the array
    # a hook kept (or returned) is not the one later backward passes add into.
    w = leaf(np.ones((3, 2)))
    kept = []
    w.register_hook(kept.append)
    x = Tensor(np.ones((4, 3)))
    ((x * 2.0) @ w + x @ w).sum().backward()  # two uses: the engine sums into its own buffer
    first = kept[0].copy()
    assert kept[0] is not w.grad
    ((x * 3.0) @ w).sum().backward()
    np.testing.assert_array_equal(kept[0], first)
    np.testing.assert_array_equal(w.grad, first + 12.0)
    returned = np.full(2, 5.0)
    v = leaf(np.ones(2))
    v.register_hook(lambda g: returned)
    (v * 2.0).sum().backward()
    (v * 2.0).sum().backward()
    np.testing.assert_array_equal(returned, [5.0, 5.0])
    np.testing.assert_array_equal(v.grad, [10.0, 10.0])


def test_non_leaf_hook_replaces_the_grad_flowing_on():
    x = leaf([1.0, 2.0])
    h = x * 2.0
    h.register_hook(lambda g: np.zeros_like(g))
    (h * 3.0 + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])  # only the direct path


def test_register_hook_on_constant_raises():
    with pytest.raises(RuntimeError, match="register_hook"):
        Tensor(np.ones(2)).register_hook(lambda g: g)


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_view_made_once_is_backpropagated_through_by_every_graph(create_graph):
    # Wt = W.T (and W.reshape) made before a loop saved no values: each iteration's
    # backward goes through it again, as in PyTorch; a node that saved values still
    # refuses a second backward.
    rng = np.random.default_rng(0)
    W = minigrad.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    Wt, Wr = W.T, W.reshape(2, 3)
    want = np.zeros((3, 2))
    for _ in range(3):
        x = rng.standard_normal((4, 2))
        loss = (minigrad.tensor(x) @ Wt).sum() + (Wr * 2.0).sum()
        loss.backward(create_graph=create_graph)
        want += np.ones((4, 3)).T @ x + 2.0
    np.testing.assert_allclose(W.grad if not create_graph else W.grad.data, want, rtol=1e-12)
    y = (W * W).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through sum a second time"):
        y.backward()
