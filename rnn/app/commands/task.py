"""``rnn task``: train a cell on the adding or copy task (see :mod:`rnn.app.tasks`)."""

from __future__ import annotations

import argparse
from typing import Any

from ..command import (
    CLIError,
    UsageError,
    add_eager,
    add_quiet,
    add_seed,
    command,
    nonnegative_float,
    positive_float,
    positive_int,
    show_progress,
)


def _task_arguments(parser: argparse.ArgumentParser) -> None:
    from ..tasks import CELLS, TASKS

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
    add_seed(parser)
    parser.add_argument(
        "--log-every",
        type=positive_int,
        default=100,
        help="steps between loss lines (default: %(default)s)",
    )
    parser.add_argument(
        "--save", metavar="PATH", help="save the trained model (for rnn dynamics --checkpoint)"
    )
    add_eager(parser)
    add_quiet(parser)


@command(
    "task",
    help="train a cell on the adding or copy task and compare its loss with the baseline",
    arguments=_task_arguments,
)
def task(args: argparse.Namespace) -> None:
    from ..step import Diverged

    if args.task == "adding" and args.T < 2:
        raise UsageError(f"the adding task needs --T of at least 2, got {args.T}")
    try:
        result = _train(args)
    except Diverged as e:
        raise CLIError(f"training stopped: {e} (a lower --lr or a --clip may help)") from None
    except ValueError as e:
        raise CLIError(str(e)) from None
    metric = "MSE" if args.task == "adding" else "cross-entropy per step"
    print(
        f"final {args.task} {args.cell} T={args.T}: {metric} {result.final_loss:.4f} "
        f"vs baseline {result.baseline:.4f} (ratio {result.final_loss / result.baseline:.3f}, "
        f"1000 fresh sequences)"
    )
    if args.save:
        from ..taskfile import save_task_model

        config = {k: getattr(args, k) for k in ("task", "cell", "T", "hidden", "seed", "steps")}
        try:
            save_task_model(args.save, result.model, {**config, "final_loss": result.final_loss})
        except (OSError, ValueError) as e:
            raise CLIError(f"cannot save the model to {args.save}: {e}") from None
        print(f"model saved to {args.save}")


def _train(args: argparse.Namespace) -> Any:
    """Run :func:`rnn.app.tasks.train_task` with the command's options."""
    from ..tasks import train_task

    return train_task(
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
        progress=show_progress(args),
        eager=args.eager,
    )
