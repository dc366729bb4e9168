"""``rnn check``: autodiff gradients against hand-derived BPTT (:mod:`rnn.compare`)."""

from __future__ import annotations

import argparse
import decimal

import numpy as np

from ..command import (
    CLIError,
    UsageError,
    add_seed,
    command,
    positive_float,
    positive_int,
)
from ..models import CELLS

CELL_CHOICES = list(CELLS)  # the cell kinds: "rnn", "lstm", "gru", ...


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
    add_seed(parser)
    add("--tol", type=positive_float, help="relative tolerance (default: 1e-10 / 1e-4 by dtype)")


def _rounded_up(value: float) -> str:
    """``value`` to three significant digits, rounded up: the printed bound is never
    below ``value`` (float64's epsilon 2.220446e-16 is "2.23e-16", not "2.22e-16")."""
    bound = decimal.Context(prec=3, rounding=decimal.ROUND_CEILING).create_decimal(value)
    return f"{float(bound):.2e}"


@command(
    "check",
    help="compare autodiff gradients with hand-derived BPTT; exit 1 on mismatch",
    arguments=_check_arguments,
)
def check(args: argparse.Namespace) -> int:
    from ...compare import compare
    from ..memory import recurrent_bytes, require
    from ..models import cell_gates

    eps = float(np.finfo(args.dtype).eps)
    if args.tol is not None and args.tol < eps:
        # a relative tolerance below one rounding step can only be met by identical bits
        raise UsageError(
            f"--tol {args.tol!r} is below {args.dtype}'s resolution (machine epsilon "
            f"{eps:.7g}): two ways of computing a gradient differ by rounding alone; "
            f"give --tol {_rounded_up(eps)} or more"
        )
    if args.lengths is not None:
        if len(args.lengths) != args.batch:
            raise UsageError(
                f"--lengths needs one length per batch entry: {args.batch}, got {len(args.lengths)}"
            )
        if max(args.lengths) > args.steps:
            raise UsageError(f"--lengths: {max(args.lengths)} is longer than --steps {args.steps}")
    try:
        require(
            2
            * recurrent_bytes(
                gates=cell_gates(args.cell),
                input_size=args.input,
                hidden=args.hidden,
                steps=args.steps,
                batch=args.batch,
                itemsize=8,
            ),
            f"the check (--hidden {args.hidden}, --steps {args.steps}, --batch {args.batch})",
        )
    except ValueError as e:
        raise CLIError(str(e)) from None
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
