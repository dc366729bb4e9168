"""Long sequences and truncated BPTT: no recursion limit, flat memory when the state is
detached between chunks, and a graph that grows without bound when it is not."""

from __future__ import annotations

import gc
import itertools
import tracemalloc

import numpy as np
import pytest

import minigrad
import rnn

F64 = np.float64


def count_nodes(t):
    """Nodes reachable from a tensor's node, by an iterative walk over ``parents``."""
    if t._node is None:
        return 0
    seen, stack = {id(t._node)}, [t._node]
    while stack:
        node = stack.pop()
        for p in node.parents:
            if type(p) is type(node) and id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def time_scopes(t):
    """The set of ``t=`` scope labels reachable from a tensor."""
    labels, seen, stack = set(), set(), [t._node]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        labels.update(s for s in node.scope if s.startswith("t="))
        stack.extend(p for p in node.parents if type(p) is type(node))
    return labels


def test_2000_step_lstm_backpropagates_without_recursion_error():
    minigrad.manual_seed(0)
    T = 2000
    layer = rnn.LSTM(2, 3, dtype=F64)
    x = minigrad.tensor(np.random.default_rng(0).normal(size=(T, 1, 2)), requires_grad=True)
    out, (_, c_n) = layer(x)
    (out.sum() + c_n.sum()).backward()
    assert x.grad.shape == (T, 1, 2)
    assert np.isfinite(x.grad).all()
    assert np.abs(x.grad[0]).sum() > 0  # the first step is reached
    for p in layer.parameters():
        assert p.grad is not None and np.isfinite(p.grad).all()


def test_chunks_split_time_axis():
    x = np.arange(2 * 7 * 3).reshape(2, 7, 3)
    pieces = list(rnn.chunks(x, 3, axis=1))
    assert [p.shape for p in pieces] == [(2, 3, 3), (2, 3, 3), (2, 1, 3)]
    np.testing.assert_array_equal(np.concatenate(pieces, axis=1), x)
    t = minigrad.tensor(x[0].astype(F64))
    assert [p.shape for p in rnn.chunks(t, 4)] == [(4, 3), (3, 3)]
    with pytest.raises(ValueError, match="k must be a positive number of steps, got 0"):
        list(rnn.chunks(x, 0))


def test_chunks_negative_axis_counts_from_the_end():
    # (N, I, T) with time last: axis=-1 used to slice axis 0 over a length read from axis -1
    x = np.arange(2 * 3 * 7).reshape(2, 3, 7)
    pieces = list(rnn.chunks(x, 3, axis=-1))
    assert [p.shape for p in pieces] == [(2, 3, 3), (2, 3, 3), (2, 3, 1)]
    np.testing.assert_array_equal(np.concatenate(pieces, axis=2), x)
    assert [p.shape for p in rnn.chunks(x, 2, axis=-2)] == [(2, 2, 7), (2, 1, 7)]
    for axis in (3, -4):
        with pytest.raises(ValueError, match=f"axis {axis} is out of range for 3 dimensions"):
            list(rnn.chunks(x, 2, axis=axis))


def test_detach_state_cuts_the_graph_keeps_values():
    layer = rnn.LSTM(2, 3, dtype=F64)
    _, state = layer(minigrad.tensor(np.ones((4, 1, 2))))
    assert all(s._node is not None for s in state)
    cut = rnn.detach_state(state)
    assert isinstance(cut, tuple) and len(cut) == 2
    for a, b in zip(cut, state, strict=True):
        assert a._node is None and not a.requires_grad
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert rnn.detach_state(None) is None
    with pytest.raises(TypeError, match="expected a Tensor, a tuple of Tensors or None, got int"):
        rnn.detach_state(3)


def _train(detach, n_chunks=12, k=8, measure=(3, 10)):
    """Train-style loop over a long sequence in chunks of k steps. Returns per chunk:
    (nodes reachable from the loss, t-scopes reachable, traced current, traced peak)."""
    minigrad.manual_seed(0)
    rng = np.random.default_rng(0)
    N, I, H = 4, 3, 8
    model = rnn.LSTM(I, H, dtype=F64)
    x = rng.normal(size=(n_chunks * k, N, I))
    y = rng.normal(size=(n_chunks * k, N, H))
    state = None
    stats = []
    tracemalloc.start()
    try:
        for xc, yc in zip(rnn.chunks(x, k), rnn.chunks(y, k), strict=True):
            tracemalloc.reset_peak()
            out, state = model(minigrad.tensor(xc), state)
            loss = ((out - yc) ** 2).mean()
            nodes = count_nodes(loss)
            scopes = time_scopes(loss) if len(stats) == n_chunks - 1 else None
            if detach:
                loss.backward()
                for p in model.parameters():
                    p.data -= 0.01 * p.grad
                model.zero_grad()
                state = rnn.detach_state(state)
            del out, loss
            gc.collect()
            current, peak = tracemalloc.get_traced_memory()
            stats.append((nodes, scopes, current, peak))
    finally:
        tracemalloc.stop()
    return stats, state, k


def test_truncated_bptt_keeps_graph_and_memory_flat():
    stats, state, k = _train(detach=True)
    assert all(s._node is None for s in state)
    nodes = [s[0] for s in stats]
    # every chunk's loss reaches the same number of nodes: k steps, not the whole history
    assert nodes[2] == nodes[9] == nodes[-1]
    assert stats[-1][1] == {f"t={t}" for t in range(k)}
    (_, _, cur3, peak3), (_, _, cur10, peak10) = stats[2], stats[9]
    margin = 16 * 1024  # one chunk of graph here is ~120 KB
    assert cur10 <= cur3 + margin, f"current memory grew: {cur3} -> {cur10}"
    assert peak10 <= peak3 + margin, f"peak memory grew: {peak3} -> {peak10}"


def test_without_detaching_the_graph_grows():
    stats, state, _ = _train(detach=False)
    nodes = [s[0] for s in stats]
    assert all(b > a for a, b in itertools.pairwise(nodes))
    assert nodes[9] > 3 * nodes[2]
    # memory held by the growing graph grows too
    assert stats[9][2] > stats[2][2] + 64 * 1024
    assert state[0]._node is not None
