"""``rnn train``: train a character-level language model (see :mod:`rnn.app.train`)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..command import (
    CLIError,
    Interrupted,
    UsageError,
    add_eager,
    add_history,
    add_quiet,
    check_history,
    check_writable,
    command,
    natural,
    nonempty_path,
    nonnegative_float,
    positive_float,
    positive_int,
    recorded_command,
    refuse_same_file,
    show_progress,
)
from ..models import CELLS
from ..progress import BASELINES_STATUS, status

if TYPE_CHECKING:
    from ..train import Trainer

CELL_CHOICES = list(CELLS)  # the cell kinds: "rnn", "lstm", "gru", ...


# Options whose defaults come from TrainConfig (or, with --resume, from the checkpoint).
_TRAIN_FIELDS = (
    "cell hidden layers seq_len batch steps lr optim clip eval_every sample_every seed"
).split()


def _train_arguments(parser: argparse.ArgumentParser) -> None:
    from ..train import TrainConfig

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
        help="steps between validations, each followed by a checkpoint; 0: only at the "
        f"end (default: {d.eval_every})",
    )
    add(
        "--sample-every",
        type=natural,
        metavar="N",
        help=f"steps between samples; 0: none (default: {d.sample_every})",
    )
    add("--seed", type=natural, metavar="N", help=f"random seed (default: {d.seed})")
    _file_arguments(parser)
    add_history(parser)
    add_quiet(parser)


def _file_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the text comes from and where checkpoints go."""
    add = parser.add_argument
    add(
        "--data",
        metavar="FILE",
        type=nonempty_path,
        nargs="+",
        help="UTF-8 text to learn; with several files, whole files are held out for "
        "validation (default: the Python standard library's modules)",
    )
    add(
        "--no-baselines",
        action="store_true",
        help="do not measure the compressors and the n-gram on the validation text",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--out",
        metavar="DIR",
        type=nonempty_path,
        help="write DIR/checkpoint.npz (default: out/train; with --resume, the resumed file)",
    )
    where.add_argument(
        "--checkpoint", metavar="PATH", type=nonempty_path, help="write the checkpoint to PATH"
    )
    add(
        "--resume",
        metavar="PATH",
        type=nonempty_path,
        help="continue from a checkpoint (--steps is the total)",
    )
    add(
        "--force",
        action="store_true",
        help="replace a checkpoint of another run at the output path",
    )
    add_eager(parser)


@command("train", help="train a character-level language model", arguments=_train_arguments)
def train(args: argparse.Namespace) -> None:
    from ..train import Diverged, bits
    from ..trainrecord import TrainHistory

    path, option = _checkpoint_path(args)
    check_writable(path, option)  # first: a folder there is no run to resume or replace
    _refuse_data(path, option, args.data)
    _refuse_other_run(path, args)
    if args.history:
        files = [("one of the --data files", d) for d in args.data or ()]
        files += [("the checkpoint", path), ("the --resume checkpoint", args.resume)]
        check_history(args.history, files)
    trainer = _trainer(args)
    _refuse_data(path, option, trainer.config.data)  # resumed: the run's own text files
    record = TrainHistory(
        args.history, trainer, recorded_command(getattr(args, "_argv", ["train"]))
    )
    cfg = trainer.config
    print("\n".join(trainer.data.split.describe()))
    print(
        f"{cfg.cell.upper()} x{cfg.layers}, {cfg.hidden} hidden, vocabulary {len(trainer.vocab)}; "
        f"{cfg.steps} steps of {cfg.batch} x {cfg.seq_len} characters, {cfg.optim} lr {cfg.lr:g}",
        flush=True,
    )
    try:
        trainer.fit(checkpoint=path, progress=show_progress(args), on_evaluate=record.update)
    except Diverged as e:
        raise CLIError(str(e)) from None
    except BrokenPipeError:
        raise  # the reader of stdout has stopped: no failure to write files (see cli.main)
    except OSError as e:
        # minigrad.save puts the path into strerror; the errno alone says why.
        why = os.strerror(e.errno) if e.errno else str(e)
        raise CLIError(f"cannot write the checkpoint {path}: {why}") from None
    except KeyboardInterrupt:
        raise Interrupted(_how_to_go_on(trainer)) from None
    if trainer.val_nats is not None:
        print(f"validation {trainer.val_nats:.4f} nats = {bits(trainer.val_nats):.4f} bpc")
    print(f"wrote {path} (step {trainer.step})")
    if not args.no_baselines:
        status(BASELINES_STATUS, show_progress(args))
        try:
            print(trainer.report())
        except ValueError as e:
            raise CLIError(str(e)) from None
        record.update(trainer.baselines())


def _how_to_go_on(trainer: Trainer) -> str:
    """After Ctrl-C: the last checkpoint and the command that continues from it."""
    if trainer.last_saved is None:
        return "no checkpoint had been written yet"
    path, step = trainer.last_saved
    return f"the last checkpoint is {path} (step {step}); continue with: rnn train --resume {path}"


def _refuse_data(path: Path, option: str, data: str | list[str] | None) -> None:
    """The checkpoint must not be written over a text file the run learns from."""
    files = [data] if isinstance(data, str) else list(data or ())
    what = "one of the --data files" if len(files) > 1 else "the --data file"
    refuse_same_file(option, path, [(what, f) for f in files], "the checkpoint would replace it")


def _refuse_other_run(path: Path, args: argparse.Namespace) -> None:
    """A fresh run (or a resumed one writing elsewhere) must not silently replace a
    checkpoint that is already at ``path``."""
    from ..checkpoint import load_checkpoint

    if args.force or not path.exists():
        return
    if args.resume and Path(args.resume).resolve() == path.resolve():
        return
    try:
        step = load_checkpoint(path)["step"]
    except ValueError:
        raise CLIError(
            f"{path} already holds a file that is not a checkpoint of rnn train; "
            "give --force to replace it, or choose another path"
        ) from None
    raise CLIError(
        f"{path} already holds a checkpoint of another run (step {step}); "
        f"continue it with --resume {path}, or give --force to replace it"
    )


def _trainer(args: argparse.Namespace) -> Trainer:
    """A fresh trainer from the options, or the resumed one (with the options' changes)."""
    from ..train import ConflictingOptions, TrainConfig, Trainer, load_corpus

    given = {f: getattr(args, f) for f in (*_TRAIN_FIELDS, "data") if getattr(args, f) is not None}
    if args.data is not None and len(args.data) == 1:
        given["data"] = args.data[0]
    try:
        if args.resume:
            # Without --eager, the step the run was trained with (see Trainer.resume).
            trainer = Trainer.resume(args.resume, eager=args.eager or None, **given)
            step = " (the eager step, as it was trained)" if trainer.config.eager else ""
            print(f"resuming {args.resume} at step {trainer.step}{step}")
        else:
            config = TrainConfig(**given)
            trainer = Trainer(config, load_corpus(config), args.eager)
    except ConflictingOptions as e:
        raise UsageError(str(e)) from None
    except ValueError as e:
        raise CLIError(str(e)) from None
    if args.resume and trainer.step >= trainer.config.steps:
        raise CLIError(
            f"{args.resume} is already at step {trainer.step}; "
            "give a larger --steps (it counts from the start of the run)"
        )
    return trainer


def _checkpoint_path(args: argparse.Namespace) -> tuple[Path, str]:
    """--checkpoint, else --out/checkpoint.npz, else (resuming) the resumed file; with
    the option it came from, for messages."""
    if args.checkpoint:
        return Path(args.checkpoint), "--checkpoint"
    if args.out or not args.resume:
        return Path(args.out or "out/train") / "checkpoint.npz", "--out"
    return Path(args.resume), "--resume"
