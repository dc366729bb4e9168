"""minigrad.viz.explore without a browser: what the page carries and how it is built."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

import minigrad
import minigrad.viz as viz
import rnn
from minigrad.viz.walk import walk

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is needed")


def traced_gru(T: int = 4):
    minigrad.manual_seed(0)
    layer = rnn.GRU(3, 4, num_layers=2, dtype=np.float64)
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((T, 2, 3)))
    with viz.trace():
        out, _ = layer(x)
        loss = (out * out).sum()
        loss.backward()
    return layer, loss


def test_the_page_is_self_contained(tmp_path):
    layer, loss = traced_gru()
    page = viz.explore(loss, params=dict(layer.named_parameters()), path=tmp_path / "g.html")
    text = (tmp_path / "g.html").read_text(encoding="utf-8")
    assert text == page.html and text.startswith("<!DOCTYPE html>")
    # nothing to fetch: no external script, style, image, font or link
    links = r"(src|href)\s*=|@import|url\(|https?://(?!www\.w3\.org/2000/svg)"
    assert not re.search(links, text)
    assert "/*DATA*/" not in text and "/*SCRIPT*/" not in text
    frame = page._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "&lt;!DOCTYPE html&gt;" in frame


def test_the_data_is_the_engines_graph():
    layer, loss = traced_gru()
    data = viz.explore(loss, params=dict(layer.named_parameters())).data
    nodes = walk(loss).nodes
    assert [o["seq"] for o in data["ops"]] == [n.seq for n in nodes]
    assert sorted(data["order"]) == sorted(n.seq for n in nodes)  # each vjp ran once
    assert len(data["steps"]) == 2 * 4
    assert {s["scope"] for s in data["steps"]} == {
        f"layer={k}/t={t}" for k in range(2) for t in range(4)
    }
    for s in data["steps"]:
        assert len(data["templates"][s["template"]]["nodes"]) >= len(s["members"])
    names = {x["name"] for x in data["leaves"]}
    assert {"weight_hh_l0", "weight_hh_l1", "h0"} <= names
    w = next(x for x in data["leaves"] if x["name"] == "weight_hh_l1")
    assert len(w["parts"]) == 4 and w["norm"] == pytest.approx(
        np.linalg.norm(layer.weight_hh_l1.grad), rel=1e-5
    )
    labels = {o["label"].split("\\n")[0] for o in data["ops"]}
    assert {"r = getitem", "z = getitem", "n = getitem"} <= labels
    lo, hi = data["range"]
    assert lo < hi


def test_without_a_trace_the_page_shows_the_structure():
    w = minigrad.ones(3, requires_grad=True)
    y = (w * 2).sum()
    data = viz.explore(y, params={"w": w}).data
    assert data["order"] == [] and data["range"] is None
    assert all(o["stats"] is None for o in data["ops"])


@pytest.mark.parametrize("bad, shown", [(np.inf, "inf"), (np.nan, "nan")])
def test_an_infinite_or_nan_gradient_norm_is_shown_as_such(bad, shown):
    # w = (1, bad): w.grad = 2w is not finite, dL/d(w*w) = (1, 1) is. Before, the page
    # carried null for it, shown as '—' (no gradient) in the smallest norm's colour.
    w = minigrad.tensor(np.array([1.0, bad]), requires_grad=True)
    with viz.trace():
        loss = (w * w).sum()
        loss.backward()
    data = viz.explore(loss, params={"w": w}).data
    (leaf,) = data["leaves"]
    assert leaf["norm"] == shown and data["nonfinite"] is True
    assert [o["norm"] for o in data["ops"]] == [pytest.approx(np.sqrt(2), rel=1e-5), 1.0]
    assert data["range"] == [0.0, pytest.approx(np.log10(np.sqrt(2)), rel=1e-4)]
    assert 'typeof norm === "string") return NONFINITE' in viz.explore(loss).html


def test_a_create_graph_backward_is_traced_as_a_first_order_one():
    # Before, backward(create_graph=True) ran no observer: the page had no backward
    # order, no op's gradient norm and no weight's per-step terms.
    minigrad.manual_seed(0)
    layer = rnn.LSTM(3, 4, dtype=np.float64)
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((5, 2, 3)))
    pages = []
    for create_graph in (False, True):
        layer.zero_grad()
        with viz.trace():
            out, _ = layer(x)
            loss = (out * out).sum()
            loss.backward(create_graph=create_graph)
        data = viz.explore(loss, params=dict(layer.named_parameters())).data
        first = data["ops"][0]["seq"]
        order = [seq - first for seq in data["order"]]
        norms = [o["norm"] for o in data["ops"]]
        parts = {x["name"]: x["parts"] for x in data["leaves"]}
        pages.append((order, norms, parts))
    (order, norms, parts), (order2, norms2, parts2) = pages
    assert len(order2) == len(norms2) > 50 and None not in norms2
    assert order2 == order
    assert norms2 == pytest.approx(norms, rel=1e-5)
    assert len(parts2["weight_hh_l0"]) == 5
    for name, terms in parts.items():
        assert [k for k, _ in parts2[name]] == [k for k, _ in terms]
        assert [v for _, v in parts2[name]] == pytest.approx([v for _, v in terms], rel=1e-5)


def test_a_page_named_as_a_picture_is_refused(tmp_path):
    # Before, explore(path="g.svg") wrote the HTML page into g.svg.
    w = minigrad.ones(3, requires_grad=True)
    y = (w * 2).sum()
    for name in ("g.svg", "g.PNG", "g.pdf", "g.dot", "g.gv"):
        with pytest.raises(ValueError, match=r"names a \.\w+ picture, but the page is HTML"):
            viz.explore(y, path=tmp_path / name)
        assert not (tmp_path / name).exists()
    page = viz.explore(y)
    with pytest.raises(ValueError, match=r"name it \.html"):
        page.save(tmp_path / "g.svg")
    assert page.save(tmp_path / "g.html").read_text(encoding="utf-8") == page.html
    assert page.save(tmp_path / "g").read_text(encoding="utf-8") == page.html


def test_rnn_graph_command_writes_the_page(tmp_path, capsys):
    from rnn.app.cli import main

    out = tmp_path / "g.html"
    assert main(["graph", "--steps", "3", "--layers", "2", "-o", str(out)]) in (0, None)
    assert f"wrote {out}" in capsys.readouterr().out
    assert "minigradExplorer" in out.read_text(encoding="utf-8")
    # Past --max-nodes: refused in the command line's own words, before the layout.
    assert main(["graph", "--steps", "40", "--max-nodes", "30", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "more than --max-nodes 30; use fewer --steps or raise --max-nodes" in err


def test_a_long_graph_without_time_steps_is_refused_before_the_layout():
    # 3000 ops in no time-step scope: dot took minutes over the layout, or crashed with
    # an empty message.
    w = minigrad.ones(2, requires_grad=True)
    y = w
    for _ in range(1500):
        y = (y * w).tanh()
    with pytest.raises(ValueError, match=r"explore: the page would draw \d+ nodes.*max_nodes=2000"):
        viz.explore(y.sum())


def test_too_many_time_steps_are_refused_without_advice_to_add_step_scopes():
    # Before, the advice was to record the steps in scopes 't=0', 't=1', ..., as they were.
    minigrad.manual_seed(0)
    out, _ = rnn.RNN(2, 3)(minigrad.randn(60, 1, 2))
    with pytest.raises(ValueError) as refused:
        viz.explore(out.sum(), max_nodes=50)
    message = str(refused.value)
    assert "60 of them are time steps, one node each: explore fewer steps" in message
    assert "or raise max_nodes" in message and "minigrad.scope" not in message


def test_dot_killed_by_a_signal_is_said(monkeypatch):
    import subprocess

    from minigrad.viz import layout

    def killed(*args, **kwargs):
        return subprocess.CompletedProcess(args, -11, b"", b"")

    monkeypatch.setattr(layout.shutil, "which", lambda name: "/usr/bin/dot")
    monkeypatch.setattr(layout.subprocess, "run", killed)
    graph = viz.draw((minigrad.ones(2, requires_grad=True) * 2).sum())
    with pytest.raises(RuntimeError, match="dot -Tjson was killed by SIGSEGV laying out 2 edges"):
        layout.lay_out(graph)
