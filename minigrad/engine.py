"""The backward engine: one reverse walk over the tape, on arrays.

:func:`run_backward` walks the nodes reachable from the roots *iteratively* in
reverse creation order, so each node's vjp runs exactly once, after every consumer of
its output has contributed to the output's gradient:

    dL/dx = sum over consumers c of vjp_c(dL/dc)

The engine knows no op: it only calls ``node.vjp(g, *node.saved)``, which returns one
gradient (or None) per parent. It knows tensors only through :class:`~minigrad.tape.Leaf`,
so it imports nothing above it. What users call, ``backward`` and ``grad``, stands in
:mod:`minigrad.autograd`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np

from . import tape
from .gradients import (
    KEEPS_NOTHING,
    TAKES_LAZY,
    Outer,
    Pending,
    Pieces,
    Scatter,
    accumulate,
    part_vjp,
    settle,
)
from .tape import Leaf, Node, gc_paused
from .versions import check_versions

__all__ = ["collect", "run_backward", "run_hooks"]

_by_seq = operator.attrgetter("seq")


def collect(roots: Sequence[Node], parts: bool) -> list[Node]:
    """Every node reachable from ``roots``, latest first (iterative walk, no recursion).

    With ``parts``, the node of a piece of ``split``/``chunk``/``unbind``
    (:func:`~minigrad.gradients.part_vjp`) is passed over for the tensor it was cut from:
    backward hands a piece's gradient straight to that tensor (unless the piece is a root).
    """
    seen = set(roots)
    order = list(seen)
    add, keep = seen.add, order.append
    # Breadth first: the loop reads the list it appends to, so the list is the queue.
    for node in order:
        for p in node.parents:
            if type(p) is Node and p not in seen:
                if parts and p.vjp is part_vjp:
                    p = p.parents[0]  # always a node (see ops.pieces.slices)
                    if p in seen:
                        continue
                add(p)
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
    ndarray, add, blank = np.ndarray, np.add, object.__new__
    lazy, reusable = TAKES_LAZY, KEEPS_NOTHING
    rare = capture is not None
    # Pieces of a split hand their gradients straight to the split tensor, unless
    # grad() captures by node or an observer follows every vjp.
    parts = not rare and not watchers
    for node in collect(roots, parts):
        g = pop(node, None)
        if g is None:
            continue
        vjp = node.vjp
        if rare or node.hooks or node.retained is not None:
            g = _visit(node, g if type(g) is ndarray else settle(g), capture, captured)
        elif type(g) is not ndarray and (vjp not in lazy or watchers):
            # A lazy record is evaluated here unless the vjp hands it on (a transpose).
            g = settle(g)
        if vjp is None:
            _freed(node)
        if node.epoch != epoch:
            check_versions(node)
        pgrads = vjp(g, *node.saved)
        if watchers:
            for o in watchers:
                o.ran(node, g, pgrads)
        if not retain_graph and vjp not in reusable:
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
                    # (Scatter(index, pg, shape, dtype, unique), filled here: no
                    # __init__ call per time step)
                    piece = blank(Scatter)
                    piece.index, piece.shape, piece.dtype, piece.unique = p.saved
                    piece.value = pg
                    pg = piece
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
                        add(region, pg.value, region)
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
        hooks, data = leaf._hooks, leaf.data
        if hooks or g.dtype is not data.dtype:
            g = run_hooks(hooks, g, data.shape, data.dtype)
        if capture is not None:
            if key in capture:
                captured[key] = g
        elif leaf.grad is None:
            # A buffer the engine owns is handed over, unless a hook saw it (and may keep
            # it: PyTorch clones a gradient someone else holds) or returned its own array.
            leaf.grad = g if key in owned and not hooks else g.copy()
        else:
            leaf.grad += g
