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

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["CLIError", "build_parser", "command", "main"]

PROG = "rnn"


class CLIError(Exception):
    """An expected failure inside a command: reported in one line, exit status 1."""


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
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    return 0 if status is None else status


# --- demo ---------------------------------------------------------------------------------


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dtype",
        choices=["float32", "float64"],
        default="float64",
        help="floating-point type of the tensors (default: %(default)s)",
    )


@command(
    "demo",
    help="backpropagate through y = sum(tanh(a @ w)) and print the gradients",
    arguments=_demo_arguments,
)
def demo(args: argparse.Namespace) -> None:
    import minigrad

    a0 = np.array([[1.0, -2.0]], dtype=args.dtype)
    w0 = np.array([[0.5, -1.0, 0.25], [0.75, 0.5, -0.5]], dtype=args.dtype)
    a = minigrad.tensor(a0, requires_grad=True)
    w = minigrad.tensor(w0, requires_grad=True)
    y = (a @ w).tanh().sum()
    y.backward()

    # The same gradients by hand, in float64: dy/dz = 1 - tanh(z)^2 with z = a @ w.
    a0, w0 = a0.astype(np.float64), w0.astype(np.float64)
    dz = 1.0 - np.tanh(a0 @ w0) ** 2
    errors = [np.abs(a.grad - dz @ w0.T).max(), np.abs(w.grad - a0.T @ dz).max()]

    with np.printoptions(precision=6, suppress=True):
        print(f"y = sum(tanh(a @ w))   dtype {args.dtype}")
        print(f"a =\n{a.data}")
        print(f"w =\n{w.data}")
        print(f"y = {y.item():.6f}")
        print(f"dy/da =\n{a.grad}")
        print(f"dy/dw =\n{w.grad}")
    print(f"max |autodiff - hand-derived gradient| = {max(errors):.2e}")


# --- long-dependency study: task, gradflow ------------------------------------------------
# Thin runners only; the logic lives in rnn.longdeps and rnn.gradflow.


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {value}")
    return value


def _task_arguments(parser: argparse.ArgumentParser) -> None:
    from .longdeps import CELLS, TASKS

    parser.add_argument("task", choices=TASKS, help="adding (MSE) or copy (cross-entropy)")
    parser.add_argument("--cell", choices=CELLS, default="lstm", help="(default: %(default)s)")
    parser.add_argument(
        "--T", type=_positive_int, default=100, help="dependency length (default: %(default)s)"
    )
    parser.add_argument("--hidden", type=_positive_int, default=64, help="(default: %(default)s)")
    parser.add_argument(
        "--steps", type=_positive_int, default=2000, help="training steps (default: %(default)s)"
    )
    parser.add_argument("--batch", type=_positive_int, default=32, help="(default: %(default)s)")
    parser.add_argument(
        "--lr", type=_positive_float, default=1e-3, help="Adam step size (default: %(default)s)"
    )
    parser.add_argument(
        "--clip",
        type=float,
        default=1.0,
        help="max gradient norm; 0 disables clipping (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    parser.add_argument(
        "--log-every", type=_positive_int, default=100, help="steps between loss lines"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


@command(
    "task",
    help="train a cell on the adding or copy task and compare its loss with the baseline",
    arguments=_task_arguments,
)
def task(args: argparse.Namespace) -> None:
    from .longdeps import train_task

    if args.clip < 0:
        raise CLIError(f"--clip must be >= 0 (0 disables clipping), got {args.clip}")
    if args.task == "adding" and args.T < 2:
        raise CLIError(f"the adding task needs --T of at least 2, got {args.T}")
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
        progress=not args.no_progress,
    )
    metric = "MSE" if args.task == "adding" else "cross-entropy per step"
    print(
        f"final {args.task} {args.cell} T={args.T}: {metric} {result.final_loss:.4f} "
        f"vs baseline {result.baseline:.4f} (ratio {result.final_loss / result.baseline:.3f}, "
        f"1000 fresh sequences)"
    )


def _gradflow_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--steps", type=_positive_int, default=100, help="sequence length T (default: %(default)s)"
    )
    parser.add_argument("--hidden", type=_positive_int, default=32, help="(default: %(default)s)")
    parser.add_argument(
        "--train-steps",
        type=int,
        default=200,
        help="Adam steps on the adding task before the second profile; 0 = init only "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--lr", type=_positive_float, default=1e-2, help="Adam step size (default: %(default)s)"
    )
    parser.add_argument(
        "--clip",
        type=float,
        default=1.0,
        help="max gradient norm of the clipped training; 0 skips it (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
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

    if args.train_steps < 0:
        raise CLIError(f"--train-steps must be >= 0, got {args.train_steps}")
    if args.clip < 0:
        raise CLIError(f"--clip must be >= 0 (0 skips the clipped run), got {args.clip}")
    if args.steps < 2:
        raise CLIError(f"--steps (the sequence length T) must be at least 2, got {args.steps}")
    models = None
    if args.models:
        models = [m.strip() for m in args.models.split(",") if m.strip()]
        unknown = [m for m in models if m not in study.MODELS]
        if unknown:
            raise CLIError(f"unknown model {unknown[0]!r}; choose from {', '.join(study.MODELS)}")
    if args.output:
        suffix = args.output.rsplit(".", 1)[-1].lower() if "." in args.output else ""
        if suffix not in ("png", "svg", "pdf"):
            raise CLIError(f"-o must end in .png, .svg or .pdf, got {args.output!r}")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise CLIError(study.PLOTS_HINT) from None
    result = study.measure(
        T=args.steps,
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
        print(json.dumps(result.to_dict(), allow_nan=True))
    else:
        print(study.format_table(result))
    if args.output:
        study.plot(result, args.output)
        print(f"plot saved to {args.output}", file=sys.stderr)
