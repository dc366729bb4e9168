"""The command line: ``python -m rnn <command> ...`` (also installed as ``rnn``).

Each subcommand is two small functions registered with :func:`command`: one adds its
arguments to an :class:`argparse.ArgumentParser`, the other runs it with the parsed
namespace. To add a subcommand, write both and decorate the runner::

    def _train_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--epochs", type=int, default=10, help="passes over the data")

    @command("train", help="train a model", arguments=_train_arguments)
    def train(args: argparse.Namespace) -> None:
        ...

Bad arguments are reported by argparse (one line, exit status 2). A command signals an
expected failure by raising :class:`CLIError`, which is printed as ``rnn: error: <message>``
with exit status 1 and no traceback.
"""

from __future__ import annotations

import os

# The models here multiply small matrices, where BLAS threads gain little, and on a
# busy two-core machine threads competing with other work made a training step 5-13x
# slower in our measurements. Unless the user chose, the command line runs BLAS on one
# thread; this must happen before NumPy is first imported (``rnn`` imports lazily).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import math
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rnn.models import CELLS

__all__ = ["CLIError", "UsageError", "build_parser", "command", "main"]

PROG = "rnn"


class CLIError(Exception):
    """An expected failure inside a command: reported in one line, exit status 1."""


class UsageError(CLIError):
    """Options that do not fit together: reported in one line, exit status 2 (as argparse)."""


Runner = Callable[[argparse.Namespace], int | None]
Arguments = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class _Command:
    name: str
    help: str
    run: Runner
    arguments: Arguments | None


_COMMANDS: dict[str, _Command] = {}


def command(
    name: str, *, help: str, arguments: Arguments | None = None
) -> Callable[[Runner], Runner]:
    """Register the decorated function as the subcommand ``name``.

    ``help`` is the one-line summary shown by ``rnn --help``; ``arguments`` adds the
    subcommand's own options. The runner returns an exit status or None (meaning 0).
    """

    def register(run: Runner) -> Runner:
        if name in _COMMANDS:
            raise ValueError(f"subcommand {name!r} is registered twice")
        _COMMANDS[name] = _Command(name, help, run, arguments)
        return run

    return register


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per registered subcommand."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Recurrent networks on the minigrad autodiff engine.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for cmd in _COMMANDS.values():
        sub = subparsers.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        if cmd.arguments is not None:
            cmd.arguments(sub)
        sub.set_defaults(_run=cmd.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the subcommand, return its status."""
    args = build_parser().parse_args(argv)
    try:
        status = args._run(args)
    except CLIError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0 if status is None else status


# --- argument types -----------------------------------------------------------------------


def _number(kind: type, low: float, inclusive: bool) -> Callable[[str], int | float]:
    """An argparse type: a finite ``kind`` that is > low (>= low when ``inclusive``)."""
    bound = f"{'>=' if inclusive else '>'} {low:g}"

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind.__name__}, got {text!r}") from None
        if not math.isfinite(value) or not (value >= low if inclusive else value > low):
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


positive_int = _number(int, 0, inclusive=False)
natural = _number(int, 0, inclusive=True)
positive_float = _number(float, 0, inclusive=False)
nonnegative_float = _number(float, 0, inclusive=True)

CELL_CHOICES = list(CELLS)  # "rnn", "lstm", "gru"


def _progress(args: argparse.Namespace) -> bool:
    """Progress bars go to stderr, only when it is a terminal and --quiet is not given."""
    return not args.quiet and sys.stderr.isatty()


def _add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


# --- train --------------------------------------------------------------------------------

# Options whose defaults come from TrainConfig (or, with --resume, from the checkpoint).
_TRAIN_FIELDS = (
    "cell hidden layers seq_len batch steps lr optim clip eval_every sample_every seed"
).split()


def _train_arguments(parser: argparse.ArgumentParser) -> None:
    from rnn.train import TrainConfig

    d = TrainConfig()
    add = parser.add_argument
    add("--cell", choices=CELL_CHOICES, help=f"recurrent cell (default: {d.cell})")
    add(
        "--hidden",
        type=positive_int,
        metavar="N",
        help=f"hidden units per layer (default: {d.hidden})",
    )
    add(
        "--layers",
        type=positive_int,
        metavar="N",
        help=f"stacked recurrent layers (default: {d.layers})",
    )
    add(
        "--seq-len",
        type=positive_int,
        metavar="N",
        help=f"BPTT chunk length (default: {d.seq_len})",
    )
    add(
        "--batch",
        type=positive_int,
        metavar="N",
        help=f"parallel text streams (default: {d.batch})",
    )
    add("--steps", type=natural, metavar="N", help=f"total optimiser steps (default: {d.steps})")
    add("--lr", type=positive_float, metavar="X", help=f"learning rate (default: {d.lr:g})")
    add("--optim", choices=["adam", "adagrad", "sgd"], help=f"optimiser (default: {d.optim})")
    add(
        "--clip",
        type=nonnegative_float,
        metavar="X",
        help=f"max gradient norm, 0: off (default: {d.clip:g})",
    )
    add(
        "--eval-every",
        type=natural,
        metavar="N",
        help=f"steps between validations (default: {d.eval_every})",
    )
    add(
        "--sample-every",
        type=natural,
        metavar="N",
        help=f"steps between samples (default: {d.sample_every})",
    )
    add("--seed", type=int, metavar="N", help=f"random seed (default: {d.seed})")
    add("--data", metavar="FILE", help="UTF-8 text to learn (default: the Python stdlib source)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--out",
        metavar="DIR",
        help="write DIR/checkpoint.npz (default: out/train; with --resume, the resumed file)",
    )
    where.add_argument("--checkpoint", metavar="PATH", help="write the checkpoint to PATH")
    add("--resume", metavar="PATH", help="continue from a checkpoint (--steps is the total)")
    _add_quiet(parser)


@command("train", help="train a character-level language model", arguments=_train_arguments)
def train(args: argparse.Namespace) -> None:
    from rnn.train import Diverged, TrainConfig, Trainer, bits, load_corpus

    given = {f: getattr(args, f) for f in (*_TRAIN_FIELDS, "data") if getattr(args, f) is not None}
    try:
        if args.resume:
            trainer = Trainer.resume(args.resume, **given)
            print(f"resuming {args.resume} at step {trainer.step}")
        else:
            config = TrainConfig(**given)
            trainer = Trainer(config, load_corpus(config))
    except ValueError as e:
        raise CLIError(str(e)) from None
    if args.resume and trainer.step >= trainer.config.steps:
        raise CLIError(
            f"{args.resume} is already at step {trainer.step}; "
            "give a larger --steps (it counts from the start of the run)"
        )
    if args.checkpoint:
        path = Path(args.checkpoint)
    elif args.out or not args.resume:
        path = Path(args.out or "out/train") / "checkpoint.npz"
    else:
        path = Path(args.resume)
    cfg = trainer.config
    print(
        f"{cfg.cell.upper()} x{cfg.layers}, {cfg.hidden} hidden, vocabulary {len(trainer.vocab)}; "
        f"{cfg.steps} steps of {cfg.batch} x {cfg.seq_len} characters, {cfg.optim} lr {cfg.lr:g}"
    )
    try:
        trainer.fit(checkpoint=path, progress=_progress(args))
    except Diverged as e:
        raise CLIError(str(e)) from None
    except OSError as e:
        raise CLIError(f"cannot write the checkpoint {path}: {e.strerror}") from None
    if trainer.val_nats is not None:
        print(f"validation {trainer.val_nats:.4f} nats = {bits(trainer.val_nats):.4f} bpc")
    print(f"wrote {path} (step {trainer.step})")


# --- sample -------------------------------------------------------------------------------


def _sample_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", metavar="CHECKPOINT", help="a checkpoint of `train`")
    parser.add_argument("--checkpoint", metavar="PATH", help="the same, as an option")
    parser.add_argument(
        "--prime", help="text to start from (default: a newline, if the model knows it)"
    )
    parser.add_argument(
        "--temperature",
        type=nonnegative_float,
        default=0.8,
        help="softmax temperature; 0 picks the likeliest character (default: %(default)s)",
    )
    parser.add_argument(
        "--length", type=natural, default=500, help="characters to generate (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int, help="random seed (same seed, same text)")


@command("sample", help="generate text from a trained checkpoint", arguments=_sample_arguments)
def sample(args: argparse.Namespace) -> None:
    from rnn.sample import generate

    if args.path and args.checkpoint and args.path != args.checkpoint:
        raise UsageError("give the checkpoint once (positional or --checkpoint), not both")
    path = args.path or args.checkpoint
    if not path:
        raise UsageError(
            "which checkpoint? give its path (e.g. rnn sample out/train/checkpoint.npz)"
        )
    try:
        text = generate(path, args.prime, args.length, args.temperature, args.seed)
    except ValueError as e:
        raise CLIError(str(e)) from None
    print(text)


# --- check --------------------------------------------------------------------------------


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--cell", choices=CELL_CHOICES, default="lstm", help="cell (default: %(default)s)")
    add("--steps", type=positive_int, default=6, help="time steps T (default: %(default)s)")
    add("--batch", type=positive_int, default=2, help="batch size N (default: %(default)s)")
    add("--hidden", type=positive_int, default=4, help="hidden size H (default: %(default)s)")
    add("--input", type=positive_int, default=3, help="input size I (default: %(default)s)")
    add(
        "--lengths",
        type=positive_int,
        nargs="+",
        metavar="L",
        help="one sequence length per batch entry (each 1..steps)",
    )
    add(
        "--dtype",
        choices=["float64", "float32"],
        default="float64",
        help="precision of both sides (default: %(default)s)",
    )
    add("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    add("--tol", type=positive_float, help="relative tolerance (default: 1e-10 / 1e-4 by dtype)")


@command(
    "check",
    help="compare autodiff gradients with hand-derived BPTT; exit 1 on mismatch",
    arguments=_check_arguments,
)
def check(args: argparse.Namespace) -> int:
    from rnn.compare import compare

    if args.lengths is not None:
        if len(args.lengths) != args.batch:
            raise UsageError(
                f"--lengths needs one length per batch entry: {args.batch}, got {len(args.lengths)}"
            )
        if max(args.lengths) > args.steps:
            raise UsageError(f"--lengths: {max(args.lengths)} is longer than --steps {args.steps}")
    report = compare(
        args.cell,
        input_size=args.input,
        hidden_size=args.hidden,
        steps=args.steps,
        batch=args.batch,
        lengths=args.lengths,
        dtype=args.dtype,
        seed=args.seed,
        tol=args.tol,
    )
    print(report)
    return 0 if report.ok else 1


# --- graph --------------------------------------------------------------------------------


def _graph_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--cell", choices=CELL_CHOICES, default="lstm", help="recurrent cell (default: %(default)s)"
    )
    add("--steps", type=positive_int, default=3, help="time steps to unroll (default: %(default)s)")
    add("--hidden", type=positive_int, default=4, help="hidden units (default: %(default)s)")
    add("--input", type=positive_int, default=3, help="input size (default: %(default)s)")
    add("--collapse", action="store_true", help="one node per time step (for long sequences)")
    add(
        "--grads",
        action="store_true",
        help="run backward from the last step's output and colour by log10 gradient norm",
    )
    add(
        "--scale",
        type=positive_float,
        default=1.0,
        help="multiply the recurrent weights (below 1 a tanh RNN's gradient fades; "
        "default: %(default)s)",
    )
    add("--layers", type=positive_int, default=1, help="stacked layers (default: %(default)s)")
    add("--max-nodes", type=positive_int, default=2000, help="refuse larger full graphs")
    add("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    add(
        "-o",
        "--output",
        default="unrolled.svg",
        help="file to write: .svg, .png, .pdf (need Graphviz's dot), .dot, or .html for the "
        "interactive explorer with backward replayed (default: %(default)s)",
    )


@command(
    "graph", help="draw the unrolled computation graph with Graphviz", arguments=_graph_arguments
)
def graph(args: argparse.Namespace) -> None:
    from minigrad import viz

    from .graphs import unrolled_graph

    if args.output.lower().endswith((".html", ".htm")):
        _explorer(args)
        return
    try:
        picture = unrolled_graph(
            args.cell,
            args.steps,
            input_size=args.input,
            hidden_size=args.hidden,
            collapse=args.collapse,
            grads=args.grads,
            recurrent_scale=args.scale,
            seed=args.seed,
            max_nodes=args.max_nodes,
        )
        path = viz.save(picture, args.output)
    except (ValueError, RuntimeError) as e:
        message = str(e).replace("pass collapse=True", "pass --collapse")
        raise CLIError(message.replace("raise max_nodes", "raise --max-nodes")) from None
    except OSError as e:
        raise CLIError(f"cannot write {args.output}: {e.strerror}") from None
    except subprocess.CalledProcessError as e:
        raise CLIError(
            f"Graphviz's dot failed on {args.output} (exit status {e.returncode})"
        ) from None
    print(f"wrote {path}")


def _explorer(args: argparse.Namespace) -> None:
    """``graph -o page.html``: the explorer page of the same model, backward traced."""
    from .graphs import explorer_page

    try:
        page = explorer_page(
            args.cell,
            args.steps,
            input_size=args.input,
            hidden_size=args.hidden,
            num_layers=args.layers,
            recurrent_scale=args.scale,
            seed=args.seed,
        )
        path = page.save(args.output)
    except (ValueError, RuntimeError) as e:
        raise CLIError(str(e)) from None
    except OSError as e:
        raise CLIError(f"cannot write {args.output}: {e.strerror}") from None
    print(f"wrote {path}")


# --- demo ---------------------------------------------------------------------------------


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--out", metavar="DIR", default="out/demo", help="output folder (default: %(default)s)")
    add("--steps", type=positive_int, help="training steps (default: 1000)")
    add("--hidden", type=positive_int, help="hidden units (default: 128)")
    add("--cell", choices=CELL_CHOICES, help="recurrent cell (default: lstm)")
    add("--data", metavar="FILE", help="UTF-8 text (default: the Python stdlib source)")
    add("--seed", type=int, help="random seed (default: 0)")
    _add_quiet(parser)


@command(
    "demo",
    help="train a small char-LSTM, sample before/after, check gradients, write files",
    arguments=_demo_arguments,
)
def demo(args: argparse.Namespace) -> None:
    from rnn.demo import demo_config, run_demo

    changes = {k: getattr(args, k) for k in ("steps", "hidden", "cell", "data", "seed")}
    config = demo_config(**{k: v for k, v in changes.items() if v is not None})
    try:
        run_demo(args.out, config, progress=_progress(args))
    except ValueError as e:
        raise CLIError(str(e)) from None
    except OSError as e:
        raise CLIError(f"cannot write into {args.out}: {e.strerror}") from None


# --- long-dependency study: task, gradflow ------------------------------------------------
# Thin runners only; the logic lives in rnn.longdeps and rnn.gradflow.


def _task_arguments(parser: argparse.ArgumentParser) -> None:
    from .longdeps import CELLS, TASKS

    parser.add_argument("task", choices=TASKS, help="adding (MSE) or copy (cross-entropy)")
    parser.add_argument(
        "--cell",
        choices=CELLS,
        default="lstm",
        help="recurrent cell; irnn is a ReLU RNN with identity W_hh (default: %(default)s)",
    )
    parser.add_argument(
        "--T", type=positive_int, default=100, help="dependency length (default: %(default)s)"
    )
    parser.add_argument(
        "--hidden", type=positive_int, default=64, help="hidden units (default: %(default)s)"
    )
    parser.add_argument(
        "--steps", type=positive_int, default=2000, help="training steps (default: %(default)s)"
    )
    parser.add_argument(
        "--batch", type=positive_int, default=32, help="sequences per step (default: %(default)s)"
    )
    parser.add_argument(
        "--lr", type=positive_float, default=1e-3, help="Adam step size (default: %(default)s)"
    )
    parser.add_argument(
        "--clip",
        type=nonnegative_float,
        default=1.0,
        help="max gradient norm; 0 disables clipping (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--log-every",
        type=positive_int,
        default=100,
        help="steps between loss lines (default: %(default)s)",
    )
    _add_quiet(parser)


@command(
    "task",
    help="train a cell on the adding or copy task and compare its loss with the baseline",
    arguments=_task_arguments,
)
def task(args: argparse.Namespace) -> None:
    from .longdeps import train_task

    if args.task == "adding" and args.T < 2:
        raise UsageError(f"the adding task needs --T of at least 2, got {args.T}")
    result = train_task(
        args.task,
        args.cell,
        args.T,
        hidden=args.hidden,
        steps=args.steps,
        batch=args.batch,
        lr=args.lr,
        clip=args.clip or None,
        seed=args.seed,
        log_every=args.log_every,
        progress=_progress(args),
    )
    metric = "MSE" if args.task == "adding" else "cross-entropy per step"
    print(
        f"final {args.task} {args.cell} T={args.T}: {metric} {result.final_loss:.4f} "
        f"vs baseline {result.baseline:.4f} (ratio {result.final_loss / result.baseline:.3f}, "
        f"1000 fresh sequences)"
    )


def _gradflow_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--T", type=positive_int, default=100, help="sequence length (default: %(default)s)"
    )
    parser.add_argument(
        "--hidden", type=positive_int, default=32, help="hidden units (default: %(default)s)"
    )
    parser.add_argument(
        "--train-steps",
        type=natural,
        default=200,
        help="Adam steps on the adding task before the second profile; 0 = init only "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--lr", type=positive_float, default=1e-2, help="Adam step size (default: %(default)s)"
    )
    parser.add_argument(
        "--clip",
        type=nonnegative_float,
        default=1.0,
        help="max gradient norm of the clipped training; 0 skips it (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--models", help="comma-separated subset of the models (default: all)", default=None
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument(
        "-o", "--output", help="also save a plot (.png, .svg, .pdf; needs matplotlib)"
    )


@command(
    "gradflow",
    help="measure ‖∂L/∂h_t‖ against distance for tanh/IRNN/LSTM/GRU, before and after training",
    arguments=_gradflow_arguments,
)
def gradflow(args: argparse.Namespace) -> None:
    import json

    from . import gradflow as study

    if args.T < 2:
        raise UsageError(f"--T (the sequence length) must be at least 2, got {args.T}")
    models = None
    if args.models:
        models = [m.strip() for m in args.models.split(",") if m.strip()]
        unknown = [m for m in models if m not in study.MODELS]
        if unknown:
            raise UsageError(f"unknown model {unknown[0]!r}; choose from {', '.join(study.MODELS)}")
    if args.output:
        suffix = args.output.rsplit(".", 1)[-1].lower() if "." in args.output else ""
        if suffix not in ("png", "svg", "pdf"):
            raise UsageError(f"-o must end in .png, .svg or .pdf, got {args.output!r}")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise CLIError(study.PLOTS_HINT) from None
    result = study.measure(
        T=args.T,
        hidden=args.hidden,
        train_steps=args.train_steps,
        lr=args.lr,
        clip=args.clip or None,
        seed=args.seed,
        models=models,
        progress=None
        if args.json
        else lambda name: print(f"measuring {name} ...", file=sys.stderr),
    )
    if args.json:
        print(json.dumps(result.to_dict(), allow_nan=False))
    else:
        print(study.format_table(result))
    if args.output:
        study.plot(result, args.output)
        print(f"plot saved to {args.output}", file=sys.stderr)
