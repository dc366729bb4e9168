"""rnn.app.graphs: the layers' unrolled graphs, drawn (collapsed views stay small)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from rnn.app.graphs import unrolled_graph


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_collapsed_layer_has_a_constant_number_of_edges_per_step(cell):
    """Ops shared by every step (the input projection, the stacked outputs) get one
    edge to the run of steps, not one per step: the layout stays linear in T."""
    small = unrolled_graph(cell, 50, collapse=True).source
    large = unrolled_graph(cell, 300, collapse=True).source

    def visible(source: str) -> int:
        return sum(" -> " in ln and "style=invis" not in ln for ln in source.splitlines())

    per_step = (visible(large) - visible(small)) / 250
    # the hidden-state edge t -> t+1, plus one stub edge per row of a wrapped run
    assert per_step == pytest.approx(1.0, abs=0.1)
    assert "×300" in large


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_dot_lays_out_a_long_collapsed_graph(tmp_path):
    source = unrolled_graph("lstm", 500, collapse=True, grads=True).source
    dot_file = tmp_path / "long.dot"
    dot_file.write_text(source)
    # The timeout only guards against a layout that never finishes.
    subprocess.run(["dot", "-Tsvg", str(dot_file), "-o", str(tmp_path / "long.svg")],
                   check=True, timeout=300)  # fmt: skip
    assert (tmp_path / "long.svg").stat().st_size > 0


def test_unrolled_graph_has_a_cluster_per_step_and_each_weight_once():
    source = unrolled_graph("gru", 4).source
    assert len(re.findall(r'label="t=\d+"', source)) == 4
    for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
        assert len(re.findall(rf"\bx\d+ \[label=\"gru\.{name}", source)) == 1, name


def test_bad_step_count():
    with pytest.raises(ValueError, match="at least 1"):
        unrolled_graph("rnn", 0)


def test_stacked_layers_are_drawn():
    one = unrolled_graph("gru", 3).source
    two = unrolled_graph("gru", 3, num_layers=2).source
    assert "layer=1" not in one and "layer=1" in two
    assert "weight_hh_l1" in two and "weight_hh_l1" not in one
