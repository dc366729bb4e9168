"""The committed docs figures are what docs/make_figures.py draws today.

Each Graphviz figure is drawn again and both SVGs (the committed one and a fresh
rendering of the new drawing) are reduced to their structure: every node, edge and
cluster with its DOT name, its text and its fill colours, without coordinates (which
may differ between Graphviz versions). A change to the drawing code, the layers or
the figure functions that changes a picture fails here until the figures are
regenerated with ``python docs/make_figures.py``.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r'<g id="[^"]*" class="(node|edge|cluster)">(.*?)</g>', re.S)
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
TEXT = re.compile(r"<text[^>]*>(.*?)</text>", re.S)
FILL = re.compile(r'fill="(#[0-9a-fA-F]{6})"')
# Pictures that are not Graphviz drawings: matplotlib plots (minutes of training)
# and the explorer's screenshots (taken by tests/minigrad/test_viz_browser.py).
NOT_GRAPHS = {"gradflow", "explorer", "dynamics"}


def structure(svg: str) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    """(kind, DOT name, texts, fill colours) of every node, edge and cluster, sorted."""
    out = []
    for kind, body in BLOCK.findall(svg):
        title = TITLE.search(body)
        texts = tuple(t.strip() for t in TEXT.findall(body))
        fills = tuple(sorted(set(FILL.findall(body))))
        out.append((kind, title.group(1) if title else "", texts, fills))
    return sorted(out)


def load_figures():
    spec = importlib.util.spec_from_file_location("make_figures", DOCS / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIGURES = load_figures()
GRAPHS = [name for name in FIGURES.FIGURES if name not in NOT_GRAPHS]


def test_every_figure_is_committed_and_used():
    pages = "".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    for name in FIGURES.FIGURES:
        if name == "explorer":
            for shot in ("explorer_step_open.png", "explorer_after_backward.png"):
                assert (DOCS / "images" / shot).is_file() and f"images/{shot}" in pages
            continue
        assert (DOCS / "images" / f"{name}.svg").is_file(), name
        assert f"images/{name}.svg" in pages, f"{name}.svg is not shown in any docs page"


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("name", GRAPHS)
def test_committed_figure_matches_its_drawing(name):
    committed = (DOCS / "images" / f"{name}.svg").read_text(encoding="utf-8")
    fresh = FIGURES.FIGURES[name]().pipe(format="svg", encoding="utf-8")
    old, new = structure(committed), structure(fresh)
    assert len(old) > 10
    assert old == new, (
        f"docs/images/{name}.svg is stale: run `python docs/make_figures.py {name}` "
        f"({len(set(old) ^ set(new))} elements differ)"
    )


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_structure_sees_a_changed_label():
    svg = FIGURES.FIGURES["rnn_unrolled"]().pipe(format="svg", encoding="utf-8")
    changed = svg.replace(">tanh<", ">relu<", 1)
    assert structure(changed) != structure(svg)
