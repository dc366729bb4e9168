"""What the explorer shows beyond the graph: values, the backward order, gradients.

Inside ``with minigrad.viz.trace():`` a tape observer (``minigrad.tape.observe``)
sees every op as it is recorded and every vjp as backward runs it. It keeps, per node,
in weak maps that die with the graph:

- value statistics of the output (min, mean, max and a small histogram), since the
  tape itself keeps no outputs;
- the position at which backward ran the node's vjp (so the explorer replays the order
  the engine really used), and the norm ``‖g‖`` of the gradient it was given;
- for a value made outside the time steps and read inside them (a shared weight, or its
  transpose), the gradient each step sent to it, so a weight drawn once lists the
  per-step terms whose sum is its gradient.

The engine knows nothing of this module: it only calls the observer it was handed.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..differentiable import Deferred
from ..gradients import Outer, Scatter
from ..modes import no_grad
from ..tape import Node, observe
from ..tensor import Tensor
from . import grads
from .walk import step_of

__all__ = ["Stats", "contributions", "stats_of", "trace", "trace_stats", "visit_of"]

BINS = 12


@dataclass(frozen=True)
class Stats:
    """Summary of an array: min, mean, max over its finite entries, a histogram of
    ``BINS`` equal bins from min to max, and how many entries are not finite."""

    min: float
    mean: float
    max: float
    hist: tuple[int, ...]
    nonfinite: int = 0
    dtype: str = ""

    @classmethod
    def of(cls, data: np.ndarray) -> Stats:
        """The statistics of ``data`` (any shape; an empty array gives NaNs)."""
        a = np.asarray(data)
        dtype = str(a.dtype)
        a = a.ravel()
        if a.dtype.kind not in "fiub":
            a = a.astype(np.float64)
        bad = 0
        if a.size and a.dtype.kind == "f" and not np.isfinite(a.min() + a.max()):
            finite = a[np.isfinite(a)]
            bad, a = int(a.size - finite.size), finite
        if a.size == 0:
            return cls(float("nan"), float("nan"), float("nan"), (0,) * BINS, bad, dtype)
        lo, hi = float(a.min()), float(a.max())
        # equal bins from lo to hi; the maximum falls in the last one (np.histogram's rule)
        scale = BINS / (hi - lo) if hi > lo else 0.0
        idx = ((a.astype(np.float64) - lo) * scale).astype(np.intp)
        np.minimum(idx, BINS - 1, out=idx)
        counts = np.bincount(idx, minlength=BINS)
        mean = float(a.mean(dtype=np.float64))
        return cls(lo, mean, hi, tuple(int(c) for c in counts), bad, dtype)


_stats: weakref.WeakKeyDictionary[Node, Stats] = weakref.WeakKeyDictionary()
_visits: weakref.WeakKeyDictionary[Node, int] = weakref.WeakKeyDictionary()
# id(parent) -> (weak reference to the parent, {step scope: gradient terms it sent}).
# Keyed by id: a leaf Tensor compares elementwise, so it cannot be a dictionary key.
_parts: dict[int, tuple[weakref.ref, dict[tuple[str, ...], list[Any]]]] = {}
_clock = itertools.count()


class _Tracer:
    """The tape observer behind :func:`trace`."""

    def recorded(self, node: Node, data: np.ndarray) -> None:
        _stats[node] = Stats.of(data)

    def ran(self, node: Node, grad: np.ndarray, input_grads: Sequence[Any]) -> None:
        _visits[node] = next(_clock)
        grads._norms[node] = _norm(grad)
        step = step_of(node.scope)
        if step is None:
            return
        for p, g in zip(node.parents, input_grads, strict=False):
            if g is None:
                continue
            if type(p) is Node and step_of(p.scope) is not None:
                continue
            if type(g) is Deferred:  # a create_graph walk's term: later ones join it
                with no_grad():
                    g = g.total().data
            _terms(p).setdefault(step, []).append(g)


def _terms(x: Node | Tensor) -> dict[tuple[str, ...], list[Any]]:
    key = id(x)
    entry = _parts.get(key)
    if entry is None or entry[0]() is not x:

        def forget(ref: weakref.ref, key: int = key) -> None:
            if key in _parts and _parts[key][0] is ref:
                del _parts[key]

        entry = _parts[key] = (weakref.ref(x, forget), {})
    return entry[1]


@contextmanager
def trace() -> Iterator[None]:
    """Record values, the backward order and gradients of what runs inside.

    Run the forward pass *and* ``backward()`` inside; then :func:`minigrad.viz.explore`
    (and ``draw(..., grads=True)``) can show them. Costs one summary per op (a pass
    over its output) and one norm per vjp.

    >>> import minigrad, minigrad.viz as viz
    >>> w = minigrad.ones(3, requires_grad=True)
    >>> with viz.trace():
    ...     y = (w * 2).sum()
    ...     y.backward()
    >>> viz.trace_stats(y).max
    6.0
    """
    with observe(_Tracer()):
        yield


def stats_of(x: Node | Tensor) -> Stats | None:
    """The value statistics of a node recorded under :func:`trace`, or of a leaf."""
    if type(x) is Node:
        return _stats.get(x)
    return Stats.of(x.data)


def trace_stats(t: Tensor) -> Stats | None:
    """The statistics of tensor ``t``'s value as recorded (its node's, or a leaf's)."""
    return stats_of(t._node if t._node is not None else t)


def visit_of(node: Node) -> int | None:
    """When backward ran ``node``'s vjp (a global counter; larger is later), or None."""
    return _visits.get(node)


def contributions(x: Node | Tensor) -> dict[tuple[str, ...], float]:
    """The norm of the gradient each time step sent to ``x`` (a value made outside the
    steps), in the order backward produced them; their sum is ``x``'s gradient."""
    out: dict[tuple[str, ...], float] = {}
    entry = _parts.get(id(x))
    found = entry[1] if entry is not None and entry[0]() is x else {}
    for step, terms in found.items():
        total = _dense(terms[0])
        for t in terms[1:]:
            total = total + _dense(t)
        out[step] = _norm(total)
    return out


def _dense(g: Any) -> np.ndarray:
    if type(g) is Outer:
        return g.a.T @ g.g
    if type(g) is Scatter:
        return g.dense()
    return np.asarray(g)


def _norm(g: Any) -> float:
    if type(g) is Scatter and g.unique:
        g = g.value
    return float(np.linalg.norm(np.asarray(_dense(g), dtype=np.float64).ravel()))
