"""minigrad.viz.trace: values, the backward order and per-step gradients, recorded
through the engine's tape observer."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
import minigrad.viz as viz
from minigrad import tape
from minigrad.viz.grads import grad_norm
from minigrad.viz.trace import Stats, contributions, stats_of, visit_of
from minigrad.viz.walk import walk

N, I, H, T = 2, 3, 4, 5


def weights() -> dict[str, minigrad.Tensor]:
    rng = np.random.default_rng(0)
    return {
        "w_ih": minigrad.tensor(rng.uniform(-0.5, 0.5, (H, I)), requires_grad=True),
        "w_hh": minigrad.tensor(rng.uniform(-0.9, 0.9, (H, H)), requires_grad=True),
    }


def xs() -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.standard_normal((N, I)) for _ in range(T)]


def rnn(p: dict, per_step_hh: list | None = None) -> tuple[minigrad.Tensor, list]:
    """h_t = tanh(x_t W_ih^T + h_{t-1} W_hh^T); W_hh read as its transpose, made once
    outside the steps (or a separate copy per step when ``per_step_hh`` is given)."""
    h = minigrad.zeros(N, H)
    w_hh_t = p["w_hh"].T
    hs = []
    for t, x in enumerate(xs()):
        with minigrad.scope(f"t={t}"):
            w = w_hh_t if per_step_hh is None else per_step_hh[t].T
            h = (minigrad.tensor(x) @ p["w_ih"].T + h @ w).tanh()
        h.retain_grad()
        hs.append(h)
    return h, hs


def test_order_is_the_order_the_engine_ran_the_vjps():
    p = weights()
    seen: list[int] = []
    with viz.trace():
        h, _ = rnn(p)
        loss = (h * h).sum()
        for node in walk(loss).nodes:
            node.hooks = [lambda g, s=node.seq: seen.append(s)]
        loss.backward()
    visited = sorted(walk(loss).nodes, key=visit_of)
    assert [n.seq for n in visited] == seen
    assert len(seen) == len(walk(loss).nodes)
    assert tape.observers == []  # the observer leaves with the block


def test_values_and_gradient_norms_are_the_tensors():
    p = weights()
    with viz.trace():
        h, hs = rnn(p)
        loss = (h * h).sum()
        loss.backward()
    for t in hs:
        s = stats_of(t._node)
        assert (s.min, s.max) == pytest.approx((t.data.min(), t.data.max()))
        assert s.mean == pytest.approx(t.data.mean()) and sum(s.hist) == t.data.size
        assert s.dtype == "float64"
        assert grad_norm(t._node) == pytest.approx(np.linalg.norm(t.grad))
    assert viz.trace_stats(p["w_hh"]).max == pytest.approx(p["w_hh"].data.max())


def test_per_step_terms_of_a_shared_weight_are_each_steps_gradient():
    """The terms recorded for W_hh^T equal the gradients of separate per-step copies."""
    p = weights()
    with viz.trace():
        h, _ = rnn(p)
        loss = (h * h).sum()
        loss.backward()
    w_hh_t = next(n for n in walk(loss).nodes if n.op == "transpose" and n.shape == (H, H))
    terms = contributions(w_hh_t)
    copies = [minigrad.tensor(p["w_hh"].data.copy(), requires_grad=True) for _ in range(T)]
    h2, _ = rnn(weights(), per_step_hh=copies)
    (h2 * h2).sum().backward()
    expected = {("t=" + str(t),): np.linalg.norm(c.grad) for t, c in enumerate(copies)}
    assert set(terms) == set(expected)
    for step, norm in terms.items():
        assert norm == pytest.approx(expected[step], rel=1e-9)
    assert list(terms) == [(f"t={t}",) for t in reversed(range(T))]  # backward order


def test_stats_of_odd_arrays():
    s = Stats.of(np.array([1.0, np.inf, np.nan, 3.0], dtype=np.float32))
    assert (s.min, s.max, s.nonfinite, s.dtype) == (1.0, 3.0, 2, "float32")
    flat = Stats.of(np.full((2, 2), 5.0))
    assert flat.min == flat.max == 5.0 and sum(flat.hist) == 4
    empty = Stats.of(np.zeros((0,)))
    assert np.isnan(empty.mean) and sum(empty.hist) == 0


def test_no_trace_records_nothing():
    p = weights()
    h, _ = rnn(p)
    loss = h.sum()
    loss.backward()
    assert stats_of(loss._node) is None and visit_of(loss._node) is None


def test_histogram_is_numpys():
    a = np.random.default_rng(5).standard_normal((7, 33))
    counts, _ = np.histogram(a, bins=len(Stats.of(a).hist))
    assert Stats.of(a).hist == tuple(int(c) for c in counts)
