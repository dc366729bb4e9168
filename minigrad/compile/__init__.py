"""``minigrad.compile``: capture a fixed-shape step once, replay it as planned NumPy.

``minigrad.compile(fn)`` (this module is callable) returns a :class:`Compiled`
function. How it works, in files: ``trace`` (capture through the ops' one recording
function), ``guards`` (what a trace cannot honour), ``key`` (when to capture again),
``plan`` and ``gradplan`` (where values and gradients live), ``memory`` (lifetimes
and buffer reuse), ``arena`` (one block for the buffers, allocated after planning),
``kernels`` (one replay rule per primitive), ``codegen`` (the straight-line program),
``roll`` (its time steps as one loop), ``program`` (running it) and ``aliases``
(outputs that are one tensor or share memory, as eagerly). See
docs/compile.md.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .api import Compiled, compile
from .errors import CaptureError
from .guards import static_value
from .kernels import KERNELS

__all__ = ["KERNELS", "CaptureError", "Compiled", "compile", "static_value"]


class _CallableModule(types.ModuleType):
    """Lets ``minigrad.compile(fn)`` call :func:`compile` while ``minigrad.compile``
    stays this module (``minigrad.compile.CaptureError`` and friends)."""

    def __call__(self, fn: Any = None, **options: Any) -> Any:
        return compile(fn, **options)


sys.modules[__name__].__class__ = _CallableModule
