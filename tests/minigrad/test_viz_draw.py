"""minigrad.viz.draw: clusters per step, shared weights once, names and labels, the
unrolled and the collapsed view.

The cells come from tests/viz_cases.py; gradient colouring is in test_viz_grads.py, saving in
test_viz_save.py, the layout's order in test_viz_layout.py.
"""

from __future__ import annotations

import html
import sys

import numpy as np
import pytest
from viz_cases import NODE, by_label, gru, lstm, needs_dot, params, parse, rnn

import minigrad
import minigrad.viz as viz

# ------------------------------------------------------------------- unrolled view


def test_vanilla_rnn_t3_exact_node_and_edge_counts():
    # One step of h = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh), in evaluation order:
    #   transpose(W_ih), matmul, add(b_ih), transpose(W_hh), matmul, add, add(b_hh), tanh
    # = 8 op nodes per step, 24 for T=3. Leaves: 4 weights (once each) + 3 inputs x_t
    # + h_0 = 8. Nodes: 24 + 8 = 32.
    # Edges per step between ops: W_ih^T->mm, mm->add, W_hh^T->mm, add->add, mm->add,
    # add->add, add->tanh = 7 (21 for T=3), plus h_{t-1} (tanh)->mm for t=1,2: 2.
    # Leaf edges: each of the 4 weights once per step (into its transpose or add): 12;
    # x_t->mm: 3; h_0->mm: 1. Edges: 21 + 2 + 12 + 3 + 1 = 39.
    p = params(1)
    src = viz.draw(rnn(3, p), params=p).source
    nodes, edges, clusters = parse(src)
    assert len(nodes) == 32
    assert len(edges) == 39
    assert clusters == ["t=0", "t=1", "t=2"]
    ops = [label.split("\\n")[0] for label, path in nodes.values() if path]
    assert sorted(ops).count("tanh") == 3 and ops.count("matmul") == 6


@pytest.mark.parametrize("T", [3, 5])
def test_lstm_one_cluster_per_step_weights_once_one_edge_per_step(T):
    p = params(4)
    h, c = lstm(T, p)
    src = viz.draw([h, c], params=p).source
    nodes, edges, clusters = parse(src)
    assert clusters == [f"t={t}" for t in range(T)]
    for name in p:
        lines = [ln for ln in src.splitlines() if NODE.match(ln) and f'label="{name}\\n' in ln]
        assert len(lines) == 1, name
        (wid,) = by_label(nodes, name)
        assert nodes[wid][1] == (), f"{name} is drawn inside a step cluster"
        steps = [nodes[b][1] for a, b, _ in edges if a == wid]
        assert sorted(steps) == [(f"t={t}",) for t in range(T)], name
    # The i, f, g, o split is four slices of one matmul sum in every step.
    assert len(by_label(nodes, "getitem")) == 4 * T


def test_gru_folds_the_constant_one_into_its_op():
    p = params(3)
    nodes, _, _ = parse(viz.draw(gru(2, p), params=p).source)
    assert len(by_label(nodes, "sub(1, ·)")) == 2
    assert not any(label.startswith("input\\nscalar") for label, _ in nodes.values())


def test_nested_scopes_nest_clusters_and_keep_weights_outside_steps():
    fwd, rev = params(1), params(1)
    out = rnn(2, fwd, ("layer=0",)) + rnn(2, rev, ("layer=0", "dir=reverse"))
    names = {**fwd, **{k + "_reverse": v for k, v in rev.items()}}
    nodes, _, clusters = parse(viz.draw(out, params=names).source)
    assert clusters.count("layer=0") == 1 and clusters.count("dir=reverse") == 1
    (tanh_rev,) = [
        k
        for k, (lb, path) in nodes.items()
        if lb.startswith("tanh") and path[-2:] == ("dir=reverse", "t=1")
    ]
    assert nodes[tanh_rev][1] == ("layer=0", "dir=reverse", "t=1")
    (w,) = by_label(nodes, "weight_hh_reverse")
    assert nodes[w][1] == ("layer=0", "dir=reverse")
    assert [nodes[k][1] for k in by_label(nodes, "add")].count(()) == 1


def test_leaf_names_from_params_then_name_then_kind():
    w = minigrad.ones(2, requires_grad=True)
    v = minigrad.ones(2, requires_grad=True)
    v.name = "v"
    x = minigrad.ones(2)
    nodes, _, _ = parse(viz.draw((w * v * x).sum(), params={"w": w}).source)
    labels = sorted(label for label, _ in nodes.values())
    assert labels == [
        "input\\n(2,)",
        "mul\\n(2,)",
        "mul\\n(2,)",
        "sum\\nscalar",
        "v\\n(2,)",
        "w\\n(2,)",
    ]


@needs_dot
@pytest.mark.parametrize("name", ["e\\N", "back\\slash", '\\"q', "<b>", "<a>&<b>", 'a"b<c>&'])
def test_names_and_scopes_render_as_written(name):
    # Graphviz reads \N in a label as the node's name and drops other backslashes; the
    # graphviz package passes a label written <...> as HTML-like (<a>&<b> does not parse).
    import re

    w = minigrad.ones(2, requires_grad=True)
    w.name = name
    with minigrad.scope(name):
        y = (w * 2).sum()
    for shapes in (True, False):
        svg = viz.draw(y, show_shapes=shapes).pipe(format="svg", encoding="utf-8")
        texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)]
        assert texts.count(name) == 2, texts  # the leaf and the scope's cluster


def test_a_leaf_alone_and_a_non_tensor():
    w = minigrad.ones(2, 3, requires_grad=True)
    nodes, edges, _ = parse(viz.draw(w, params={"w": w}).source)
    assert list(nodes.values()) == [("w\\n(2, 3)", ())] and edges == []
    with pytest.raises(TypeError, match="not a minigrad Tensor"):
        viz.draw(np.ones(3))


def test_an_array_or_no_output_is_said_as_such():
    # Before, an array was read element by element ('output 0 is a float64'), and an
    # empty list drew an empty picture (and explore wrote an empty page).
    with pytest.raises(TypeError, match=r"the output is a ndarray, not a minigrad Tensor"):
        viz.draw(np.ones(3))
    with pytest.raises(TypeError, match=r"the output is a str"):
        viz.track_grads("loss")
    for call in (viz.draw, viz.track_grads, viz.explore):
        with pytest.raises(ValueError, match=r"no output to draw"):
            call([])


def test_a_rankdir_graphviz_does_not_know_is_refused():
    # Before, rankdir="lr" or "XX" was written into the DOT and Graphviz ignored it.
    loss = rnn(2, params(1)).sum()
    for bad in ("lr", "XX", "TD"):
        with pytest.raises(
            ValueError, match=rf"rankdir must be one of LR, RL, TB, BT, got '{bad}'"
        ):
            viz.draw(loss, rankdir=bad)
    assert "rankdir=BT" in viz.draw(loss, rankdir="BT").source


def test_max_nodes_refuses_a_hairball():
    p = params(1)
    h = rnn(30, p)
    with pytest.raises(
        ValueError, match=r"graph has 240 op nodes, more than max_nodes=100; pass collapse=True"
    ):
        viz.draw(h, max_nodes=100)
    assert viz.draw(h, max_nodes=240).source


# ---------------------------------------------------------------- names and labels


def test_layers_name_initial_states_and_gate_slices():
    import rnn as layers

    lstm_layer = layers.LSTM(3, 4, dtype=np.float64)
    out, _ = lstm_layer(minigrad.tensor(np.ones((2, 1, 3))))
    nodes, _, clusters = parse(viz.draw(out.sum()).source)
    labels = [label.split("\\n")[0] for label, _ in nodes.values()]
    assert labels.count("h0") == 1 and labels.count("c0") == 1 and "input" in labels  # x
    for gate in "ifgo":
        assert labels.count(f"{gate} = getitem") == 2, gate
    assert not any(c.startswith("gate=") for c in clusters)  # named, not boxed
    gru_layer = layers.GRU(3, 4, dtype=np.float64)
    out, _ = gru_layer(minigrad.tensor(np.ones((2, 1, 3))))
    labels = [label.split("\\n")[0] for label, _ in parse(viz.draw(out.sum()).source)[0].values()]
    # r and z are sliced from one sigmoid per step, n from both the x and h parts
    assert labels.count("r = getitem") == labels.count("z = getitem") == 2
    assert labels.count("n = getitem") == 4
    assert labels.count("h0") == 1


def test_scalar_constants_fold_into_the_label():
    w = minigrad.ones(2, requires_grad=True)
    nodes, _, _ = parse(viz.draw(((w * 0.5) + 1).sum()).source)
    labels = {label.split("\\n")[0] for label, _ in nodes.values()}
    assert {"mul(·, 0.5)", "add(·, 1)"} <= labels
    assert not any(label.endswith("scalar") and "input" in label for label, _ in nodes.values())


# ------------------------------------------------------------------ collapsed view


def _depth() -> int:
    f, n = sys._getframe(), 0
    while f is not None:
        f, n = f.f_back, n + 1
    return n


def test_collapsed_t2000_draws_without_recursion():
    p = params(1)
    h = rnn(2000, p)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_depth() + 60)  # far fewer frames than steps
    try:
        src = viz.draw(h, params=p, collapse=True).source
        with pytest.raises(ValueError, match="16000 op nodes"):
            viz.draw(h)
    finally:
        sys.setrecursionlimit(limit)
    nodes, edges, clusters = parse(src)
    assert clusters == ["2000 steps"]
    steps = [k for k, (label, _) in nodes.items() if label.startswith("t=")]
    assert len(steps) == 2000
    hidden = [e for e in edges if e[0] in steps and e[1] in steps]
    # rows of 54 steps: the state edge at each of the 37 line breaks becomes two stubs
    rows = -(-2000 // 54)
    assert len(hidden) == 1999 - (rows - 1)
    assert all('label="h (2, 4)"' in a for _, _, a in hidden)
    stubs = [k for k, (label, _) in nodes.items() if label.startswith(("to t=", "from t="))]
    assert len(stubs) == 2 * (rows - 1)
    for name in p:
        (wid,) = by_label(nodes, name)
        (edge,) = [e for e in edges if e[0] == wid]
        assert 'label="×2000"' in edge[2] and "lhead=cluster_0" in edge[2]
    unwrapped = parse(viz.draw(h, params=p, collapse=True, wrap=0).source)[1]
    assert sum(a in steps and b in steps for a, b, _ in unwrapped) == 1999


def test_collapsed_lstm_carries_h_and_c():
    p = params(4)
    h, _ = lstm(4, p)
    nodes, edges, _ = parse(viz.draw(h, params=p, collapse=True).source)
    steps = {k for k, (label, _) in nodes.items() if label.startswith("t=")}
    hidden = [a for x, y, a in edges if x in steps and y in steps]
    assert len(hidden) == 3 and all('label="h, c (2, 4)"' in a for a in hidden)
