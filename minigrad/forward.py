"""Forward mode: a tangent carried beside each value, pushed through each op as it runs.

Inside a forward pass (:class:`forward_pass`), a tensor may carry a *tangent*
``dx``: the derivative of its value along chosen input directions. Every op that runs
with a tangent on one of its inputs calls its jvp rule right after its forward,

    dy = J_f(x) dx = sum_k (df/dx_k) dx_k,

and attaches ``dy`` to its output. Nothing is recorded for this: the tangents live on
the tensors and die with them, so the memory of a forward-mode pass does not grow with
the length of the computation (a 1,000-step recurrence holds one step's tangents).

Tangents are *batched*: a tangent of a tensor of shape ``S`` has shape ``(B, *S)``,
one direction per row, so a whole Jacobian takes one pass (``B`` = the number of input
elements). Rules see the leading axis and must keep it: a reduction over axis ``k`` of
the value reduces axis ``k + 1`` of the tangent.

Each pass has its own id; a tangent is stored as ``(id, array)`` so a tangent left on
a tensor by an earlier pass is never mistaken for one of the current pass. Passes do
not nest (forward-over-forward is not supported); forward-over-reverse works, since
the reverse pass with ``create_graph`` is made of ops that carry tangents too.

This module sits below the tape: it knows nothing of tensors but their ``_tangent``
attribute, and nothing of ops but the jvp function they hand it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["JVPS", "forward_pass", "is_active", "push", "set_tangent", "tangent"]

# The id of the active pass (0: none). Read on every op, so kept a plain int.
_level = 0
_ids = itertools.count(1)

# Op name -> its jvp rule (None: the op has none); filled as the op definitions register.
JVPS: dict[str, Callable[..., Any] | None] = {}
# Set by minigrad.compile while a function is captured: a forward-mode pass inside the
# function runs it eagerly instead (see compile.guards).
capture_guard: Callable[[str], None] | None = None


def is_active() -> bool:
    """Whether a forward-mode pass is running."""
    return _level != 0


class forward_pass:
    """Context manager for one forward-mode pass; refuses to nest.

    >>> from minigrad import forward
    >>> with forward.forward_pass():
    ...     forward.is_active()
    True
    """

    __slots__ = ("level",)

    def __enter__(self) -> int:
        global _level
        if capture_guard is not None:
            capture_guard("forward mode (jvp, jacfwd, hvp)")
        if _level:
            raise RuntimeError(
                "forward mode does not nest: jvp, jacfwd, hessian or hvp was called inside "
                "another forward-mode transform; put the forward transform outermost "
                "(e.g. jacfwd(jacrev(f)))"
            )
        self.level = _level = next(_ids)
        return self.level

    def __exit__(self, *exc: object) -> None:
        global _level
        _level = 0


def tangent(x: Any) -> np.ndarray | None:
    """The tangent ``(B, *x.shape)`` of tensor (or node) ``x`` in the current pass."""
    t = getattr(x, "_tangent", None)
    if t is None or t[0] != _level or not _level:
        return None
    return t[1]


def set_tangent(x: Any, dx: np.ndarray | None) -> None:
    """Attach tangent ``dx`` (shape ``(B, *x.shape)``) to tensor ``x`` (and to the tape
    node that produced it) for the current pass."""
    if not _level:
        raise RuntimeError("set_tangent: no forward-mode pass is active")
    x._tangent = None if dx is None else (_level, dx)
    node = getattr(x, "_node", None)
    if node is not None:
        node._tangent = x._tangent


def push(op: str, inputs: Sequence[Any], out: Any, saved: tuple[Any, ...]) -> None:
    """Run ``op``'s jvp if an input carries a tangent, and attach the result to ``out``
    (and to its tape node, so a reverse pass over the tape can find it again).

    ``jvp(dxs, y, *saved)`` gets one tangent (or None) per input, the output value and
    the values the op saved for its vjp; it returns the output's tangent or None.
    """
    level = _level
    dxs = []
    found = False
    for t in inputs:
        tt = getattr(t, "_tangent", None)
        if tt is not None and tt[0] == level:
            dxs.append(tt[1])
            found = True
        else:
            dxs.append(None)
    if not found:
        return
    jvp = JVPS.get(op)
    if jvp is None:
        raise NotImplementedError(f"{op}: no forward-mode (jvp) rule is defined for this op")
    dy = jvp(tuple(dxs), out.data, *saved)
    if dy is None:
        return
    out._tangent = (level, dy)
    if out._node is not None:
        out._node._tangent = out._tangent
