"""``rnn demo``: the guided tour (see :mod:`rnn.app.demo`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..command import (
    CLIError,
    UsageError,
    add_eager,
    add_history,
    add_quiet,
    check_folder,
    check_history,
    command,
    natural,
    nonempty_path,
    positive_int,
    recorded_command,
    refuse_same_file,
    show_progress,
)
from ..models import CELLS

CELL_CHOICES = list(CELLS)  # the cell kinds: "rnn", "lstm", "gru", ...


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--out",
        metavar="DIR",
        type=nonempty_path,
        default="out/demo",
        help="output folder (default: %(default)s)",
    )
    add("--steps", type=positive_int, help="training steps (default: 1000)")
    add("--hidden", type=positive_int, help="hidden units (default: 128)")
    add("--cell", choices=CELL_CHOICES, help="recurrent cell (default: lstm)")
    add(
        "--data",
        metavar="FILE",
        type=nonempty_path,
        nargs="+",
        help="UTF-8 text; with several files, whole files are held out for validation "
        "(default: the Python standard library's modules)",
    )
    add("--seed", type=natural, help="random seed (default: 0)")
    add_eager(parser)
    add_history(parser)
    add_quiet(parser)


@command(
    "demo",
    help="train a small char-LSTM, sample before/after, check gradients, write files",
    arguments=_demo_arguments,
)
def demo(args: argparse.Namespace) -> None:
    from ..data import TextTooShort
    from ..demo import FILES, demo_config, run_demo
    from ..train import ConflictingOptions

    changes = {k: getattr(args, k) for k in ("steps", "hidden", "cell", "data", "seed")}
    if args.data is not None and len(args.data) == 1:
        changes["data"] = args.data[0]
    config = demo_config(**{k: v for k, v in changes.items() if v is not None})
    check_folder(args.out, "--out")
    data = [("one of the --data files", d) for d in args.data or ()]
    for name in FILES:  # the files the demo writes into --out
        refuse_same_file(
            "--out", Path(args.out) / name, data, f"the demo's {name} would replace it"
        )
    if args.history:
        others = [*data, *((f"the demo's {name}", Path(args.out) / name) for name in FILES)]
        check_history(args.history, others)
    command = recorded_command(getattr(args, "_argv", ["demo"]))
    try:
        run_demo(
            args.out,
            config,
            progress=show_progress(args),
            eager=args.eager,
            history=args.history,
            command=command,
        )
    except TextTooShort as e:
        raise CLIError(
            f"the training part of --data ({e.n} character{'' if e.n == 1 else 's'}) is too "
            f"short for the demo's {e.batch} streams of {e.seq_len} characters: it needs at "
            f"least {e.needed()} (give a longer text, or use `rnn train`, whose --batch and "
            "--seq-len can be smaller)"
        ) from None
    except ConflictingOptions as e:
        raise UsageError(str(e)) from None
    except ValueError as e:
        raise CLIError(str(e)) from None
    except BrokenPipeError:
        raise  # the reader of stdout has stopped: no failure to write files (see cli.main)
    except OSError as e:
        raise CLIError(f"cannot write into {args.out}: {e.strerror}") from None
