"""Regenerate every picture used by the docs into docs/images/.

    python docs/make_figures.py            # all figures (several minutes: gradflow trains)
    python docs/make_figures.py --list     # their names
    python docs/make_figures.py lstm_unrolled lstm_collapsed

Each figure is a function registered with ``@figure(name)`` that returns a
``graphviz.Digraph`` (written as ``<name>.svg``) or a callable that writes its own
files. The graphs are those of the ``rnn`` layers, which tag every step with
``minigrad.scope("t=k")``. The script says which figure it is on and how long each
took; ``tests/test_figures.py`` fails when a committed graph no longer matches what
its function draws.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

import minigrad
import minigrad.viz as viz
import rnn
from rnn.app import gradflow
from rnn.app.graphs import unrolled_graph

IMAGES = Path(__file__).resolve().parent / "images"
FIGURES: dict[str, Callable[[], graphviz.Digraph]] = {}


def figure(name: str) -> Callable:
    """Register a figure function under ``name``. It returns a ``graphviz.Digraph``
    (saved as ``<name>.svg``) or a callable that writes the picture to a given path
    (a plot, saved as ``<name>.svg`` too)."""

    def register(fn: Callable[[], Any]) -> Callable[[], Any]:
        FIGURES[name] = fn
        return fn

    return register


def write(name: str, out: Path) -> Path:
    """Make figure ``name`` and save it as ``out/<name>.svg``."""
    made = FIGURES[name]()
    path = out / f"{name}.svg"
    if isinstance(made, graphviz.Digraph):
        return viz.save(made, path)
    out.mkdir(parents=True, exist_ok=True)
    return made(path) or path


def say(text: str) -> None:
    """A progress line, shown at once even when the output is piped."""
    print(text, flush=True)


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
    return unrolled_graph("lstm", 60, collapse=True)


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


@figure("gradflow")
def gradflow_figure() -> Callable[[Path], None]:
    """||dL/dh_t|| against distance: at init, after training, after training with clipping."""
    study = gradflow.measure(
        T=100, hidden=32, train_steps=200, seed=0, progress=lambda m: say(f"    gradflow: {m}")
    )

    def save(path: Path) -> None:
        gradflow.plot(study, str(path))
        path.with_suffix(".txt").write_text(gradflow.format_table(study) + "\n", encoding="utf-8")

    return save


@figure("explorer")
def explorer_screenshots() -> Callable[[Path], Path]:
    """The explorer's screenshots, taken by its browser test (2-layer LSTM, T = 100)."""

    def save(path: Path) -> Path:
        root = Path(__file__).resolve().parent.parent
        env = {**os.environ, "MINIGRAD_SCREENSHOTS": str(path.parent)}
        test = root / "tests" / "minigrad" / "test_viz_browser.py"
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", str(test)], env=env)
        if done.returncode != 0:
            raise RuntimeError(f"the explorer's browser test failed (exit {done.returncode})")
        return path.parent / "explorer_*.png"

    return save


@figure("dynamics")
def dynamics_figures() -> Callable[[Path], Path]:
    """docs/dynamics.md's spectra, Jacobian-product and fixed-point pictures and tables,
    made by docs/make_dynamics_figures.py (which shows its own progress)."""

    def save(path: Path) -> Path:
        spec = importlib.util.spec_from_file_location(
            "make_dynamics_figures", Path(__file__).resolve().parent / "make_dynamics_figures.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.make(out=path.parent)
        return path.parent / "dynamics_*"

    return save


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
    chosen = args.names or list(FIGURES)
    for k, name in enumerate(chosen, 1):
        say(f"[{k}/{len(chosen)}] {name} ...")
        start = time.perf_counter()
        path = write(name, args.out)
        say(f"[{k}/{len(chosen)}] {name}: wrote {path} ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
