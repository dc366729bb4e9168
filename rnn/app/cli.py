"""The command line: ``python -m rnn <command> ...`` (also installed as ``rnn``).

Each subcommand lives in its own module under :mod:`rnn.app.commands` (its arguments
and its runner, registered with :func:`rnn.app.command.command`); this module builds
the parser from the registered commands and runs one.

Bad arguments are reported by argparse (one line, exit status 2). A command signals an
expected failure by raising :class:`CLIError`, which is printed as ``rnn: error: <message>``
with exit status 1 and no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import minigrad

from .command import COMMANDS, CLIError, Interrupted, UsageError, command
from .commands import check, demo, dynamics, gradflow, graph, sample, task, train  # noqa: F401

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
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the subcommand, return its status.

    BLAS runs on one thread (the models multiply small matrices; see
    :mod:`minigrad.threads`) unless the environment chooses otherwise.
    """
    if not minigrad.threads.threads_chosen_by_user():
        minigrad.set_num_threads(1)
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:  # `rnn` alone: what it can do, not an error
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    args._argv = argv  # the command line as given, for records of a run
    try:
        status = args._run(args)
    except Interrupted as exc:
        print(f"{PROG}: interrupted: {_one_line(exc)}", file=sys.stderr)
        return 130
    except CLIError as exc:
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print(f"{PROG}: error: out of memory; use smaller sizes", file=sys.stderr)
        return 1
    return 0 if status is None else status


def _one_line(exc: Exception) -> str:
    """The message of ``exc`` on one line (a multi-line message's lines joined by "; ")."""
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
