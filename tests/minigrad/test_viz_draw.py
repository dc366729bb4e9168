"""minigrad.viz.draw: clusters per step, shared weights once, collapsed and gradient views.

The cells are written by hand from minigrad ops inside ``minigrad.scope("t=…")``, the
way the rnn layers tag their steps.
"""

from __future__ import annotations

import itertools
import re
import shutil
import sys

import graphviz
import numpy as np
import pytest

import minigrad
import minigrad.viz as viz
from minigrad.viz.draw import drawing
from minigrad.viz.grads import grad_norm
from minigrad.viz.walk import walk

N, I, H = 2, 3, 4
NODE = re.compile(r'^\s*(\w+) \[label=(?:"((?:[^"\\]|\\.)*)"|<)')
EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[((?:(?!style=invis).)*)\])?$")
CLUSTER = re.compile(r"^\s*subgraph (cluster_\w+) \{")
LABEL = re.compile(r'^\s*graph \[.*label="([^"]*)"')


def params(gates: int, scale: float = 1.0) -> dict[str, minigrad.Tensor]:
    """PyTorch-layout weights for one layer with ``gates`` blocks of H rows."""
    rng = np.random.default_rng(0)
    shapes = {
        "weight_ih": (gates * H, I),
        "weight_hh": (gates * H, H),
        "bias_ih": (gates * H,),
        "bias_hh": (gates * H,),
    }
    p = {
        k: minigrad.tensor(rng.uniform(-0.5, 0.5, s), requires_grad=True) for k, s in shapes.items()
    }
    with minigrad.no_grad():
        p["weight_hh"].mul_(scale)
    return p


def inputs(T: int) -> list[minigrad.Tensor]:
    rng = np.random.default_rng(1)
    return [minigrad.tensor(rng.standard_normal((N, I))) for _ in range(T)]


def rnn(T: int, p: dict, scope: tuple[str, ...] = ()) -> minigrad.Tensor:
    """h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), h_0 = 0."""
    h = minigrad.zeros(N, H)
    for t, x in enumerate(inputs(T)):
        with _scopes((*scope, f"t={t}")):
            h = (x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]).tanh()
    return h


def lstm(T: int, p: dict) -> tuple[minigrad.Tensor, minigrad.Tensor]:
    """Gates (i, f, g, o) from one affine map; c_t = f c_{t-1} + i g, h_t = o tanh(c_t)."""
    h, c = minigrad.zeros(N, H), minigrad.zeros(N, H)
    for t, x in enumerate(inputs(T)):
        with minigrad.scope(f"t={t}"):
            gates = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
            i, f, g, o = gates.chunk(4, axis=1)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            h = o.sigmoid() * c.tanh()
    return h, c


def gru(T: int, p: dict) -> minigrad.Tensor:
    """r, z = σ(.), n = tanh(i_n + r h_n), h_t = (1 - z) n + z h_{t-1}."""
    h = minigrad.zeros(N, H)
    for t, x in enumerate(inputs(T)):
        with minigrad.scope(f"t={t}"):
            ir, iz, i_n = (x @ p["weight_ih"].T + p["bias_ih"]).chunk(3, axis=1)
            hr, hz, hn = (h @ p["weight_hh"].T + p["bias_hh"]).chunk(3, axis=1)
            r, z = (ir + hr).sigmoid(), (iz + hz).sigmoid()
            n = (i_n + r * hn).tanh()
            h = (1 - z) * n + z * h
    return h


class _scopes:
    """Enter several nested scopes at once."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.ctx = [minigrad.scope(n) for n in names]

    def __enter__(self) -> None:
        for c in self.ctx:
            c.__enter__()

    def __exit__(self, *exc: object) -> None:
        for c in reversed(self.ctx):
            c.__exit__(*exc)


def parse(source: str) -> tuple[dict, list, list]:
    """DOT source -> ({id: (label, cluster labels outermost first)}, edges, cluster labels)."""
    nodes: dict[str, tuple[str, tuple[str, ...]]] = {}
    edges: list[tuple[str, str, str]] = []
    clusters: list[str] = []
    path: list[str] = []
    for line in source.splitlines():
        if m := CLUSTER.match(line):
            path.append("?")
        elif path and path[-1] == "?" and (m := LABEL.match(line)):
            path[-1] = m.group(1)
            clusters.append(m.group(1))
        elif line.strip() == "}":
            if path:
                path.pop()
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
        elif m := NODE.match(line):
            nodes[m.group(1)] = (m.group(2) or "<html>", tuple(path))
    return nodes, edges, clusters


def by_label(nodes: dict, name: str) -> list[str]:
    return [k for k, (label, _) in nodes.items() if label.split("\\n")[0] == name]


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


def test_max_nodes_refuses_a_hairball():
    p = params(1)
    h = rnn(30, p)
    with pytest.raises(
        ValueError, match=r"graph has 240 op nodes, more than max_nodes=100; pass collapse=True"
    ):
        viz.draw(h, max_nodes=100)
    assert viz.draw(h, max_nodes=240).source


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


# ------------------------------------------------------------------- gradient view


def _fills(src: str, labels: list[str]) -> list[str]:
    out = []
    for want in labels:
        (line,) = [ln for ln in src.splitlines() if f'[label="{want}' in ln]
        out.append(re.search(r'fillcolor="(#\w+)"', line).group(1))
    return out


def test_grads_fade_across_steps_for_small_recurrent_weights():
    T = 8
    p = params(1, scale=0.2)
    h = rnn(T, p)
    loss = h.sum()
    assert viz.track_grads(loss) == 8 * T + 1
    loss.backward()
    src = viz.draw(loss, params=p, collapse=True, grads=True).source
    norms = [
        float(re.search(r"‖grad‖ = ([\d.e+-]+)", ln).group(1))
        for ln in src.splitlines()
        if re.match(r'\s*s\d+ \[label="t=', ln)
    ]
    assert len(norms) == T
    assert all(a < b for a, b in itertools.pairwise(norms)), norms  # vanishing
    fills = _fills(src, [f"t={t}" for t in range(T)])
    assert len(set(fills)) == T
    assert "legend [label=<<TABLE" in src and "log10 ‖grad‖" in src
    unrolled = viz.draw(loss, params=p, grads=True).source
    tanh_fills = [
        re.search(r'fillcolor="(#\w+)"', ln).group(1)
        for ln in unrolled.splitlines()
        if 'label="tanh' in ln
    ]
    assert len(set(tanh_fills)) == T


def test_recorded_norms_are_the_gradient_norms():
    p = params(1)
    h = rnn(3, p)
    h.retain_grad()
    loss = (h * h).sum()
    viz.track_grads(loss)
    loss.backward()
    assert grad_norm(h._node) == pytest.approx(np.linalg.norm(h.grad))
    assert grad_norm(p["weight_hh"]) == pytest.approx(np.linalg.norm(p["weight_hh"].grad))


def test_track_grads_hooks_each_node_once():
    loss = rnn(2, params(1)).sum()
    assert viz.track_grads(loss) == viz.track_grads(loss) == 17
    assert len(loss._node.hooks) == 1


def test_a_leaf_alone_and_a_non_tensor():
    w = minigrad.ones(2, 3, requires_grad=True)
    nodes, edges, _ = parse(viz.draw(w, params={"w": w}).source)
    assert list(nodes.values()) == [("w\\n(2, 3)", ())] and edges == []
    with pytest.raises(TypeError, match="not a minigrad Tensor"):
        viz.draw(np.ones(3))


def test_grads_without_tracking_says_what_to_call():
    p = params(1)
    loss = rnn(2, p).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match=r"call minigrad.viz.track_grads\(output\) before"):
        viz.draw(loss, grads=True)


# ------------------------------------------------------------------------- saving

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` is not installed (see README setup)"
)


@needs_dot
def test_dot_renders_svg_and_png(tmp_path):
    p = params(4)
    g = viz.draw(lstm(3, p)[0], params=p)
    svg = viz.save(g, tmp_path / "lstm.svg")
    assert svg == tmp_path / "lstm.svg" and "<svg" in svg.read_text()
    assert "weight_hh" in svg.read_text()
    png = viz.save(g, tmp_path / "lstm.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pdf = viz.save(viz.draw(lstm(3, p)[0], collapse=True), tmp_path / "c.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_save_picks_format_and_dot_source_needs_no_program(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    g = viz.draw(rnn(2, params(1)))
    for ext in (".dot", ".gv"):
        path = viz.save(g, tmp_path / f"rnn{ext}")
        assert path.read_text() == g.source
    with pytest.raises(RuntimeError, match="sudo apt-get install graphviz"):
        viz.save(g, tmp_path / "rnn.svg")
    with pytest.raises(ValueError, match="cannot tell the format"):
        viz.save(g, tmp_path / "rnn.jpeg")
    assert not (tmp_path / "rnn.svg").exists()


@needs_dot
def test_jupyter_displays_inline():
    g = viz.draw(rnn(2, params(1)))
    assert isinstance(g, graphviz.Digraph) and hasattr(g, "_repr_mimebundle_")
    svg = g._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "t=1" in svg


# ---------------------------------------------------------- names, order, wrapping


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


def _step_boxes(graph) -> dict[str, list[float]]:
    from minigrad.viz.layout import lay_out

    geo = lay_out(graph)
    return {c["label"]: c["bb"] for c in geo["clusters"] if c["label"].startswith("t=")}


@needs_dot
@pytest.mark.parametrize("grads", [False, True])
def test_unrolled_steps_are_laid_out_in_time_order(grads):
    import rnn as layers

    minigrad.manual_seed(3)
    layer = layers.RNN(3, 4, dtype=np.float64)
    with minigrad.no_grad():
        layer.weight_hh_l0.mul_(0.5)
    out, _ = layer(minigrad.tensor(np.random.default_rng(0).normal(size=(6, 1, 3))))
    loss = out[-1].sum()
    if grads:
        viz.track_grads(loss)
        loss.backward()
    boxes = _step_boxes(viz.draw(loss, grads=grads))
    lefts = [boxes[f"t={t}"][0] for t in range(6)]
    rights = [boxes[f"t={t}"][2] for t in range(6)]
    # each step starts and ends to the right of the one before: none slides in between
    assert lefts == sorted(lefts) and len(set(lefts)) == 6, lefts
    assert rights == sorted(rights) and len(set(rights)) == 6, rights


@needs_dot
def test_a_long_collapsed_run_wraps_into_rows_in_time_order():
    from minigrad.viz.layout import lay_out

    p = params(1)
    h = rnn(300, p)
    geo = lay_out(viz.draw(h, params=p, collapse=True))
    width, height = geo["size"]
    assert width < 4 * height, geo["size"]  # a block, not a line
    view = drawing(walk(h), p, True, False)
    vid = {int(v.label.split("\\n")[0][2:]): v.vid for v in view.verts if v.label.startswith("t=")}
    pos = [geo["nodes"][vid[t]] for t in range(300)]
    # reading order: rows of 21 steps from the top down, left to right within a row
    rows = [pos[k : k + 21] for k in range(0, 300, 21)]
    for row in rows:
        xs = [x for x, _, _, _ in row]
        assert xs == sorted(xs)
    heights = [sum(y for _, y, _, _ in row) / len(row) for row in rows]
    assert heights == sorted(heights)
