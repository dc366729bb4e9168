"""Grad modes: whether ops record themselves on the tape, per thread.

``no_grad`` and ``enable_grad`` switch recording off and on, as context managers or
decorators, and nest; :func:`grad_enabled` is the read every op makes before it records
(:func:`minigrad.ops.core.record`). Like the tape (:mod:`minigrad.tape`), this module is
at the bottom of the engine: it imports nothing from minigrad.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["enable_grad", "is_grad_enabled", "no_grad"]

# Grad mode is per thread, as PyTorch's: a context variable, so a new thread starts
# with recording on and an asyncio task keeps its own. ``grad_enabled()`` is the read
# every op makes (a bound method: no attribute lookup). ``_mode_tokens`` holds, per
# context, the tokens that restore the modes enclosing blocks replaced.
_grad_mode: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "minigrad_grad_enabled", default=True
)
grad_enabled = _grad_mode.get
_mode_tokens: contextvars.ContextVar[tuple] = contextvars.ContextVar(
    "minigrad_grad_mode_tokens", default=()
)


def is_grad_enabled() -> bool:
    """Whether ops currently record themselves on the tape (in this thread)."""
    return _grad_mode.get()


class _GradMode:
    """Context manager and decorator that sets grad mode and restores it on exit.

    The mode it replaces is kept per thread (per context), so one instance may be
    entered by several threads at once.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> None:
        token = _grad_mode.set(self.enabled)
        _mode_tokens.set((*_mode_tokens.get(), token))

    def __exit__(self, *exc: object) -> None:
        tokens = _mode_tokens.get()
        _mode_tokens.set(tokens[:-1])
        _grad_mode.reset(tokens[-1])

    def __call__(self, fn: Callable) -> Callable:
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _GradMode(self.enabled):
                return fn(*args, **kwargs)

        return wrapper

    def _wrap_generator(self, fn: Callable) -> Callable:
        """A generator function's body runs in the mode at every resumption, as
        PyTorch's; the caller's own mode is back in force between two yields."""

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _GradMode(self.enabled):
                gen = fn(*args, **kwargs)
            step: Callable[[], Any] = functools.partial(next, gen)
            while True:
                try:
                    with _GradMode(self.enabled):
                        item = step()
                except StopIteration as stop:
                    return stop.value
                try:
                    sent = yield item
                except GeneratorExit:
                    with _GradMode(self.enabled):
                        gen.close()
                    raise
                except BaseException as exc:
                    step = functools.partial(gen.throw, exc)
                else:
                    step = functools.partial(gen.send, sent)

        return wrapper


def no_grad(fn: Callable | None = None) -> Any:
    """Disable recording, as a context manager or a decorator (nests); both
    ``@no_grad()`` and ``@no_grad`` decorate (a generator function's body runs without
    recording at every resumption, as PyTorch's). Grad mode is per thread, as PyTorch's:
    a ``no_grad`` block in one thread leaves recording in other threads as it was.

    >>> import minigrad
    >>> w = minigrad.ones(2, requires_grad=True)
    >>> with minigrad.no_grad():
    ...     y = w * 2
    >>> y.requires_grad
    False
    """
    mode = _GradMode(False)
    return mode if fn is None else mode(fn)


def enable_grad(fn: Callable | None = None) -> Any:
    """Re-enable recording inside a ``no_grad`` region (context manager or decorator)."""
    mode = _GradMode(True)
    return mode if fn is None else mode(fn)
