"""The parts every subcommand of the command line shares: how one registers, how it
reports a failure, and the argument types.

Each subcommand is two small functions: one adds its arguments to an
:class:`argparse.ArgumentParser`, the other runs it with the parsed namespace. The
runner is registered with :func:`command`::

    def _train_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--epochs", type=int, default=10, help="passes over the data")

    @command("train", help="train a model", arguments=_train_arguments)
    def train(args: argparse.Namespace) -> None:
        ...

A command signals an expected failure by raising :class:`CLIError`, printed as
``rnn: error: <message>`` with exit status 1 and no traceback (:class:`UsageError`:
status 2, as argparse). Nothing here imports NumPy, so the command line can choose
NumPy's threading first.
"""

from __future__ import annotations

import argparse
import contextlib
import decimal
import errno
import json
import math
import os
import secrets
import shlex
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CLIError",
    "Command",
    "Interrupted",
    "UsageError",
    "add_history",
    "add_quiet",
    "add_seed",
    "check_folder",
    "check_history",
    "check_writable",
    "command",
    "format_seconds",
    "natural",
    "nonempty_path",
    "nonnegative_float",
    "positive_float",
    "positive_int",
    "recorded_command",
    "refuse_same_file",
    "show_progress",
    "write_atomically",
]


class CLIError(Exception):
    """An expected failure inside a command: reported in one line, exit status 1."""


class UsageError(CLIError):
    """Options that do not fit together: reported in one line, exit status 2 (as argparse)."""


class Interrupted(CLIError):
    """Ctrl-C during a command, with what the user needs to know to go on (status 130)."""


Runner = Callable[[argparse.Namespace], int | None]
Arguments = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    """A registered subcommand: its name, one-line help, runner and argument adder."""

    name: str
    help: str
    run: Runner
    arguments: Arguments | None


COMMANDS: dict[str, Command] = {}


def command(
    name: str, *, help: str, arguments: Arguments | None = None
) -> Callable[[Runner], Runner]:
    """Register the decorated function as the subcommand ``name``.

    ``help`` is the one-line summary shown by ``rnn --help``; ``arguments`` adds the
    subcommand's own options. The runner returns an exit status or None (meaning 0).
    """

    def register(run: Runner) -> Runner:
        if name in COMMANDS:
            raise ValueError(f"subcommand {name!r} is registered twice")
        COMMANDS[name] = Command(name, help, run, arguments)
        return run

    return register


def _written_nonzero(text: str) -> bool:
    """Whether ``text`` writes a number other than 0 (``1e-400`` does, ``0e5`` not)."""
    try:
        return decimal.Decimal(text.strip().replace("_", "")) != 0
    except decimal.InvalidOperation:
        return False


def _number(kind: type, low: float, inclusive: bool) -> Callable[[str], int | float]:
    """An argparse type: a finite ``kind`` that is > low (>= low when ``inclusive``)."""
    bound = f"{'>=' if inclusive else '>'} {low:g}"

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {kind.__name__}, got {text!r}") from None
        if isinstance(value, float) and not math.isfinite(value):  # an int may be any size
            raise argparse.ArgumentTypeError(f"must be a finite number {bound}, got {text}")
        if value == 0 and isinstance(value, float) and _written_nonzero(text):
            # a nonzero number written, read as 0: its exponent is past the range of floats
            raise argparse.ArgumentTypeError(
                f"{text} is too small for a float (the smallest is 5e-324): it reads as 0"
            )
        if not (value >= low if inclusive else value > low):
            raise argparse.ArgumentTypeError(f"must be {bound}, got {text}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


positive_int = _number(int, 0, inclusive=False)
natural = _number(int, 0, inclusive=True)
positive_float = _number(float, 0, inclusive=False)
nonnegative_float = _number(float, 0, inclusive=True)


def nonempty_path(text: str) -> str:
    """An argparse type: a file or folder name, not empty. An empty string (``--save ""``,
    a shell variable left unset) would otherwise read as the option not given, or as the
    current folder: the run went on and its model went unsaved, or into ``.``."""
    if not text:
        raise argparse.ArgumentTypeError("expected a path, got an empty string")
    return text


def show_progress(args: argparse.Namespace) -> bool:
    """Progress bars go to stderr, only when it is a terminal and --quiet is not given."""
    return not args.quiet and sys.stderr.isatty()


def format_seconds(seconds: float) -> str:
    """A duration for a report: ``"12 s"``, ``"3.4 s"``, ``"0.4 s"``, ``"0.03 s"``:
    whole seconds from 10 s on, one decimal from 0.1 s, two below."""
    if seconds >= 9.95:
        return f"{seconds:.0f} s"
    if seconds >= 0.095:
        return f"{seconds:.1f} s"
    return f"{seconds:.2f} s"


def add_eager(parser: argparse.ArgumentParser) -> None:
    """The ``--eager`` flag of the commands that train (the step is compiled otherwise)."""
    parser.add_argument(
        "--eager",
        action="store_true",
        help="run each training step op by op instead of through minigrad.compile",
    )


def add_seed(parser: argparse.ArgumentParser) -> None:
    """The ``--seed`` option (a non-negative integer, default 0) of the commands that
    draw random numbers."""
    parser.add_argument(
        "--seed", type=natural, default=0, help="random seed (default: %(default)s)"
    )


def add_quiet(parser: argparse.ArgumentParser) -> None:
    """The ``--quiet``/``-q`` flag of the commands that show progress."""
    parser.add_argument(
        "--quiet", "-q", action="store_true", help="no progress bar or progress lines"
    )


def add_history(parser: argparse.ArgumentParser) -> None:
    """The ``--history PATH`` option of the commands that write a JSON record of a run."""
    parser.add_argument(
        "--history",
        metavar="PATH",
        type=nonempty_path,
        help="write a JSON record of the run (command, learning curve, figures, wall and "
        "CPU time) to PATH, rewritten as the run goes",
    )


def recorded_command(argv: list[str]) -> str:
    """``python -m rnn`` and ``argv`` without the options that do not change a run
    (``--history PATH``, ``--quiet``/``-q``): the command a record names."""
    out, skip = [], False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg == "--history":
            skip = i + 1 < len(argv)
        elif not (arg.startswith("--history=") or arg in ("--quiet", "-q")):
            out.append(arg)
    return "python -m rnn " + shlex.join(out)


def check_writable(path: str | os.PathLike[str], option: str) -> Path:
    """Make sure a file can be written at ``path`` before the work that produces it
    starts: its folder is created if needed and a probe file written and removed there.
    Raises :class:`CLIError` naming ``option`` when that fails; returns the path."""
    path = Path(path)
    if path.is_dir():
        raise CLIError(f"{option} {path}: is a directory, expected a file name")
    _probe_folder(path.parent, option, path)
    return path


def check_history(
    path: str | os.PathLike[str], others: list[tuple[str, str | os.PathLike[str] | None]]
) -> Path:
    """``--history PATH``, checked before the run: writable (:func:`check_writable`), not
    one of the command's other files (``others``: (what it is, path) pairs, such as
    ("the --data file", "a.txt") or ("the checkpoint", ...); the record, rewritten as
    the run goes, would replace it: a :class:`UsageError`), and not an existing file other
    than a record that ``--history`` wrote (a text, a model; an empty file, as ``mktemp``
    makes, is replaced). Raises :class:`CLIError` naming the option; returns the path."""
    checked = check_writable(path, "--history")
    refuse_same_file("--history", path, others, "the record would replace it")
    if os.path.isfile(checked) and os.path.getsize(checked) and not _is_record(checked):
        raise CLIError(
            f"--history {path}: the file exists and is not a record written by --history; "
            "remove it or choose another path"
        )
    return checked


def refuse_same_file(
    option: str,
    path: str | os.PathLike[str],
    others: list[tuple[str, str | os.PathLike[str] | None]],
    effect: str,
) -> None:
    """Refuse ``path``, the file ``option`` writes, when it is one of the command's other
    files (``others``: (what it is, path) pairs): by its real path (``./a.txt``, another
    folder's ``../here/a.txt``, a symbolic link) or as the same file under another name (a
    hard link). Raises :class:`UsageError` (two options naming one file do not fit
    together) naming both and ``effect`` (what writing would do)."""
    real = os.path.realpath(path)
    for what, other in others:
        if other is None:
            continue
        same = os.path.realpath(other) == real
        with contextlib.suppress(OSError):  # either may not exist yet
            same = same or os.path.samefile(path, other)
        if same:
            raise UsageError(
                f"{option} {path} is also {what} ({other}): {effect}; choose another path"
            )


def _is_record(path: Path) -> bool:
    """Whether ``path`` holds a run's JSON record (an object naming its command)."""
    try:
        with open(path, encoding="utf-8") as f:
            record = json.load(f)
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and isinstance(record.get("command"), str)


def check_folder(path: str | os.PathLike[str], option: str) -> Path:
    """Make sure files can be written into the folder ``path`` before the work that
    produces them starts: it is created if needed and a probe file written and removed
    there. Raises :class:`CLIError` naming ``option`` when that fails (a file in its
    place, a file among its parents, no permission); returns the path."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise CLIError(f"{option} {path}: is a file, not a folder")
    _probe_folder(path, option, path)
    return path


#: The folders the checks above created in this run, outermost first: a run that fails
#: removes those still empty (:func:`remove_created_folders`).
created_folders: list[Path] = []


def remove_created_folders() -> None:
    """Remove the folders the checks created that are still empty, innermost first."""
    for folder in reversed(created_folders):
        with contextlib.suppress(OSError):  # something was written there, or it is gone
            folder.rmdir()
    created_folders.clear()


def _probe_folder(folder: Path, option: str, path: Path) -> None:
    """Create ``folder`` if needed and write and remove a probe file there; a failure is
    a :class:`CLIError` naming ``option`` and ``path`` (what the user gave)."""
    chain = [folder.absolute(), *folder.absolute().parents]
    existing = next(p for p in chain if p.exists())
    if not existing.is_dir():
        raise CLIError(f"{option} {path}: cannot write there ({existing} is a file, not a folder)")
    created_folders.extend(reversed(chain[: chain.index(existing)]))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".rnn-probe-"):
            pass
    except OSError as e:
        raise CLIError(f"{option} {path}: cannot write there ({e.strerror})") from None


def write_atomically(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path`` (same suffix), then move
    it onto ``path``. If anything fails (a full disk, an interrupt) the temporary file
    is removed and ``path`` is left as it was; the exception propagates.

    The file gets the mode ``open(path, "w")`` would give it: an existing file's mode
    is kept, a new file gets ``0o666`` less the umask (and the folder's default ACL). A
    symbolic link's target is replaced and the link kept; a device or pipe
    (``/dev/null``) is written into as it is (:func:`minigrad.io.atomic.replaced_path`).
    """
    from minigrad.io.atomic import replaced_path

    given = Path(path)  # its suffix names the format, whatever a link points at
    path, atomic = replaced_path(given)
    if not atomic:  # written to a file of its own first, then copied in
        with tempfile.TemporaryDirectory() as folder:
            spool = Path(folder) / f"out{given.suffix}"
            write(spool)
            with open(spool, "rb") as src, open(path, "wb") as out:
                shutil.copyfileobj(src, out)
        return given
    tmp = _new_file_beside(path, given.suffix)
    try:
        write(tmp)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return given


def _new_file_beside(path: Path, suffix: str) -> Path:
    """Create an empty file ``.<stem>.<random><suffix>`` in ``path``'s folder.

    It is created as ``open`` creates one, with mode ``0o666`` for the kernel to reduce
    by the umask: ``tempfile.mkstemp`` would make it ``0o600``, and reading the umask
    means setting it, which is not safe while other threads create files."""
    for _ in range(100):
        name = path.with_name(f".{path.stem}.{secrets.token_hex(4)}{suffix}")
        try:
            os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return name
    raise FileExistsError(errno.EEXIST, f"no free temporary name beside {path}")
