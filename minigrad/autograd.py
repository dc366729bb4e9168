"""The tape and the backward engine.

Every op executed while grad mode is on and with at least one input that requires
grad records a :class:`Node`: the op's name, its parents, its vector-Jacobian product
(``vjp``) with the values it saved for backward, a creation sequence number and the
scope it ran in. ``backward`` walks the nodes reachable from the output
*iteratively* in reverse creation order, so each node's vjp runs exactly once, after
every consumer of its output has contributed to the output's gradient:

    dL/dx = sum over consumers c of vjp_c(dL/dc)

The engine knows no op: it only calls ``node.vjp(g, *node.saved)``, which returns one
gradient (or None) per parent.
"""

from __future__ import annotations

import contextvars
import functools
import gc
import itertools
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .gradients import Pending, accumulate

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "Node",
    "TapeObserver",
    "current_scope",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "observe",
    "scope",
]

_sequence = itertools.count()

# Grad mode and the in-place epoch are process-wide; scopes are context-local.
_grad_enabled = True
# Bumped by every in-place op; a node created at epoch e whose parent was modified
# later than e would read a stale saved value in backward.
_inplace_epoch = 0
_scope: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "minigrad_scope", default=()
)


class Node:
    """One recorded op: the tape entry behind a non-leaf tensor.

    ``parents`` holds, per input, the input's :class:`Node` if it was itself produced
    by a recorded op, else the input :class:`Tensor` (a leaf: a parameter, a data
    array, or a tensor created without history). Intermediate tensors are therefore
    not kept alive by the graph: only what a vjp saved is.
    """

    # The common attributes live in slots; hooks, retained tensors and in-place marks
    # are rare, so they default at class level and go to __dict__ only when set.
    __slots__ = (
        "__dict__",
        "__weakref__",
        "epoch",
        "op",
        "parents",
        "scope",
        "seq",
        "shape",
        "vjp",
    )

    hooks: list[Callable] | None = None
    retained: Tensor | None = None
    modified_at: int = -1

    def __init__(
        self,
        op: str,
        parents: tuple[Any, ...],
        vjp: Callable[..., Sequence[Any]],
        shape: tuple[int, ...],
        saved: tuple[Any, ...] = (),
    ) -> None:
        self.op = op
        self.parents = parents
        self.vjp = vjp
        self.saved = saved
        self.shape = shape
        self.seq = next(_sequence)
        self.scope = _scope.get()
        self.epoch = _inplace_epoch

    def __repr__(self) -> str:
        where = "/".join(self.scope)
        return f"<Node {self.op} {self.shape} #{self.seq}{' in ' + where if where else ''}>"


# --------------------------------------------------------------------------- observers


class TapeObserver(Protocol):
    """What a tool that watches the tape (a tracer, a profiler) implements.

    ``recorded(node, data)`` runs when an op records ``node`` with output ``data``;
    ``ran(node, grad, input_grads)`` runs after backward called the node's vjp with
    ``grad`` (after hooks) and got ``input_grads`` (one per parent: an ndarray, a lazy
    record of :mod:`minigrad.gradients`, or None). Neither may change what it is given.
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


# ----------------------------------------------------------------------------- modes


def is_grad_enabled() -> bool:
    """Whether ops currently record themselves on the tape."""
    return _grad_enabled


class _GradMode:
    """Context manager and decorator that sets grad mode and restores it on exit."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._saved: list[bool] = []

    def __enter__(self) -> None:
        global _grad_enabled
        self._saved.append(_grad_enabled)
        _grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        global _grad_enabled
        _grad_enabled = self._saved.pop()

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _GradMode(self.enabled):
                return fn(*args, **kwargs)

        return wrapper


def no_grad(fn: Callable | None = None) -> Any:
    """Disable recording, as a context manager or a decorator (nests); both
    ``@no_grad()`` and ``@no_grad`` decorate. Grad mode is process-wide (PyTorch's is
    per thread): a ``no_grad`` block in one thread pauses recording in all of them.

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


class scope:
    """Tag every node recorded inside with ``name`` (nested scopes stack up).

    Layers use it to tag each time step (``"t=3"``) under its layer and direction,
    so the graph renderer can draw one cluster per step. The state is context-local.
    """

    __slots__ = ("name", "token")

    def __init__(self, name: str) -> None:
        self.name = str(name)

    def __enter__(self) -> None:
        self.token = _scope.set((*_scope.get(), self.name))

    def __exit__(self, *exc: object) -> None:
        _scope.reset(self.token)


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


def current_scope() -> tuple[str, ...]:
    """The tuple of scope names active now, outermost first."""
    return _scope.get()


def bump_inplace_epoch() -> int:
    """Advance the in-place epoch (called by in-place ops); returns the new value."""
    global _inplace_epoch
    _inplace_epoch += 1
    return _inplace_epoch


# -------------------------------------------------------------------------- backward


_by_seq = operator.attrgetter("seq")


def _collect(roots: Sequence[Node]) -> list[Node]:
    """Every node reachable from ``roots``, latest first (iterative walk, no recursion)."""
    seen = set(roots)
    stack = list(roots)
    while stack:
        node = stack.pop()
        for p in node.parents:
            if type(p) is Node and p not in seen:
                seen.add(p)
                stack.append(p)
    return sorted(seen, key=_by_seq, reverse=True)


def _check_versions(node: Node) -> None:
    """Refuse to run a vjp whose saved values were modified in place after recording.

    Only values the vjp saved matter: an op that saved no array (add, sub, reshape...)
    is never refused. A leaf input counts when its very array was saved; the output of
    an earlier op (whose array the tape does not keep) counts whenever arrays were
    saved, which errs on the side of refusing.
    """
    arrays = [v for v in node.saved if type(v) is np.ndarray]
    if not arrays:
        return
    if node.modified_at > node.epoch:
        raise RuntimeError(
            f"{node.op}: its output, saved for backward, was modified in place after it "
            "was computed; compute with a copy instead of modifying it in place"
        )
    for p in node.parents:
        if type(p) is Node:
            modified, what = p.modified_at, p.op
        elif any(a is p.data for a in arrays):
            modified, what = p._modified_at, f"tensor of shape {p.shape}"
        else:
            continue
        if modified > node.epoch:
            raise RuntimeError(
                f"{node.op}: an input ({what}) saved for backward was modified in place "
                "after it was used; compute with a copy instead of modifying it in place"
            )


def run_hooks(
    hooks: list[Callable] | None, g: np.ndarray, shape: tuple[int, ...], dtype: Any = None
) -> np.ndarray:
    """Pass ``g`` through the hooks (each may return a replacement), then make sure the
    result still fits the tensor: the same shape (else an error) and, for a leaf, its
    dtype (cast), so ``.grad`` keeps its contract whatever a hook returns."""
    if hooks:
        for hook in list(hooks):
            out = hook(g)
            if out is not None:
                g = np.asarray(out)
        if g.shape != shape:
            raise RuntimeError(
                f"a gradient hook returned shape {g.shape} for a tensor of shape {shape}"
            )
    if dtype is not None and g.dtype != dtype:
        g = g.astype(dtype)
    return g


def run_backward(
    roots: Sequence[Node],
    root_grads: Sequence[np.ndarray],
    retain_graph: bool,
    capture: dict[int, Any] | None = None,
) -> dict[int, np.ndarray]:
    """Propagate ``root_grads`` from ``roots`` to every reachable leaf.

    Without ``capture``, leaves that require grad accumulate into ``.grad`` (after
    their hooks) and retained intermediates get ``.grad``. With ``capture`` (a map
    from ``id(leaf)`` or ``id(node)`` to the object), nothing is written to ``.grad``
    and the summed gradients of the captured objects are returned by id.
    """
    with gc_paused():
        return _propagate(roots, root_grads, retain_graph, capture)


def _propagate(
    roots: Sequence[Node],
    root_grads: Sequence[np.ndarray],
    retain_graph: bool,
    capture: dict[int, Any] | None,
) -> dict[int, np.ndarray]:
    nodes = _collect(roots)
    grads: dict[Any, Any] = {}
    owned: set = set()
    leaves: dict[int, Tensor] = {}
    for r, g in zip(roots, root_grads, strict=True):
        accumulate(grads, owned, r, g)
    epoch = _inplace_epoch
    check = any(n.epoch != epoch for n in nodes)
    captured: dict[int, np.ndarray] = {}
    pop = grads.pop
    plain = capture is None
    watchers = tuple(observers)
    for node in nodes:
        g = pop(node, None)
        if g is None:
            continue
        if type(g) is Pending:
            g = g.value()
        if node.hooks:
            g = run_hooks(node.hooks, g, node.shape)
        if not plain:
            if id(node) in capture:
                captured[id(node)] = g
        elif node.retained is not None:
            t = node.retained
            t.grad = g.copy() if t.grad is None else np.asarray(t.grad + g)
        vjp = node.vjp
        if vjp is None:
            raise RuntimeError(
                f"backward through {node.op} a second time: its saved values were freed "
                "by the first backward; pass retain_graph=True to the first backward "
                "to keep them"
            )
        if check:
            _check_versions(node)
        pgrads = vjp(g, *node.saved)
        if watchers:
            for o in watchers:
                o.ran(node, g, pgrads)
        if not retain_graph:
            node.vjp = node.saved = None
        i = 0
        for p in node.parents:
            pg = pgrads[i]
            i += 1
            if pg is None:
                continue
            if type(p) is Node:
                key = p
            elif p._requires_grad:
                key = id(p)
                leaves[key] = p
            else:
                continue
            # The common case inline: a first contribution that is a plain array.
            if type(pg) is np.ndarray and key not in grads:
                grads[key] = pg
            else:
                accumulate(grads, owned, key, pg)
    for key, leaf in leaves.items():
        g = grads[key]
        if type(g) is Pending:
            g = g.value()
            owned.add(key)
        g = run_hooks(leaf._hooks, g, leaf.data.shape, leaf.data.dtype)
        if capture is not None:
            if key in capture:
                captured[key] = g
        elif leaf.grad is None:
            leaf.grad = g.copy() if key not in owned else g
        else:
            leaf.grad += g
    return captured


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[np.ndarray | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned as arrays.

    Unlike :meth:`Tensor.backward`, nothing is accumulated into ``.grad``. With
    several outputs, ``grad_outputs`` gives one cotangent per output (None for a
    scalar output means 1). An input the outputs do not depend on raises unless
    ``allow_unused=True``, in which case its entry is None.
    """
    from .tensor import Tensor, _root_grad

    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, (Tensor, np.ndarray)):
        gouts = [grad_outputs] * len(outs) if len(outs) == 1 else None
        if gouts is None and grad_outputs is None:
            gouts = [None] * len(outs)
        elif gouts is None:
            raise ValueError("grad: give one grad_output per output")
    else:
        gouts = list(grad_outputs)
    if len(gouts) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(gouts)} grad_outputs")
    for k, t in enumerate(ins):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise ValueError(f"grad: input {k} does not require grad")
    roots, root_grads = [], []
    for o, go in zip(outs, gouts, strict=True):
        if o._node is None:
            raise RuntimeError("grad: an output does not require grad (it has no recorded history)")
        roots.append(o._node)
        root_grads.append(_root_grad(o, go, "grad"))
    keys = {id(t._node if t._node is not None else t): t for t in ins}
    captured = run_backward(roots, root_grads, retain_graph, capture=keys)
    result = []
    for k, t in enumerate(ins):
        g = captured.get(id(t._node if t._node is not None else t))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {k} (shape {t.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        if g is not None:
            # A fresh, writable array of the input's dtype: never a view into the
            # engine's buffers or one of the caller's grad_outputs.
            g = np.array(g, dtype=t.dtype)
        result.append(g)
    return tuple(result)
