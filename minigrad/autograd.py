"""The tape and the backward engine.

Ops record :class:`Node` entries on the tape (:mod:`minigrad.tape`: nodes, grad
modes, scopes); ``backward`` walks the nodes reachable from the output
*iteratively* in reverse creation order, so each node's vjp runs exactly once, after
every consumer of its output has contributed to the output's gradient:

    dL/dx = sum over consumers c of vjp_c(dL/dc)

The engine knows no op: it only calls ``node.vjp(g, *node.saved)``, which returns one
gradient (or None) per parent. It knows tensors only through :class:`~minigrad.tape.Leaf`,
so it imports nothing above it. :func:`backward` (what ``Tensor.backward`` runs) and
:func:`grad` stand side by side at the end.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np

from . import differentiable, forward, tape
from .gradients import Outer, Pending, Pieces, Scatter, accumulate, part_vjp, settle
from .tape import (
    Leaf,
    Node,
    bump_inplace_epoch,  # noqa: F401  (re-exported for the optimizers)
    check_versions,
    current_scope,
    enable_grad,
    gc_paused,
    is_grad_enabled,
    no_grad,
    scope,
)

__all__ = [
    "Leaf",
    "Node",
    "backward",
    "current_scope",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "scope",
]

_by_seq = operator.attrgetter("seq")


def _collect(roots: Sequence[Node], parts: bool) -> list[Node]:
    """Every node reachable from ``roots``, latest first (iterative walk, no recursion).

    With ``parts``, the node of a piece of ``split``/``chunk``/``unbind``
    (:func:`~minigrad.gradients.part_vjp`) is passed over for the tensor it was cut from:
    backward hands a piece's gradient straight to that tensor (unless the piece is a root).
    """
    seen = set(roots)
    stack = list(roots)
    order = list(seen)
    add, push, pop, keep = seen.add, stack.append, stack.pop, order.append
    while stack:
        for p in pop().parents:
            if type(p) is Node and p not in seen:
                if parts and p.vjp is part_vjp:
                    p = p.parents[0]  # always a node (see ops.pieces.slices)
                    if p in seen:
                        continue
                add(p)
                push(p)
                keep(p)
    # In the order found, a graph is mostly runs of falling creation order, which the
    # sort merges in about linear time (a set's order would need the full n log n).
    order.sort(key=_by_seq, reverse=True)
    return order


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
    roots: Sequence[Node | Leaf],
    root_grads: Sequence[np.ndarray],
    retain_graph: bool,
    capture: dict[int, Any] | None = None,
) -> dict[int, np.ndarray]:
    """Propagate ``root_grads`` from ``roots`` to every reachable leaf.

    A root is a recorded op's :class:`Node` or a leaf itself (``grad(x, [x])``: its
    gradient is its root gradient, plus whatever flows to it from the other roots).
    Without ``capture``, leaves that require grad accumulate into ``.grad`` (after
    their hooks) and retained intermediates get ``.grad``. With ``capture`` (a map
    from ``id(leaf)`` or ``id(node)`` to the object), nothing is written to ``.grad``
    and the summed gradients of the captured objects are returned by id.
    """
    with gc_paused():
        grads: dict[Any, Any] = {}
        owned: set = set()
        leaves: dict[int, Leaf] = {}
        nodes = []
        for r, g in zip(roots, root_grads, strict=True):
            if type(r) is Node:
                nodes.append(r)
                accumulate(grads, owned, r, g)
            else:
                leaves[id(r)] = r
                accumulate(grads, owned, id(r), g)
        captured: dict[int, np.ndarray] = {}
        _propagate(nodes, grads, owned, leaves, retain_graph, capture, captured)
        _finish_leaves(leaves, grads, owned, capture, captured)
        return captured


def _propagate(
    roots: list[Node],
    grads: dict[Any, Any],
    owned: set,
    leaves: dict[int, Leaf],
    retain_graph: bool,
    capture: dict[int, Any] | None,
    captured: dict[int, np.ndarray],
) -> None:
    """Run the vjp of every node that receives a gradient once, latest first, summing
    what it sends to its parents into ``grads`` (keyed by parent node, or by ``id`` of
    a leaf); the leaves that receive a gradient are added to ``leaves``, by id.

    Creation order is a topological order: every consumer of a node was recorded after
    it. So the nodes reachable from the roots are listed once, latest first (a walk of
    the parents and one sort, cheaper than keeping a heap), and a node's turn comes
    only after every node that could add to its gradient has run: its gradient is
    complete. A node that received no gradient is skipped.

    The loop body is the engine's cost per node, so the common cases are spelled out
    here (one dict read per edge): a first contribution is stored as it is, a second
    plain array is summed into a buffer the engine owns, a slice's gradient
    (:class:`Scatter`) is added in place into its parent's own buffer or kept with the
    other slices (:class:`Pieces`), and a weight's product (:class:`Outer`) waits with
    the others. Everything else goes through :func:`accumulate`.
    """
    epoch = tape.inplace_epoch()
    get, pop = grads.get, grads.pop
    watchers = tuple(tape.observers)
    ndarray, add = np.ndarray, np.add
    rare = capture is not None
    # Pieces of a split hand their gradients straight to the split tensor, unless
    # grad() captures by node or an observer follows every vjp.
    parts = not rare and not watchers
    for node in _collect(roots, parts):
        g = pop(node, None)
        if g is None:
            continue
        if type(g) is not ndarray:
            g = settle(g)
        if rare or node.hooks or node.retained is not None:
            g = _visit(node, g, capture, captured)
        vjp = node.vjp
        if vjp is None:
            _freed(node)
        if node.epoch != epoch:
            check_versions(node)
        pgrads = vjp(g, *node.saved)
        if watchers:
            for o in watchers:
                o.ran(node, g, pgrads)
        if not retain_graph:
            node.vjp = node.saved = None
        parents = node.parents
        if len(pgrads) != len(parents):
            _miscounted(node, pgrads)
        # Lengths checked above: a keyword argument to zip costs its parsing per node.
        for p, pg in zip(parents, pgrads):  # noqa: B905
            if pg is None:
                continue
            if type(p) is Node:
                if parts and p.vjp is part_vjp:
                    # A piece of a split: its slice of the split tensor's gradient (a
                    # lazy one, from a slice of the piece or a product, made an array).
                    if type(pg) is not ndarray:
                        pg = settle(pg)
                    index, shape, dtype, unique = p.saved
                    pg = Scatter(index, pg, shape, dtype, unique)
                    key = p.parents[0]  # always a node (see ops.pieces.slices)
                else:
                    key = p
            elif p._requires_grad:
                key = id(p)
                leaves[key] = p
            else:
                continue
            old = get(key)
            if old is None:
                if type(pg) is ndarray or type(pg) is Scatter:
                    grads[key] = pg
                    continue
            elif type(old) is ndarray:
                kind = type(pg)
                if kind is ndarray:
                    if key in owned:
                        old += pg
                    else:
                        s = old + pg
                        grads[key] = s if type(s) is ndarray else np.asarray(s)
                        owned.add(key)
                    continue
                if kind is Scatter and pg.unique and key in owned:
                    # A slice's gradient (a time step of the input projection, a gate
                    # block) added in place into its parent's own buffer.
                    region = old[pg.index]
                    if type(region) is ndarray and region.base is old:
                        add(region, pg.value, out=region)
                    else:
                        old[pg.index] += pg.value
                    continue
            elif type(old) is Pending and type(pg) is Outer:
                # Another use of a weight: its product waits for the others.
                old.lefts.append(pg.a)
                old.rights.append(pg.g)
                continue
            elif type(old) is Pieces and type(pg) is Scatter:
                # Another time step of a sequence: summed at the sequence's turn.
                old.items.append(pg)
                continue
            accumulate(grads, owned, key, pg)


def _miscounted(node: Node, pgrads: Sequence[Any]) -> NoReturn:
    raise RuntimeError(
        f"{node.op}: its vjp returned {len(pgrads)} gradients for {len(node.parents)} inputs"
    )


def _freed(node: Node) -> NoReturn:
    raise RuntimeError(
        f"backward through {node.op} a second time: its saved values were freed "
        "by the first backward; pass retain_graph=True to the first backward "
        "to keep them"
    )


def _visit(
    node: Node, g: np.ndarray, capture: dict[int, Any] | None, captured: dict[int, np.ndarray]
) -> np.ndarray:
    """The rare per-node work: hooks, then capture (for :func:`grad`) or a retained
    tensor's ``.grad``. Returns the gradient the vjp should see."""
    if node.hooks:
        g = run_hooks(node.hooks, g, node.shape)
    if capture is not None:
        if id(node) in capture:
            captured[id(node)] = g
    elif node.retained is not None:
        t = node.retained
        t.grad = g.copy() if t.grad is None else np.asarray(t.grad + g)
    return g


def _finish_leaves(
    leaves: dict[int, Leaf],
    grads: dict[Any, Any],
    owned: set,
    capture: dict[int, Any] | None,
    captured: dict[int, np.ndarray],
) -> None:
    """Run each leaf's hooks on its summed gradient, then capture it or add it to
    ``.grad`` (a buffer the engine owns is handed over, anything else is copied)."""
    for key, leaf in leaves.items():
        g = grads[key]
        if type(g) is not np.ndarray:
            g = settle(g)
            owned.add(key)
        g = run_hooks(leaf._hooks, g, leaf.data.shape, leaf.data.dtype)
        if capture is not None:
            if key in capture:
                captured[key] = g
        elif leaf.grad is None:
            leaf.grad = g.copy() if key not in owned else g
        else:
            leaf.grad += g


# ----------------------------------------------------------------- backward and grad


def root_grad(t: Leaf, grad: Any, who: str) -> np.ndarray:
    """The seed gradient for ``t``: 1 for a one-element tensor, else ``grad``."""
    data = t.data
    if grad is None:
        if data.size != 1:
            raise RuntimeError(
                f"{who}: output has shape {data.shape}; backward needs a scalar "
                "(one-element) output or an explicit grad of that shape"
            )
        return np.ones(data.shape, dtype=data.dtype)
    g = np.asarray(grad.data if _is_tensor(grad) else grad)
    if g.shape != data.shape:
        raise ValueError(f"{who}: grad has shape {g.shape} but the output has shape {data.shape}")
    if g.dtype != data.dtype:
        g = g.astype(data.dtype)
    return g


def backward(
    t: Leaf, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False
) -> None:
    """``t.backward(grad, retain_graph, create_graph)``: accumulate d(t)/d(leaf) into
    ``.grad`` of every leaf that requires grad (see :meth:`minigrad.Tensor.backward`)."""
    if not t._requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no recorded history"
        )
    if retain_graph is None:
        retain_graph = create_graph
    if create_graph:
        seed = _tensor_seed(t, grad, "backward")
        if t._node is None:
            t.grad = seed if t.grad is None else seed + t.grad
        else:
            _tensor_backward(t, [t._node], [seed], retain_graph, None)
        return
    if forward._level:
        _refuse_in_forward_mode("backward")
    g = root_grad(t, grad, "backward")
    if t._node is None:
        g = run_hooks(t._hooks, g, t.data.shape, t.data.dtype)
        t.grad = g.copy() if t.grad is None else np.asarray(t.grad + g)
        return
    run_backward([t._node], [g], retain_graph)


def _refuse_in_forward_mode(who: str) -> NoReturn:
    raise RuntimeError(
        f"{who} inside a forward-mode pass (jvp, jacfwd, hvp) would drop the tangents; "
        "pass create_graph=True so the gradients are computed with ops that carry them"
    )


def _tensor_seed(t: Leaf, grad: Any, who: str) -> Any:
    """The seed of a create_graph walk: a tensor ``grad`` as it is (its own history
    counts), else :func:`root_grad`'s array as a constant tensor."""
    if _is_tensor(grad):
        if grad.data.shape != t.data.shape:
            raise ValueError(
                f"{who}: grad has shape {grad.data.shape} but the output has shape {t.data.shape}"
            )
        return grad
    return type(t)._wrap(root_grad(t, grad, who))


def _tensor_backward(
    like: Leaf, roots: list[Node], seeds: list, retain_graph: bool, capture: dict | None
) -> dict[int, Any]:
    """The create_graph walk (:mod:`minigrad.differentiable`) over the nodes reachable
    from ``roots``; tensors are made with ``like``'s class."""
    cls = type(like)

    def wrap(a: Any, node: Node | None) -> Any:
        return cls._wrap(np.asarray(a), node)

    nodes = _collect(roots, parts=False)
    epoch = tape.inplace_epoch()
    stale = any(n.epoch != epoch for n in nodes)
    check = check_versions if stale else _no_check
    return differentiable.propagate(nodes, roots, seeds, retain_graph, capture, wrap, check)


def _tensor_grads(
    like: Leaf, roots: list, seeds: list, retain_graph: bool, keys: dict[int, Any]
) -> dict[int, Any]:
    """:func:`grad`'s create_graph walk from the roots that are nodes; a root that is a
    leaf (an output that is also an input) adds its seed to its own gradient."""
    pairs = [(r, s) for r, s in zip(roots, seeds, strict=True) if type(r) is Node]
    captured: dict[int, Any] = {}
    if pairs:
        nodes, node_seeds = [r for r, _ in pairs], [s for _, s in pairs]
        captured = _tensor_backward(like, nodes, node_seeds, retain_graph, keys)
    for r, s in zip(roots, seeds, strict=True):
        if type(r) is not Node and id(r) in keys:
            old = captured.get(id(r))
            captured[id(r)] = s if old is None else old + s
    return captured


def _no_check(node: Node) -> None:
    return None


def _is_tensor(x: Any) -> bool:
    """Whether ``x`` is a tensor (has the :class:`Leaf` attributes) rather than an array,
    a number or a sequence of tensors."""
    return hasattr(x, "_node") and hasattr(x, "_requires_grad")


def _listed(x: Any) -> list:
    """One tensor as a one-item list; a sequence of tensors as a list."""
    return [x] if _is_tensor(x) else list(x)


def _cotangents(outs: list, grad_outputs: Any) -> list:
    """One cotangent (or None, meaning 1 for a one-element output) per output."""
    if grad_outputs is None:
        return [None] * len(outs)
    if _is_tensor(grad_outputs) or isinstance(grad_outputs, np.ndarray):
        if len(outs) != 1:
            raise ValueError("grad: give one grad_output per output")
        return [grad_outputs]
    gouts = list(grad_outputs)
    if len(gouts) != len(outs):
        raise ValueError(f"grad: {len(outs)} outputs but {len(gouts)} grad_outputs")
    return gouts


def grad(
    outputs: Leaf | Sequence[Leaf],
    inputs: Leaf | Sequence[Leaf],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    allow_unused: bool = False,
    create_graph: bool = False,
) -> tuple[Any, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned as arrays, or with
    ``create_graph=True`` as tensors with history (differentiable again).

    Unlike :meth:`Tensor.backward`, nothing is accumulated into ``.grad``. With
    several outputs, ``grad_outputs`` gives one cotangent per output (None for a
    scalar output means 1). An output may be an input itself: ``grad(x, [x])`` is 1
    and ``grad([x * 3, x], [x])`` is 4, as PyTorch. An input the outputs do not depend
    on raises unless ``allow_unused=True``, in which case its entry is None.
    ``retain_graph`` defaults to ``create_graph``.
    """
    outs, ins = _listed(outputs), _listed(inputs)
    gouts = _cotangents(outs, grad_outputs)
    for k, t in enumerate(ins):
        if not _is_tensor(t) or not t._requires_grad:
            raise ValueError(f"grad: input {k} does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    if forward._level and not create_graph:
        _refuse_in_forward_mode("grad")
    roots, root_grads = [], []
    for o, go in zip(outs, gouts, strict=True):
        if not o._requires_grad:
            raise RuntimeError("grad: an output does not require grad (it has no recorded history)")
        roots.append(o if o._node is None else o._node)
        root_grads.append(_tensor_seed(o, go, "grad") if create_graph else root_grad(o, go, "grad"))
    keys = {id(t._node if t._node is not None else t): t for t in ins}
    if create_graph:
        captured = _tensor_grads(outs[0], roots, root_grads, retain_graph, keys)
    else:
        captured = run_backward(roots, root_grads, retain_graph, capture=keys)
    result = []
    for k, t in enumerate(ins):
        g = captured.get(id(t._node if t._node is not None else t))
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {k} (shape {t.data.shape}) was not used to compute the "
                "outputs; pass allow_unused=True to get None for it"
            )
        if g is not None and not create_graph:
            # A fresh, writable array of the input's dtype: never a view into the
            # engine's buffers or one of the caller's grad_outputs.
            g = np.array(g, dtype=t.data.dtype)
        result.append(g)
    return tuple(result)
