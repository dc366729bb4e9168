"""``rnn gradflow``: the gradient-flow study (see :mod:`rnn.app.gradflow`)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..command import (
    CLIError,
    UsageError,
    add_eager,
    add_quiet,
    add_seed,
    check_writable,
    command,
    natural,
    nonempty_path,
    nonnegative_float,
    positive_float,
    positive_int,
    show_progress,
    write_atomically,
)

if TYPE_CHECKING:
    from ..gradflow import Study


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
    add_seed(parser)
    from ..gradflow import MODELS

    parser.add_argument(
        "--models",
        help=f"comma-separated subset of the models: {', '.join(MODELS)} (default: all)",
        default=None,
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument(
        "-o",
        "--output",
        type=nonempty_path,
        help="also save a plot (.png, .svg, .pdf; needs matplotlib)",
    )
    add_quiet(parser)
    add_eager(parser)


@command(
    "gradflow",
    help="measure ‖∂L/∂h_t‖ against distance for tanh/IRNN/LSTM/GRU, before and after training",
    arguments=_gradflow_arguments,
)
def gradflow(args: argparse.Namespace) -> None:
    import json

    from .. import gradflow as study

    if args.T < 2:
        raise UsageError(f"--T (the sequence length) must be at least 2, got {args.T}")
    models = None
    if args.models is not None:
        models = [m.strip() for m in args.models.split(",") if m.strip()]
        if not models:
            raise UsageError(
                f"--models names no model (got {args.models!r}); choose from "
                f"{', '.join(study.MODELS)}, or leave --models out for all of them"
            )
        unknown = [m for m in models if m not in study.MODELS]
        if unknown:
            raise UsageError(f"unknown model {unknown[0]!r}; choose from {', '.join(study.MODELS)}")
        twice = next((m for i, m in enumerate(models) if m in models[:i]), None)
        if twice is not None:  # it was measured, tabled and plotted twice
            raise UsageError(f"--models names {twice!r} twice; name each model once")
    if args.output:
        suffix = args.output.rsplit(".", 1)[-1].lower() if "." in args.output else ""
        if suffix not in ("png", "svg", "pdf"):
            raise UsageError(f"-o must end in .png, .svg or .pdf, got {args.output!r}")
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            raise CLIError(study.PLOTS_HINT) from None
        check_writable(args.output, "-o")
    try:
        result = _measure(args, models)
    except ValueError as e:
        raise CLIError(str(e)) from None
    if args.json:
        print(json.dumps(result.to_dict(), allow_nan=False))
    else:
        print(study.format_table(result))
    if args.output:
        try:
            write_atomically(args.output, lambda tmp: study.plot(result, str(tmp)))
        except OSError as e:
            raise CLIError(f"cannot write {args.output}: {e.strerror}") from None
        print(f"plot saved to {args.output}", file=sys.stderr)


def _measure(args: argparse.Namespace, models: list[str] | None) -> Study:
    """Run :func:`rnn.app.gradflow.measure` with the command's options."""
    from .. import gradflow as study

    return study.measure(
        T=args.T,
        hidden=args.hidden,
        train_steps=args.train_steps,
        lr=args.lr,
        clip=args.clip or None,
        seed=args.seed,
        models=models,
        eager=args.eager,
        progress=None
        if args.json or args.quiet
        else lambda name: print(f"measuring {name} ...", file=sys.stderr),
        bars=show_progress(args),
    )
