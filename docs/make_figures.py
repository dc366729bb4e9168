"""Regenerate every picture used by the docs into docs/images/.

    python docs/make_figures.py            # all figures
    python docs/make_figures.py --list     # their names
    python docs/make_figures.py lstm_unrolled rnn_collapsed

Each figure is a function registered with ``@figure(name)`` that returns a
``graphviz.Digraph``; the script writes ``<name>.svg`` for each. Until the rnn layers
land, the cells are written by hand from minigrad ops inside ``minigrad.scope("t=k")``,
the way the layers tag their steps; later figures (the layers, gradient-flow plots) are
added by registering more functions.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import graphviz
import numpy as np

import minigrad
import minigrad.viz as viz

IMAGES = Path(__file__).resolve().parent / "images"
FIGURES: dict[str, Callable[[], graphviz.Digraph]] = {}
N, I, H = 1, 3, 4


def figure(name: str) -> Callable:
    """Register a figure function under ``name`` (the image is ``<name>.svg``)."""

    def register(fn: Callable[[], graphviz.Digraph]) -> Callable[[], graphviz.Digraph]:
        FIGURES[name] = fn
        return fn

    return register


# ------------------------------------------------------------ hand-written cells


def weights(gates: int, seed: int = 0, recurrent_scale: float = 1.0) -> dict[str, minigrad.Tensor]:
    """One layer's weights in PyTorch layout, U(-1/sqrt(H), 1/sqrt(H))."""
    rng = np.random.default_rng(seed)
    k = 1 / np.sqrt(H)
    shapes = {
        "weight_ih": (gates * H, I),
        "weight_hh": (gates * H, H),
        "bias_ih": (gates * H,),
        "bias_hh": (gates * H,),
    }
    p = {n: rng.uniform(-k, k, s) for n, s in shapes.items()}
    p["weight_hh"] *= recurrent_scale
    return {n: minigrad.tensor(v, requires_grad=True) for n, v in p.items()}


def sequence(T: int, seed: int = 1) -> list[minigrad.Tensor]:
    rng = np.random.default_rng(seed)
    return [minigrad.tensor(rng.standard_normal((N, I))) for _ in range(T)]


def steps(T: int, outer: tuple[str, ...] = ()):
    """Yield t = 0..T-1, each inside the scopes ``outer + ("t=t",)``."""
    for t in range(T):
        with ExitStack() as stack:
            for name in (*outer, f"t={t}"):
                stack.enter_context(minigrad.scope(name))
            yield t


def rnn(xs: list, p: dict, outer: tuple[str, ...] = ()) -> minigrad.Tensor:
    """h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)."""
    h = minigrad.zeros(N, H)
    for t in steps(len(xs), outer):
        h = (xs[t] @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]).tanh()
    return h


def lstm(xs: list, p: dict, outer: tuple[str, ...] = ()) -> minigrad.Tensor:
    """i, f, g, o from one affine map; c_t = f c_{t-1} + i g; h_t = o tanh(c_t)."""
    h, c = minigrad.zeros(N, H), minigrad.zeros(N, H)
    for t in steps(len(xs), outer):
        gates = xs[t] @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
        i, f, g, o = gates.chunk(4, axis=1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
    return h


def gru(xs: list, p: dict, outer: tuple[str, ...] = ()) -> minigrad.Tensor:
    """r, z = σ(.); n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h_t = (1 - z) n + z h."""
    h = minigrad.zeros(N, H)
    for t in steps(len(xs), outer):
        ir, iz, i_n = (xs[t] @ p["weight_ih"].T + p["bias_ih"]).chunk(3, axis=1)
        hr, hz, hn = (h @ p["weight_hh"].T + p["bias_hh"]).chunk(3, axis=1)
        r, z = (ir + hr).sigmoid(), (iz + hz).sigmoid()
        n = (i_n + r * hn).tanh()
        h = (1 - z) * n + z * h
    return h


# ---------------------------------------------------------------------- figures


@figure("rnn_unrolled")
def rnn_unrolled() -> graphviz.Digraph:
    p = weights(1)
    return viz.draw(rnn(sequence(3), p), params=p)


@figure("lstm_unrolled")
def lstm_unrolled() -> graphviz.Digraph:
    p = weights(4)
    return viz.draw(lstm(sequence(3), p), params=p)


@figure("gru_unrolled")
def gru_unrolled() -> graphviz.Digraph:
    p = weights(3)
    return viz.draw(gru(sequence(3), p), params=p)


@figure("lstm_collapsed")
def lstm_collapsed() -> graphviz.Digraph:
    p = weights(4)
    return viz.draw(lstm(sequence(24), p), params=p, collapse=True)


@figure("grads_rnn_vs_lstm")
def grads_rnn_vs_lstm() -> graphviz.Digraph:
    """Both models on one colour scale: the loss reads only the last hidden state."""
    pr, pl = weights(1, seed=2, recurrent_scale=0.5), weights(4, seed=3)
    loss_rnn = rnn(sequence(12), pr, ("tanh RNN",)).sum()
    loss_lstm = lstm(sequence(12), pl, ("LSTM",)).sum()
    names = {**{f"rnn.{k}": v for k, v in pr.items()}, **{f"lstm.{k}": v for k, v in pl.items()}}
    viz.track_grads([loss_rnn, loss_lstm])
    loss_rnn.backward()
    loss_lstm.backward()
    return viz.draw([loss_rnn, loss_lstm], params=names, collapse=True, grads=True)


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
