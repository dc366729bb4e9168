"""minigrad.viz.save: the format from the file name, DOT source without Graphviz, SVG, PNG
and PDF with it, and inline display in Jupyter.
"""

from __future__ import annotations

import shutil

import graphviz
import pytest
from viz_cases import lstm, needs_dot, params, rnn

import minigrad.viz as viz


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


def test_the_explorer_without_dot_says_to_install_it_and_not_to_save_as_dot(monkeypatch):
    # Before, it ended 'or save as .dot', which no explorer page can be.
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError) as missing:
        viz.explore(rnn(2, params(1)))
    message = str(missing.value)
    assert "needed to render the explorer's layout" in message and "bash .ci/setup" in message
    assert ".dot" not in message
    with pytest.raises(RuntimeError, match=r"or save as \.dot$"):
        viz.save(viz.draw(rnn(2, params(1))), "rnn.svg")


@needs_dot
def test_jupyter_displays_inline():
    g = viz.draw(rnn(2, params(1)))
    assert isinstance(g, graphviz.Digraph) and hasattr(g, "_repr_mimebundle_")
    svg = g._repr_svg_()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "t=1" in svg
