"""The tape: what ops record, and where (scopes), with the clocks that order it.

Every op executed while grad mode is on (:mod:`minigrad.modes`), with at least one
input that requires grad, records a :class:`Node`: its name, its parents, its
vector-Jacobian product (``vjp``) with the values it saved for backward, a creation
sequence number and the scope it ran in, and the in-place epoch it was recorded at
(:mod:`minigrad.versions` checks it before backward runs the vjp). This module is the
bottom of the engine: it imports nothing from minigrad and knows tensors only through
the :class:`Leaf` protocol.
"""

from __future__ import annotations

import contextvars
import gc
import itertools
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

__all__ = [
    "Leaf",
    "Node",
    "TapeObserver",
    "bump_inplace_epoch",
    "child_scopes",
    "current_scope",
    "enter_scope",
    "gc_paused",
    "leave_scope",
    "observe",
    "scope",
    "scope_setter",
]

_sequence = itertools.count()


# Scopes are context-local too; the in-place epoch is process-wide (an in-place change
# is visible to every thread's graph). The epoch is bumped by every in-place op; a node
# created at epoch e whose parent was modified later than e would read a stale saved
# value in backward (:func:`minigrad.versions.check_versions` refuses it).
_inplace_epoch = 0
# Set by minigrad.compile while a function is captured: called by ``grad`` (a gradient
# taken inside the function), it runs the function eagerly instead (see compile.guards).
capture_guard: Any = None
_scope: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "minigrad_scope", default=()
)


class Leaf(Protocol):
    """What the engine needs of a tensor (``minigrad.Tensor`` provides it).

    - ``data``: the values, an ndarray (its ``shape`` and ``dtype`` fix the gradient's);
    - ``grad``: the accumulated gradient, an ndarray of ``data``'s shape and dtype, or None;
    - ``_requires_grad``: whether gradients flow to it;
    - ``_node``: the :class:`Node` that produced it, None for a leaf;
    - ``_hooks``: functions ``g -> g or None`` run on its gradient, or None;
    - ``_modified_at``: the in-place epoch of its last in-place change (-1: never).

    Inputs that are leaves stand in a node's ``parents`` as themselves; outputs of
    recorded ops stand there as their :class:`Node`.
    """

    data: np.ndarray
    grad: np.ndarray | None
    _requires_grad: bool
    _node: Node | None
    _hooks: list[Callable] | None
    _modified_at: int


class Node:
    """One recorded op: the tape entry behind a non-leaf tensor.

    ``parents`` holds, per input, the input's :class:`Node` if it was itself produced
    by a recorded op, else the input :class:`Leaf` (a parameter, a data array, or a
    tensor created without history). Intermediate tensors are therefore not kept
    alive by the graph: only what a vjp saved is. Built by :func:`new_node` only.
    """

    # The common attributes live in slots, hooks and the retained tensor too (the
    # backward walk reads both at every node: a slot is the cheapest read); in-place
    # marks and tangents are rare, so they default at class level and go to __dict__
    # only when set.
    __slots__ = (
        "__dict__",
        "__weakref__",
        "epoch",
        "hooks",
        "op",
        "parents",
        "retained",
        "saved",
        "scope",
        "seq",
        "shape",
        "vjp",
    )

    hooks: list[Callable] | None
    retained: Leaf | None
    modified_at: int = -1
    _tangent: tuple | None = None  # the output's tangent in a forward-mode pass

    def __repr__(self) -> str:
        where = "/".join(self.scope)
        return f"<Node {self.op} {self.shape} #{self.seq}{' in ' + where if where else ''}>"


# Nodes keep their output's shape; an unrolled graph repeats a handful of shapes tens
# of thousands of times. Sharing one tuple per shape leaves the garbage collector, which
# scans every live tuple once a forward pass ends, fewer objects to scan.
_shapes: dict[tuple[int, ...], tuple[int, ...]] = {}
_blank_node = Node.__new__


def new_node(
    op: str,
    parents: tuple[Any, ...],
    vjp: Callable[..., Sequence[Any]],
    shape: tuple[int, ...],
    saved: tuple[Any, ...],
) -> Node:
    """The one constructor of a :class:`Node` (``shape`` shared, see :func:`shared_shape`),
    used by every op's record and by compiled calls: a function that fills a blank node
    costs less per op than a class call with ``__init__``."""
    s = _shapes.get(shape)
    if s is None:
        s = shared_shape(shape)
    node = _blank_node(Node)
    node.op = op
    node.parents = parents
    node.vjp = vjp
    node.saved = saved
    node.shape = s
    node.seq = next(_sequence)
    node.scope = _scope.get()
    node.epoch = _inplace_epoch
    node.hooks = node.retained = None
    return node


def shared_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The one stored tuple equal to ``shape`` (the table is emptied past 4096 shapes)."""
    s = _shapes.get(shape)
    if s is None:
        if len(_shapes) >= 4096:
            _shapes.clear()
        s = _shapes[shape] = shape
    return s


# ---------------------------------------------------------------------------- scopes


class scope:
    """Tag every node recorded inside with ``name`` (nested scopes stack up).

    Layers use it to tag each time step (``"t=3"``) under its layer and direction,
    so the graph renderer can draw one cluster per step. The state is context-local.
    """

    __slots__ = ("name", "token")

    def __init__(self, name: str) -> None:
        self.name = str(name)

    def __enter__(self) -> None:
        self.token = _scope.set(_child_scope(_scope.get(), self.name))

    def __exit__(self, *exc: object) -> None:
        _scope.reset(self.token)


# One tuple per scope path: every node recorded in a scope keeps the path, and a layer
# enters the same paths ("layer=0", "t=3", "gate=r") at every call. Sharing them spares
# an allocation per scope entered and leaves the garbage collector, which scans every
# young tuple once a forward pass ends, thousands fewer objects per unrolled sequence.
_scope_paths: dict[tuple[tuple[str, ...], str], tuple[str, ...]] = {}


def _child_scope(path: tuple[str, ...], name: str) -> tuple[str, ...]:
    """The shared tuple ``(*path, name)`` (the table is emptied past 65536 paths)."""
    key = (path, name)
    child = _scope_paths.get(key)
    if child is None:
        if len(_scope_paths) >= 65536:
            _scope_paths.clear()
        child = _scope_paths[key] = (*path, name)
    return child


def child_scopes(
    names: Sequence[str], here: tuple[str, ...] | None = None
) -> list[tuple[str, ...]]:
    """The scope paths ``(*here, name)`` for each name (``here`` the current scope by
    default), to enter with :func:`enter_scope`: a loop that tags every time step enters
    them without building a path or a context manager per step."""
    base = _scope.get() if here is None else here
    return [_child_scope(base, str(n)) for n in names]


def enter_scope(path: tuple[str, ...]) -> contextvars.Token:
    """Make ``path`` (from :func:`child_scopes`) the current scope; returns the token
    that :func:`leave_scope` takes to restore the one it replaced."""
    return _scope.set(path)


def scope_setter() -> Callable[[tuple[str, ...]], contextvars.Token]:
    """:func:`enter_scope` without the Python call around it (the scope's own setter:
    same argument, same token), for a loop that enters a scope at every time step."""
    return _scope.set


def leave_scope(token: contextvars.Token) -> None:
    """Restore the scope that :func:`enter_scope` replaced."""
    _scope.reset(token)


def current_scope() -> tuple[str, ...]:
    """The tuple of scope names active now, outermost first."""
    return _scope.get()


class gc_paused:
    """Pause Python's cyclic garbage collector inside the block (restored on exit).

    Recording or walking a long unrolled graph allocates hundreds of thousands of
    objects that all stay alive, which makes the collector rescan a growing heap again
    and again (half the time of a 1000-step GRU step). The tape itself creates no
    reference cycles, so nothing is lost: collection resumes when the block ends.
    """

    __slots__ = ("was_enabled",)

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        if self.was_enabled:
            gc.enable()


# ---------------------------------------------------------------------------- clocks


def sequence_mark() -> int:
    """A sequence number no earlier node has: nodes recorded from now on get larger
    ones, so comparing ``node.seq`` with it tells which were recorded before."""
    return next(_sequence)


def bump_inplace_epoch() -> int:
    """Advance the in-place epoch (called by in-place ops); returns the new value."""
    global _inplace_epoch
    _inplace_epoch += 1
    return _inplace_epoch


def inplace_epoch() -> int:
    """The current in-place epoch (the backward walk compares nodes against it)."""
    return _inplace_epoch


# ------------------------------------------------------------------------- observers


class TapeObserver(Protocol):
    """What a tool that watches the tape (a tracer, a profiler) implements.

    ``recorded(node, data)`` runs when an op records ``node`` with output ``data``;
    ``ran(node, grad, input_grads)`` runs after backward called the node's vjp with
    ``grad`` (after hooks) and got ``input_grads`` (one per parent: an ndarray, a NumPy
    scalar where the op's values are 0-d, a lazy record of :mod:`minigrad.gradients`,
    or None). Under ``create_graph=True`` it runs for the tensor walk too, with the
    arrays of its tensors, and a lazy term there is a :class:`~minigrad.differentiable.
    Deferred`, which later terms join: read it during the call. Neither may change
    what it is given.
    """

    def recorded(self, node: Node, data: np.ndarray) -> None: ...

    def ran(self, node: Node, grad: np.ndarray, input_grads: Sequence[Any]) -> None: ...


# The engine knows nothing of its observers; with none registered the cost is one
# truth test per recorded op and one per backward.
observers: list[TapeObserver] = []


class observe:
    """Context manager: ``observer`` sees every op recorded and every vjp run inside."""

    __slots__ = ("observer",)

    def __init__(self, observer: TapeObserver) -> None:
        self.observer = observer

    def __enter__(self) -> TapeObserver:
        observers.append(self.observer)
        return self.observer

    def __exit__(self, *exc: object) -> None:
        observers.remove(self.observer)


def tell_recorded(node: Node, data: np.ndarray) -> None:
    """Pass a freshly recorded node to the observers (called by ``ops.core.record``)."""
    for o in observers:
        o.recorded(node, data)
