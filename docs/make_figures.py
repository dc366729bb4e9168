"""Regenerate every picture used by the docs into docs/images/.

    python docs/make_figures.py            # all figures
    python docs/make_figures.py --list     # their names
    python docs/make_figures.py lstm_unrolled rnn_collapsed

Each figure is a function registered with ``@figure(name)`` that returns a
``graphviz.Digraph``; the script writes ``<name>.svg`` for each. The graphs are those
of the ``rnn`` layers, which tag every step with ``minigrad.scope("t=k")``; more
figures are added by registering more functions.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import graphviz
import numpy as np

import minigrad
import minigrad.viz as viz
import rnn
from rnn.graphs import unrolled_graph

IMAGES = Path(__file__).resolve().parent / "images"
FIGURES: dict[str, Callable[[], graphviz.Digraph]] = {}


def figure(name: str) -> Callable:
    """Register a figure function under ``name`` (the image is ``<name>.svg``)."""

    def register(fn: Callable[[], graphviz.Digraph]) -> Callable[[], graphviz.Digraph]:
        FIGURES[name] = fn
        return fn

    return register


# ---------------------------------------------------------------------- figures


@figure("rnn_unrolled")
def rnn_unrolled() -> graphviz.Digraph:
    return unrolled_graph("rnn", 3)


@figure("lstm_unrolled")
def lstm_unrolled() -> graphviz.Digraph:
    return unrolled_graph("lstm", 3)


@figure("gru_unrolled")
def gru_unrolled() -> graphviz.Digraph:
    return unrolled_graph("gru", 3)


@figure("lstm_collapsed")
def lstm_collapsed() -> graphviz.Digraph:
    return unrolled_graph("lstm", 24, collapse=True)


@figure("grads_rnn_vs_lstm")
def grads_rnn_vs_lstm() -> graphviz.Digraph:
    """Both models on one colour scale: the loss reads only the last step's output."""
    T = 12
    x = minigrad.tensor(np.random.default_rng(1).standard_normal((T, 1, 3)), dtype=np.float64)
    minigrad.manual_seed(2)
    tanh_rnn = rnn.RNN(3, 4, dtype=np.float64)
    with minigrad.no_grad():
        tanh_rnn.weight_hh_l0.mul_(0.5)
    lstm = rnn.LSTM(3, 4, dtype=np.float64)
    losses, names = [], {}
    for label, layer in (("tanh RNN", tanh_rnn), ("LSTM", lstm)):
        with minigrad.scope(label):
            out, _ = layer(x)
            losses.append(out[-1].sum())
        names.update({f"{label}.{k}": p for k, p in layer.named_parameters()})
    viz.track_grads(losses)
    for loss in losses:
        loss.backward()
    return viz.draw(losses, params=names, collapse=True, grads=True)


def main(argv: list[str] | None = None) -> int:
    """Write the chosen (default: all) figures as SVG into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="figures to make (default: all)")
    parser.add_argument("--out", type=Path, default=IMAGES, help="output directory")
    parser.add_argument("--list", action="store_true", help="list the figure names and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(FIGURES))
        return 0
    unknown = [n for n in args.names if n not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    for name in args.names or FIGURES:
        path = viz.save(FIGURES[name](), args.out / f"{name}.svg")
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
