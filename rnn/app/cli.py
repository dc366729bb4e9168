"""The command line: ``python -m rnn <command> ...`` (also installed as ``rnn``).

Each subcommand lives in its own module under :mod:`rnn.app.commands` (its arguments
and its runner, registered with :func:`rnn.app.command.command`); this module builds
the parser from the registered commands and runs one.

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
import sys
from collections.abc import Sequence

from .command import COMMANDS, CLIError, UsageError, command
from .commands import check, demo, gradflow, graph, sample, task, train  # noqa: F401 (register)

__all__ = ["CLIError", "UsageError", "build_parser", "command", "main"]

PROG = "rnn"


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per registered subcommand."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Recurrent networks on the minigrad autodiff engine.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    for cmd in COMMANDS.values():
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
