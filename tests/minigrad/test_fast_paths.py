"""The engine's speed-ups give exactly the results of the plain computation.

Each optimisation has a test here: deferred weight gradients (one GEMM for all uses),
slice gradients added into one buffer (O(T) splitting), kept until their input's turn
(rows joined by one concatenation, disjoint gate blocks written), gradients passed on unchanged
when no broadcast happened, the paused garbage collector, float32 kept float32, and
saved values released after backward. (``addmm`` against its composition is in
tests/minigrad/ops/test_linalg.py.)
"""

from __future__ import annotations

import gc

import numpy as np
import pytest

import minigrad
from minigrad import Tensor, ops
from minigrad.autograd import gc_paused

rng = np.random.default_rng(0)


def test_weight_used_at_many_steps_gets_the_sum_of_its_uses():
    """Matmul defers a^T g; the engine sums all uses in one product. Compare with the
    gradient summed use by use in NumPy, with dense contributions mixed in."""
    W = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    xs = [rng.standard_normal((2, 4)) for _ in range(30)]
    gs = [rng.standard_normal((2, 3)) for _ in range(30)]
    total = None
    for x, g in zip(xs, gs, strict=True):
        term = ((Tensor(x) @ W) * g).sum()
        total = term if total is None else total + term
    total = total + (W * 2.0).sum()  # a dense contribution to the same leaf
    total.backward()
    want = sum(x.T @ g for x, g in zip(xs, gs, strict=True)) + 2.0
    np.testing.assert_allclose(W.grad, want, rtol=1e-12, atol=1e-12)


def test_deferred_gradient_reaches_a_non_leaf_and_its_hooks():
    W = Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    Wt = W.T  # a non-leaf receiving the deferred terms
    seen = []
    Wt.register_hook(lambda g: seen.append(g.copy()))
    x = [Tensor(rng.standard_normal((1, 3))) for _ in range(5)]
    loss = sum(((xi @ Wt) ** 2).sum() for xi in x[1:]) + ((x[0] @ Wt) ** 2).sum()
    loss.backward()
    assert len(seen) == 1 and seen[0].shape == (3, 3)
    np.testing.assert_allclose(W.grad, seen[0].T, rtol=1e-12)


def test_split_pieces_add_into_one_buffer():
    """Each slice sends only its part; the parts land in one buffer of the input."""
    x = Tensor(rng.standard_normal((50, 2, 3)), requires_grad=True)
    pieces = x.unbind(0)
    weights = rng.standard_normal((50, 2, 3))
    loss = sum((p * w).sum() for p, w in zip(pieces[::2], weights[::2], strict=True))
    loss = loss + (pieces[4] * 3.0).sum()  # a repeated use of one slice
    loss.backward()
    want = np.zeros((50, 2, 3))
    want[::2] = weights[::2]
    want[4] += 3.0
    np.testing.assert_allclose(x.grad, want, rtol=1e-12)


def test_every_row_once_is_one_concatenation(monkeypatch):
    """x[0], ..., x[T-1] each used once, in any order: their gradients are kept until
    x's turn and joined by one concatenation (checked against the dense sum)."""
    from minigrad import gradients

    joined = []
    rows = gradients._rows
    monkeypatch.setattr(gradients, "_rows", lambda *a: joined.append(rows(*a)) or joined[-1])
    x = Tensor(rng.standard_normal((6, 2, 3)), requires_grad=True)
    h = x * 1.0  # a node: its gradient is summed in the walk, not at the leaf
    w = rng.standard_normal((6, 2, 3))
    loss = sum((h[t] * w[t]).sum() for t in (3, 0, 5, 1, 4, 2))
    loss.backward()
    np.testing.assert_allclose(x.grad, w, rtol=1e-12)
    assert len(joined) == 1 and joined[0] is not None


@pytest.mark.parametrize("extra", ["repeat", "negative", "missing"])
def test_rows_that_are_not_each_used_once_are_added(extra):
    """A row used twice (also as x[-1]) or left out falls back to adding into zeros."""
    x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    h = x * 1.0
    w = rng.standard_normal((5, 3))
    uses = {"repeat": [0, 1, 2, 3, 0], "negative": [0, 1, 2, 3, -1], "missing": [0, 1, 3]}[extra]
    loss = sum((h[t] * w[k]).sum() for k, t in enumerate(uses))
    loss.backward()
    want = np.zeros((4, 3))
    for k, t in enumerate(uses):
        want[t] += w[k]
    np.testing.assert_allclose(x.grad, want, rtol=1e-12)


@pytest.mark.parametrize(
    ("blocks", "disjoint"),
    [
        ([(0, 2), (2, 4)], True),
        ([(4, 6), (0, 2)], True),
        ([(1, 3), (4, 5)], True),
        ([(0, 3), (2, 5)], False),
    ],
)
def test_gate_blocks_are_written_when_disjoint(monkeypatch, blocks, disjoint):
    """Column blocks of one activation (a cell's gates): disjoint ones are written into
    the zeroed buffer, overlapping ones added; both give the dense sum."""
    from minigrad import gradients

    seen = []
    check = gradients._blocks

    def spy(items: list) -> list | None:
        spans = check(items)
        seen.append(spans is not None)
        return spans

    monkeypatch.setattr(gradients, "_blocks", spy)
    x = Tensor(rng.standard_normal((3, 6)), requires_grad=True)
    s = x.sigmoid()
    w = rng.standard_normal((len(blocks), 3, 6))
    loss = sum((s[..., a:b] * w[k][:, a:b]).sum() for k, (a, b) in enumerate(blocks))
    loss.backward()
    gs = np.zeros((3, 6))
    for k, (a, b) in enumerate(blocks):
        gs[:, a:b] += w[k][:, a:b]
    sv = 1 / (1 + np.exp(-x.data))
    np.testing.assert_allclose(x.grad, gs * sv * (1 - sv), rtol=1e-12)
    assert seen == [disjoint]


@pytest.mark.parametrize(
    ("shape", "head"),
    [
        ((3, 8192), (Ellipsis,)),
        ((3, 8192), (slice(None),)),
        ((3, 8192), (slice(0, 2),)),
        ((2, 8, 4096), (slice(None),)),
        ((2, 3, 8192), (Ellipsis,)),
        ((2, 3, 8192), (slice(None), slice(1, 3))),
    ],
)
def test_only_what_the_blocks_leave_out_is_zeroed(monkeypatch, shape, head):
    """Written blocks start from an uninitialised buffer only where their slices take
    everything before the blocks' axis; the rest is zeroed (NaN-filled allocations
    would show any position left unset)."""
    from minigrad import gradients

    monkeypatch.setattr(gradients, "_empty", lambda s, d: np.full(s, np.nan, d))
    x = Tensor(rng.standard_normal(shape), requires_grad=True)
    y = x * 1.0
    spans = [(0, 2), (3, 4), (4, 6)]  # gaps at 2:3 and 6:
    w = rng.standard_normal(shape)
    loss = sum((y[(*head, slice(a, b))] * w[(*head, slice(a, b))]).sum() for a, b in spans)
    loss.backward()
    want = np.zeros(shape)
    for a, b in spans:
        want[(*head, slice(a, b))] = w[(*head, slice(a, b))]
    np.testing.assert_array_equal(x.grad, want)


def test_slices_then_a_dense_gradient_and_a_deferred_product():
    """Slices of a node, then the node used whole, then as a matmul's right operand:
    every kind of contribution lands in one gradient."""
    W = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    V = W * 1.0
    x = rng.standard_normal((2, 3))
    loss = (V[0] * 2.0).sum() + (V[1:3] ** 2).sum() + (V * 3.0).sum()
    loss = loss + (Tensor(x) @ V).sum() + (V[..., 1] * 5.0).sum()
    loss.backward()
    want = np.full((3, 4), 3.0) + x.T @ np.ones((2, 4))
    want[0] += 2.0
    want[1:3] += 2 * W.data[1:3]
    want[:, 1] += 5.0
    np.testing.assert_allclose(W.grad, want, rtol=1e-12)


def test_leaves_receiving_only_slices_get_dense_grads():
    """A leaf indexed once, or row by row, or by repeating integers, gets a full
    ndarray .grad of its own shape."""
    a = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    c = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    loss = (a[1] * 2.0).sum() + sum((b[t] * (t + 1.0)).sum() for t in range(3))
    loss = loss + c[np.array([0, 0, 2])].sum()
    loss.backward()
    np.testing.assert_array_equal(a.grad, [[0, 0], [2, 2], [0, 0]])
    np.testing.assert_array_equal(b.grad, [[1, 1], [2, 2], [3, 3]])
    np.testing.assert_array_equal(c.grad, [[2, 2], [0, 0], [1, 1]])
    assert all(type(t.grad) is np.ndarray for t in (a, b, c))


def test_gradient_passed_on_unchanged_is_not_modified_later():
    """add hands g to both inputs as is; accumulating into one must not alter the other."""
    a = Tensor(np.ones(3), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    c = a + b
    loss = (c * 2.0).sum() + (a * 5.0).sum()
    loss.backward()
    np.testing.assert_array_equal(a.grad, [7.0, 7.0, 7.0])
    np.testing.assert_array_equal(b.grad, [2.0, 2.0, 2.0])


@pytest.mark.parametrize("was_enabled", [True, False])
def test_garbage_collector_state_is_restored(was_enabled):
    (gc.enable if was_enabled else gc.disable)()
    try:
        w = Tensor(np.ones(2), requires_grad=True)
        with gc_paused():
            assert not gc.isenabled()
        assert gc.isenabled() == was_enabled
        (w * w).sum().backward()
        assert gc.isenabled() == was_enabled
        import rnn

        rnn.GRU(2, 3)(minigrad.randn(4, 1, 2))
        assert gc.isenabled() == was_enabled
    finally:
        gc.enable()


def test_float32_stays_float32_through_a_layer_and_its_backward():
    import rnn
    from minigrad.functional import cross_entropy, linear

    layer = rnn.LSTM(3, 4)
    head = minigrad.nn.Linear(4, 5)
    out, _ = layer(minigrad.randn(6, 2, 3))
    loss = cross_entropy(linear(out.reshape(12, 4), head.weight, head.bias), np.zeros(12, int))
    assert out.dtype == loss.dtype == np.float32
    loss.backward()
    for p in [*layer.parameters(), *head.parameters()]:
        assert p.grad.dtype == np.float32 and p.grad.shape == p.shape


def test_saved_values_are_released_after_backward():
    x = Tensor(rng.standard_normal((3, 3)), requires_grad=True)
    y = ops.tanh(x @ x)
    node = y._node
    assert node.saved
    y.sum().backward()
    assert node.saved is None and node.vjp is None
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.sum().backward()


def test_no_grad_decorates_with_and_without_parentheses():
    w = Tensor(np.ones(2), requires_grad=True)

    @minigrad.no_grad
    def bare():
        return w * 2

    @minigrad.no_grad()
    def called():
        return w * 2

    assert not bare().requires_grad and not called().requires_grad
    assert (w * 2).requires_grad


def test_grad_returns_fresh_writable_arrays():
    x = Tensor(np.ones(3), requires_grad=True)
    (g,) = minigrad.grad(x.sum(), x)
    g += 1  # a broadcast view would be read-only
    go = np.full(3, 2.0)
    (g2,) = minigrad.grad(x + 0.0, x, grad_outputs=go)
    assert g2 is not go and not np.shares_memory(g2, go)


def test_hooks_cannot_break_the_grad_contract():
    w = Tensor(np.ones(2, np.float32), requires_grad=True)
    w.register_hook(lambda g: g.astype(np.float64) * 3)
    (w * 2).sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.tolist() == [6.0, 6.0]
    v = Tensor(np.ones(2), requires_grad=True)
    v.register_hook(lambda g: np.ones(5))
    with pytest.raises(RuntimeError, match=r"shape \(5,\) for a tensor of shape \(2,\)"):
        (v * 2).sum().backward()


def test_requires_grad_assignment_is_checked():
    t = minigrad.tensor([1, 2])
    with pytest.raises(TypeError, match="floating-point"):
        t.requires_grad = True
    f = minigrad.tensor([1.0, 2.0])
    f.requires_grad = True
    (f * 2.5).sum().backward()
    assert f.grad.tolist() == [2.5, 2.5]


def test_in_place_through_a_detached_alias_is_detected():
    a = Tensor(np.array([0.5, 1.0]), requires_grad=True)
    t = a.tanh()
    y = (t * 1.0).sum()
    alias = t.detach()
    del t
    alias.zero_()
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_in_place_on_an_input_nothing_saved_is_allowed():
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (p + 1.0).sum()  # add saves no values
    with minigrad.no_grad():
        p.add_(1.0)
    y.backward()
    assert p.grad.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize("uses", [1, 5])
def test_a_weight_used_as_its_transpose_gets_the_sum_of_its_uses(uses, dense, flip, monkeypatch):
    """W^T's deferred terms are summed for W^T and copied across, or (a large W; here
    any, with ``flip``) pass through the transpose and are summed in W's layout: either
    way W.grad is the sum of its uses (and of a dense term), row-major as W."""
    if flip:
        monkeypatch.setattr(minigrad.ops.shape, "LARGE_MATRIX_BYTES", 0)
    W = Tensor(rng.standard_normal((5, 3)), requires_grad=True)
    xs = [rng.standard_normal((2, 3)) for _ in range(uses)]
    gs = [rng.standard_normal((2, 5)) for _ in range(uses)]
    Wt = W.T
    total = sum(((Tensor(x) @ Wt) * g).sum() for x, g in zip(xs, gs, strict=True))
    if dense:
        total = total + (Wt * 3.0).sum()
    total.backward()
    want = sum(g.T @ x for x, g in zip(xs, gs, strict=True)) + (3.0 if dense else 0.0)
    np.testing.assert_allclose(W.grad, want, rtol=1e-12, atol=1e-12)
    assert W.grad.flags.c_contiguous
