"""``rnn task``: train a cell on the adding or copy task (see :mod:`rnn.app.tasks`)."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ..command import (
    CLIError,
    Interrupted,
    UsageError,
    add_eager,
    add_history,
    add_quiet,
    add_seed,
    check_history,
    check_writable,
    command,
    format_seconds,
    nonempty_path,
    nonnegative_float,
    positive_float,
    positive_int,
    recorded_command,
    show_progress,
)


def _task_arguments(parser: argparse.ArgumentParser) -> None:
    from ...cells import NONLINEARITIES
    from ...constraints import ORTHOGONAL_MAPS
    from ...init import INITS
    from ..tasks import CELLS, OPTIMIZERS, TASKS

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
        "--init",
        nargs="+",
        choices=INITS,
        default=["default"],
        metavar="INIT",
        help="initialisations of the recurrent layer, applied in order: chrono (LSTM/GRU "
        "gate biases for memories up to --t-max steps), orthogonal or identity (each gate "
        "block of W_hh), henaff (2x2 rotations in W_hh, rnn and irnn cells; with "
        "--orthogonal, in A of W_hh = exp(A)); see rnn.init (default: the cell's own)",
    )
    parser.add_argument(
        "--nonlinearity",
        choices=tuple(NONLINEARITIES),
        help="the rnn cell's nonlinearity: tanh (default), relu, or modrelu, "
        "sign(z) relu(|z| + b) with a learnt threshold b per unit (bias_hh)",
    )
    parser.add_argument(
        "--orthogonal",
        choices=ORTHOGONAL_MAPS,
        help="keep W_hh orthogonal during training as exp(A), A skew-symmetric (rnn and "
        "irnn cells; see rnn.constraints); with --init henaff, A starts as 2x2 rotation blocks",
    )
    parser.add_argument(
        "--t-max",
        type=positive_float,
        help="chrono's longest time scale (default: the sequence length, T + 20 for copy)",
    )
    parser.add_argument(
        "--optim", choices=tuple(OPTIMIZERS), default="adam", help="optimizer (default: adam)"
    )
    parser.add_argument(
        "--lr", type=positive_float, default=1e-3, help="step size (default: %(default)s)"
    )
    parser.add_argument(
        "--clip",
        type=nonnegative_float,
        default=1.0,
        help="max gradient norm; 0 disables clipping (default: %(default)s)",
    )
    parser.add_argument(
        "--cpu-limit",
        type=positive_float,
        metavar="MINUTES",
        help="stop training once the process has used this much CPU time",
    )
    add_seed(parser)
    parser.add_argument(
        "--log-every",
        type=positive_int,
        default=100,
        help="steps between loss lines (default: %(default)s)",
    )
    add_history(parser)
    parser.add_argument(
        "--save",
        metavar="PATH",
        type=nonempty_path,
        help="save the trained model (for rnn dynamics --checkpoint)",
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
    if args.t_max is not None and args.t_max <= 2:
        raise UsageError(f"--t-max must be greater than 2, got {args.t_max:g}")
    _check_cell_options(args)
    if args.history:
        check_history(args.history, [("the --save file", args.save)])
    if args.save:
        check_writable(args.save, "--save")
        _refuse_overwriting(args.save)
    try:
        result = _train(args)
    except KeyboardInterrupt:
        raise Interrupted(_what_was_lost(args)) from None
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
    stopped = ""
    if args.cpu_limit is not None and result.steps < args.steps:
        stopped = f" of {args.steps} (--cpu-limit {args.cpu_limit:g} min reached)"
    print(
        f"{result.steps} steps{stopped}: "
        f"{format_seconds(result.wall)} wall, {format_seconds(result.cpu)} CPU, "
        f"load average {result.load:.2f}"
    )
    if args.history:
        _write_history(args, result)
    if args.save:
        from ..taskfile import save_task_model

        config = {k: getattr(args, k) for k in ("task", "cell", "T", "hidden", "seed")}
        config["steps"] = result.steps  # taken: fewer than --steps when --cpu-limit stopped it
        config.update(
            {k: getattr(args, k) for k in ("orthogonal", "nonlinearity") if getattr(args, k)}
        )
        try:
            save_task_model(args.save, result.model, {**config, "final_loss": result.final_loss})
        except OSError as e:
            # minigrad.save puts the path into strerror; the errno alone says why.
            why = os.strerror(e.errno) if e.errno else str(e)
            raise CLIError(f"cannot save the model to {args.save}: {why}") from None
        except ValueError as e:
            raise CLIError(f"cannot save the model to {args.save}: {e}") from None
        print(f"model saved to {args.save}")


def _refuse_overwriting(path: str) -> None:
    """--save replaces a model an earlier task run saved there, nothing else: a file of
    another kind at the path (a text, a train checkpoint) is refused before training."""
    if not os.path.isfile(path):
        return
    from ..taskfile import is_task_checkpoint, read

    try:
        ours = is_task_checkpoint(read(path))
    except ValueError:
        ours = False
    if not ours:
        raise CLIError(
            f"--save {path}: the file exists and is not a model saved by rnn task; "
            "remove it or choose another path"
        )


def _what_was_lost(args: argparse.Namespace) -> str:
    """After Ctrl-C: the model is saved only once training ends, so nothing was."""
    if not args.save:
        return "the model was not saved (no --save given)"
    return f"nothing was saved: the model goes to {args.save} only once training ends"


# The options that define a run (recorded by --history).
SETTINGS = (
    "task", "cell", "T", "hidden", "steps", "batch", "init", "t_max", "orthogonal",
    "nonlinearity", "optim", "lr", "clip", "cpu_limit", "seed", "eager",
)  # fmt: skip


def _write_history(args: argparse.Namespace, result: Any) -> None:
    """Write the run's JSON record to --history (see :mod:`rnn.app.taskrecord`)."""
    from ..taskrecord import task_record, write_record

    command = recorded_command(getattr(args, "_argv", ["task"]))
    settings = {k: getattr(args, k) for k in SETTINGS}
    try:
        write_record(args.history, task_record(result, command, settings))
    except OSError as e:
        raise CLIError(f"cannot write --history {args.history}: {e.strerror}") from None


SQUARE = ("rnn", "irnn")  # cells whose W_hh is one square block
GATED = ("lstm", "gru")  # cells with gate biases


def _check_cell_options(args: argparse.Namespace) -> None:
    """Options that need another cell are usage errors naming the option (status 2),
    before anything is built."""
    if args.nonlinearity is not None and args.cell != "rnn":
        raise UsageError(f"--nonlinearity is for the rnn cell only, got --cell {args.cell}")
    if args.orthogonal is not None and args.cell not in SQUARE:
        raise UsageError(
            f"--orthogonal needs a square W_hh (the rnn and irnn cells), got --cell {args.cell}"
        )
    if "henaff" in args.init and args.cell not in SQUARE:
        raise UsageError(
            f"--init henaff needs a square W_hh (the rnn and irnn cells), got --cell {args.cell}"
        )
    if args.t_max is not None and "chrono" not in args.init:
        raise UsageError("--t-max is chrono's longest time scale: give it with --init chrono")
    if "chrono" in args.init and args.cell not in GATED:
        raise UsageError(
            f"--init chrono sets gate biases (the lstm and gru cells), got --cell {args.cell}"
        )


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
        init=args.init,
        t_max=args.t_max,
        optimizer=args.optim,
        orthogonal=args.orthogonal,
        nonlinearity=args.nonlinearity,
        cpu_limit=None if args.cpu_limit is None else 60 * args.cpu_limit,
        on_window=(lambda result: _write_history(args, result)) if args.history else None,
    )
