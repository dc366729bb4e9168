"""Starting the command line (``rnn`` and ``python -m rnn``).

Importing the command line imports NumPy, the engine and every subcommand, which takes
a moment (seconds on a busy machine). A Ctrl-C in that moment is an interrupt like any
other: one line, ``rnn: interrupted``, and exit status 130, never a traceback. So the
entry point imports nothing heavy at module level (nor does ``rnn/__init__.py``), and
:func:`main` imports :mod:`rnn.app.cli` inside its guard.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Import the command line and run :func:`rnn.app.cli.main` on ``argv``; a Ctrl-C
    during the imports exits with status 130 and one line on stderr."""
    try:
        from .cli import main as run
    except KeyboardInterrupt:
        print("rnn: interrupted", file=sys.stderr)
        return 130
    return run(argv)
