"""The demo: a small character-level LSTM learns Python source in a few minutes.

It prints a sample and the validation bits per character before and after training
(validation: whole modules never trained on) beside the same text's figures under gzip,
bz2, lzma and a Kneser–Ney n-gram (:mod:`rnn.app.baselines`), checks autodiff against
the hand-derived BPTT (the table of :mod:`rnn.compare`), and writes its files into one
folder. Each file is made by one *output* function taking the finished
:class:`DemoRun` and returning the path it wrote; :data:`OUTPUTS` lists them in order,
so adding a figure is adding one function there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..compare import Comparison, compare
from .command import format_seconds
from .progress import BASELINES_STATUS, status, write
from .runconfig import TrainConfig, bits, load_corpus
from .train import Trainer
from .trainrecord import TrainHistory

__all__ = ["FILES", "OUTPUTS", "DemoRun", "demo_config", "run_demo", "write_checkpoint"]

#: The files a run may write into its folder (``--history`` must not be one of them).
FILES = ("checkpoint.npz", "unrolled.svg", "unrolled.dot", "gradflow.txt", "gradflow.png")
PRIME = "def "


def demo_config(**changes: object) -> TrainConfig:
    """The demo's training run: a 1-layer LSTM, 128 hidden units, 1000 steps, on a
    million characters of the standard library's modules, 10% of them held out by file
    for validation and 5% for tuning the n-gram baseline (the split of ``rnn train``)."""
    config = TrainConfig(
        cell="lstm",
        hidden=128,
        seq_len=64,
        batch=32,
        steps=1000,
        lr=3e-3,
        clip=5.0,
        eval_every=0,
        sample_every=0,
        max_chars=1_000_000,
        val_fraction=0.1,
    )
    for name, value in changes.items():
        setattr(config, name, value)
    return config


@dataclass
class DemoRun:
    """What the demo produced, handed to each output function."""

    trainer: Trainer
    out: Path
    bpc_before: float
    bpc_after: float
    comparison: Comparison
    seconds: float
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # why a file is not what it could be


def write_checkpoint(run: DemoRun) -> Path:
    """the trained model, optimiser state and vocabulary (read by `rnn sample`)"""
    return run.trainer.save(run.out / "checkpoint.npz")


def write_graph(run: DemoRun) -> Path:
    """the demo's cell unrolled over three steps, coloured by gradient norm (Graphviz)"""
    from minigrad import viz

    from .graphs import unrolled_graph

    picture = unrolled_graph(run.trainer.config.cell, 3, grads=True)
    try:
        return viz.save(picture, run.out / "unrolled.svg")
    except RuntimeError as e:
        # Without Graphviz's dot program the DOT source is still worth having.
        run.notes.append(f"unrolled.dot instead of unrolled.svg: {e}")
        return viz.save(picture, run.out / "unrolled.dot")


def write_gradflow(run: DemoRun) -> Path:
    """how the gradient of the loss with respect to the hidden state, ||dL/dh_t||,
    shrinks or grows with the distance from the end of a 50-step sequence, for five
    untrained models of hidden size 16 (not the demo's trained LSTM): a tanh RNN with
    default and with orthogonal weights, an IRNN, an LSTM and a GRU; the numbers are
    beside it, in gradflow.txt"""
    from . import gradflow

    study = gradflow.measure(
        T=GRADFLOW_T, hidden=GRADFLOW_HIDDEN, train_steps=0, models=GRADFLOW_MODELS
    )
    table = run.out / "gradflow.txt"
    table.write_text(gradflow.format_table(study) + "\n", encoding="utf-8")
    try:
        gradflow.plot(study, str(run.out / "gradflow.png"))
    except ImportError:
        run.notes.append(f"gradflow.txt without gradflow.png: {gradflow.PLOTS_HINT}")
        return table
    return run.out / "gradflow.png"


# What write_gradflow's description says: keep them in step with it.
GRADFLOW_T = 50
GRADFLOW_HIDDEN = 16
GRADFLOW_MODELS = ("tanh", "tanh-orth-1.0", "irnn", "lstm", "gru")

OUTPUTS: list[Callable[[DemoRun], Path]] = [write_checkpoint, write_graph, write_gradflow]


def describe(output: Callable[[DemoRun], Path]) -> str:
    """What an output function's file holds, for the line naming it: its docstring,
    on one line."""
    return " ".join((output.__doc__ or "").split())


def run_demo(
    out: str | os.PathLike[str],
    config: TrainConfig | None = None,
    log: Callable[[str], None] | None = None,
    progress: bool = True,
    eager: bool = False,
    history: str | os.PathLike[str] | None = None,
    command: str = "python -m rnn demo",
) -> DemoRun:
    """Train, report and write the demo's files into ``out``; returns the run. Lines go
    to ``log`` (default: stdout, flushed line by line). The training step is compiled
    unless ``eager``. With ``history``, the run's JSON record (named by ``command``,
    see :mod:`rnn.app.trainrecord`) is written there, as ``rnn train --history`` does."""
    log = log or write
    config = config or demo_config()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    corpus = load_corpus(config)
    source = config.data or "the Python standard library's modules"
    trainer = Trainer(config, corpus, eager)
    record = TrainHistory(history, trainer, command)
    n_params = sum(p.data.size for p in trainer.model.parameters())
    log(
        f"Character-level {config.cell.upper()} ({config.hidden} hidden, {n_params:,} "
        f"parameters) on {len(corpus.all_text):,} characters of {source}; "
        f"{len(trainer.vocab)} distinct characters."
    )
    log("\n".join(corpus.describe()))
    bpc_before = bits(trainer.evaluate())
    log(f"\nBefore training: validation {bpc_before:.3f} bits per character")
    log("sample:\n" + trainer.sample(PRIME, 160) + "\n")

    start = time.perf_counter()
    trainer.fit(log=log, progress=progress, on_evaluate=record.update)
    seconds = time.perf_counter() - start
    bpc_after = bits(trainer.val_nats if trainer.val_nats is not None else trainer.evaluate())
    took = f"{format_seconds(seconds)} wall"
    log(f"\nAfter {config.steps} steps ({took}): validation {bpc_after:.3f} bpc")
    log("sample:\n" + trainer.sample(PRIME, 400) + "\n")
    status(BASELINES_STATUS, progress)
    log(trainer.report() + "\n")
    record.update(trainer.baselines())

    comparison = compare(config.cell, input_size=3, hidden_size=4, steps=6, batch=2)
    log(str(comparison) + "\n")

    run = DemoRun(trainer, out, bpc_before, bpc_after, comparison, seconds)
    for output in OUTPUTS:
        path = output(run)
        run.files.append(path)
        log(f"wrote {path}: {describe(output)}")
    for note in run.notes:
        log(f"note: {note}")
    return run
