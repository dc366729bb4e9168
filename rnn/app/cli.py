"""The command line: ``python -m rnn <command> ...`` (also installed as ``rnn``).

Each subcommand lives in its own module under :mod:`rnn.app.commands` (its arguments
and its runner, registered with :func:`rnn.app.command.command`); this module builds
the parser from the registered commands and runs one.

Bad arguments are reported by argparse (the usage, then one error line; exit status 2).
A command signals an expected failure by raising :class:`CLIError`, which is printed as
``rnn: error: <message>`` with exit status 1 and no traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO

import minigrad

from .command import (
    COMMANDS,
    CLIError,
    Interrupted,
    UsageError,
    command,
    created_folders,
    remove_created_folders,
)
from .commands import check, demo, dynamics, gradflow, graph, sample, task, train  # noqa: F401

__all__ = ["CLIError", "UsageError", "build_parser", "command", "main"]

PROG = "rnn"


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subparser per registered subcommand (each kept in
    the top-level parser's ``subcommand_parsers``, by name)."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Recurrent networks on the minigrad autodiff engine.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="<command>", required=True)
    parser.subcommand_parsers = {}  # type: ignore[attr-defined]
    for cmd in COMMANDS.values():
        sub = subparsers.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        if cmd.arguments is not None:
            cmd.arguments(sub)
        sub.set_defaults(_run=cmd.run)
        parser.subcommand_parsers[cmd.name] = sub  # type: ignore[attr-defined]
    return parser


# A negative number as an option's value: argparse takes "-1e-3" or "-inf" for an option
# (only "-1" and "-.5" pass as numbers), so `--scale -1e-3` failed with "expected one
# argument" instead of the option's own check.
_NEGATIVE = re.compile(r"-(\d+\.?\d*|\.\d+)(e[-+]?\d+)?|-inf(inity)?|-nan", re.IGNORECASE)


def _joined_negative_values(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``argv`` with ``--option -1e-3`` written ``--option=-1e-3`` wherever the option
    of the subcommand takes one value and the next word is a negative number."""
    subs = parser.subcommand_parsers  # type: ignore[attr-defined]
    command = next((a for a in argv if a in subs), None)
    if command is None:
        return argv
    actions = subs[command]._option_string_actions
    out: list[str] = []
    words = iter(argv)
    for word in words:
        action = actions.get(word)
        if action is not None and action.nargs is None and action.option_strings:
            value = next(words, None)
            if value is not None and _NEGATIVE.fullmatch(value):
                out.append(f"{word}={value}")
                continue
            out.append(word)
            if value is not None:
                out.append(value)
            continue
        out.append(word)
    return out


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """``parser.parse_args(argv)``, except that an option the subcommand does not know
    is reported with the subcommand's usage (``rnn train --bogus`` shows train's usage,
    not the top level's). Exits with status 2 on bad arguments, as argparse does."""
    argv = _joined_negative_values(parser, argv)
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        before = argv[: argv.index(args.command)]  # options given before the subcommand
        owner = parser if any(u in before for u in unknown) else None
        owner = owner or parser.subcommand_parsers[args.command]  # type: ignore[attr-defined]
        owner.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the subcommand, return its status.

    BLAS runs on one thread (the models multiply small matrices; see
    :mod:`minigrad.threads`) unless the environment chooses otherwise. Output piped into
    a reader that stops early (``rnn sample ... | head``) ends the run quietly with
    status 1; output that cannot be written (a full disk, an I/O error) ends it with
    one line on stderr saying so, and status 1.
    """
    stdout, stderr = sys.stdout, sys.stderr
    # None when started with stdout closed (`rnn ... >&-`): the output is dropped; so is
    # what goes to a closed stderr (`2>&-`).
    sys.stdout = _Stdout(stdout) if stdout is not None else _Closed()
    if stderr is None:
        sys.stderr = _Closed()
    try:
        try:
            status = _run(argv)
        except SystemExit:
            _flush_stdout()  # argparse's help or usage, so that a closed pipe shows here
            raise
        _flush_stdout()
    except BrokenPipeError:
        _discard_stdout()
        return 1
    except StdoutError as exc:
        _discard_stdout()
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    finally:
        sys.stdout, sys.stderr = stdout, stderr
    return status


def _not_matplotlib_cache_folder(record: logging.LogRecord) -> bool:
    """A filter of the ``matplotlib`` logger: drops the two warnings Matplotlib logs on
    import when it cannot make its config and cache folder (HOME unset on a machine whose
    passwd entry has no home, a HOME that cannot be written: "mkdir -p failed for path
    ...", "Matplotlib created a temporary cache directory ..."). It then uses a temporary
    folder, removed at exit, which is all a plot of this command line needs; the warnings
    made a failure of ``-o`` three lines on stderr, and a success two lines of noise."""
    return record.funcName != "_get_config_or_cache_dir"


def _run(argv: Sequence[str] | None) -> int:
    """:func:`main` but for a closed stdout: parse, run, report a failure in one line."""
    logging.getLogger("matplotlib").addFilter(_not_matplotlib_cache_folder)
    if not minigrad.threads.threads_chosen_by_user():
        minigrad.set_num_threads(1)
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:  # `rnn` alone: what it can do, not an error
        parser.print_help()
        return 0
    args = parse(parser, argv)
    args._argv = argv  # the command line as given, for records of a run
    created_folders.clear()
    status = _command(args)
    if status != 0:
        remove_created_folders()  # a failed run leaves no empty output folder behind
    return status


def _command(args: argparse.Namespace) -> int:
    """Run the command chosen; a failure is one line on stderr and its status."""
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


class _Closed:
    """Stdout for a process started without one (``>&-``): what is written is dropped, as
    ``print`` drops it, so that a command's own writes and flushes do too."""

    def write(self, text: str) -> int:
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        pass

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class StdoutError(Exception):
    """Writing to stdout failed (other than a closed pipe): not an :class:`OSError`, so
    that a command's handler of its own files' errors does not take it for one of them
    (``rnn train > /dev/full`` is not a checkpoint that cannot be written)."""


class _Stdout:
    """``sys.stdout`` while a command runs: the same stream, except that a failed write
    or flush raises :class:`StdoutError` naming stdout and the reason. A closed pipe
    stays a :class:`BrokenPipeError`, which ends the run quietly. Characters the
    stream's encoding cannot represent (a file name or a sample on an ASCII stdout) are
    written as backslash escapes, as Python writes them to stderr."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        with _naming_stdout():
            try:
                return self._stream.write(text)
            except UnicodeEncodeError as e:  # raised before anything of it is written
                self._stream.write(text.encode(e.encoding, "backslashreplace").decode(e.encoding))
                return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        with _naming_stdout():
            self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _naming_stdout() -> Iterator[None]:
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as e:
        raise StdoutError(f"cannot write to stdout: {e.strerror or e}") from e


def _flush_stdout() -> None:
    if sys.stdout is not None:  # None when started with stdout closed (`rnn ... >&-`)
        sys.stdout.flush()


def _discard_stdout() -> None:
    """Point the stdout file descriptor at /dev/null: the reader of the pipe is gone,
    and the interpreter's last flush of what is still buffered would fail again (the
    recipe in the documentation of Python's ``signal`` module)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (a test's capture)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _one_line(exc: Exception) -> str:
    """The message of ``exc`` on one line (a multi-line message's lines joined by "; ")."""
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
