"""What a capture says when it cannot go on: :class:`CaptureError` (a construct a trace
cannot honour, refused), :class:`Fallback` (run the function eagerly instead, with a
warning), and :func:`where`, the line of the user's code that each message names."""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["CaptureError", "Fallback", "where"]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class CaptureError(RuntimeError):
    """A construct inside a compiled function that a trace cannot honour."""


class Fallback(BaseException):
    """Raised inside a capture to run the function eagerly instead (with a warning).
    A BaseException, so that a user's ``except Exception`` does not swallow it."""


def where(depth: int = 2) -> str:
    """``file:line`` of the innermost caller outside minigrad; when that is not the
    compiled function's own code (a library on minigrad, such as rnn, or a helper it
    calls), also the line of the compiled function that led there:
    ``rnn/arguments.py:133, called from train.py:6``."""
    f = sys._getframe(depth)
    while f is not None and f.f_code.co_filename.startswith(_PACKAGE):
        f = f.f_back
    if f is None:
        return "<unknown>"
    here = _line(f)
    # The compiled function's frame: the outermost one outside minigrad below the
    # capture (a module's forward is called by Module.__call__, inside minigrad).
    outer, g = None, f.f_back
    while g is not None:
        code = g.f_code
        if code.co_name == "_capture" and code.co_filename == _API:
            return here if outer is None else f"{here}, called from {_line(outer)}"
        if not code.co_filename.startswith(_PACKAGE):
            outer = g
        g = g.f_back
    return here


def _line(f: Any) -> str:
    return f"{os.path.relpath(f.f_code.co_filename)}:{f.f_lineno}"


_API = os.path.join(os.path.dirname(os.path.abspath(__file__)), "api.py")
