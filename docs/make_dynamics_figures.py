"""Regenerate the pictures and the table of docs/dynamics.md into docs/images/.

    python docs/make_dynamics_figures.py                # everything (several minutes)
    python docs/make_dynamics_figures.py --quick        # tiny sizes, to check the script

What it makes (``dynamics_*`` files in docs/images/):

- the six models of ``rnn gradflow`` (tanh RNN with orthogonal W_hh at scale 0.5, 1 and
  1.5, the IRNN, LSTM, GRU; hidden 32, adding-task inputs of length 100) at
  initialisation and after training on the adding task (Adam, lr 1e-2, gradient norm
  clipped to 1, as gradflow trains): their Lyapunov spectra (``dynamics_<stage>_spectrum``),
  singular values of Jacobian products beside gradflow's gradient norms
  (``dynamics_<stage>_products``) and the fixed points' eigenvalues
  (``dynamics_<stage>_fixed_points``);
- the demo's character-level LSTM (``rnn demo``'s configuration) after training: the
  same three pictures (``dynamics_charlstm_*``);
- ``dynamics.txt`` and ``dynamics_charlstm.txt``: the tables.

``python docs/make_dynamics_figures.py charlstm`` makes only the char-LSTM's part.

:func:`make` is the entry point, so that ``docs/make_figures.py`` can call it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

import minigrad
from minigrad import nn, optim
from rnn.app import dynamics as study
from rnn.app.demo import demo_config
from rnn.app.dynamics_plots import plot_fixed_points, plot_products, plot_spectrum
from rnn.app.progress import bar
from rnn.app.runconfig import load_corpus
from rnn.app.step import train_step
from rnn.app.tasks import adding_batch
from rnn.app.train import Trainer

IMAGES = Path(__file__).resolve().parent / "images"

# name, cell, init, scale: the models of rnn gradflow
MODELS = [
    ("tanh orth x0.5", "rnn", "orthogonal", 0.5),
    ("tanh orth x1", "rnn", "orthogonal", 1.0),
    ("tanh orth x1.5", "rnn", "orthogonal", 1.5),
    ("irnn", "irnn", "default", 1.0),
    ("lstm", "lstm", "default", 1.0),
    ("gru", "gru", "default", 1.0),
]
DRAWINGS = {"spectrum": plot_spectrum, "products": plot_products, "fixed_points": plot_fixed_points}


def train_adding(subject: study.Subject, steps: int, T: int, seed: int) -> None:
    """Adam (lr 1e-2, clip 1) on adding-task batches of 32, with a linear readout of h_T."""
    layer = subject.layer
    head = nn.Linear(layer.hidden_size, 1)
    opt = optim.Adam(list(layer.parameters()) + list(head.parameters()), lr=1e-2)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x, y = adding_batch(T, 32, rng)
        out = head(layer(minigrad.tensor(x, dtype=layer.dtype))[0][-1])
        train_step(((out - y.astype(layer.dtype)) ** 2).mean(), opt, 1.0)


def draw(analyses: list[study.Analysis], prefix: str, title: str, out: Path) -> list[Path]:
    paths = []
    for name, fn in DRAWINGS.items():
        path = out / f"{prefix}_{name}.svg"
        fn(analyses, str(path), title)
        paths.append(path)
    return paths


PARTS = ("adding", "charlstm")


def _adding(out: Path, quick: bool, work: Any) -> list[Path]:
    """The six models at init and trained; their pictures and dynamics.txt."""
    hidden, T, steps, starts = (6, 20, 3, 4) if quick else (32, 100, 200, 32)
    subjects, tables, written = [], [], []
    for name, cell, init, scale in MODELS:
        subject = study.build(cell, hidden, T, init, scale, seed=0)
        subject.name = name
        subjects.append(subject)
    for stage in ("init", "trained"):
        analyses = []
        for subject in subjects:
            work.set_description(f"{stage}: {subject.name}")
            if stage == "trained":
                train_adding(subject, steps, T, seed=0)
            analyses.append(study.analyse(subject, starts=starts))
            work.update(1)
        label = "at initialisation" if stage == "init" else f"after {steps} Adam steps"
        title = f"adding task, T={T}, hidden {hidden}, {label}"
        tables.append(f"{title}\n{study.format_table(analyses)}")
        written += draw(analyses, f"dynamics_{stage}", title, out)
    table = out / "dynamics.txt"
    table.write_text("\n\n".join(tables) + "\n", encoding="utf-8")
    return [*written, table]


def _charlstm(out: Path, quick: bool, work: Any) -> list[Path]:
    """The demo's char-LSTM, trained; its pictures and dynamics_charlstm.txt."""
    lm = demo_config(hidden=8, steps=2, max_chars=5_000) if quick else demo_config()
    T, starts = (20, 4) if quick else (100, 32)
    work.set_description("char-LSTM: training")
    trainer = Trainer(lm, load_corpus(lm))
    trainer.fit(log=lambda _: None, progress=False)
    work.update(1)
    work.set_description("char-LSTM: analysis")
    subject = study.char_subject(trainer.model, trainer.vocab, "char-lstm", T)
    analysis = study.analyse(subject, starts=starts)
    work.update(1)
    title = f"the demo's char-LSTM ({lm.hidden} hidden, {lm.steps} steps), T={T}"
    table = out / "dynamics_charlstm.txt"
    table.write_text(f"{title}\n{study.format_table([analysis])}\n", encoding="utf-8")
    return [*draw([analysis], "dynamics_charlstm", title, out), table]


def make(
    out: Path = IMAGES, quick: bool = False, progress: bool = True, parts: Any = PARTS
) -> list[Path]:
    """Make the figures and tables of ``parts`` ("adding", "charlstm") into ``out``;
    returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    total = (2 * len(MODELS) if "adding" in parts else 0) + (2 if "charlstm" in parts else 0)
    written: list[Path] = []
    with bar(total, desc="dynamics figures", enabled=progress) as work:
        if "adding" in parts:
            written += _adding(out, quick, work)
        if "charlstm" in parts:
            written += _charlstm(out, quick, work)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (checks the script)")
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder (default: docs/images)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.add_argument("parts", nargs="*", choices=PARTS, help="default: all")
    args = parser.parse_args()
    for path in make(args.out, args.quick, not args.quiet, tuple(args.parts) or PARTS):
        print(path)


if __name__ == "__main__":
    sys.exit(main())
