"""Gradient norms recorded by engine hooks, for colouring the graph.

``track_grads(output)`` puts one hook on every recorded node reachable from
``output``; during ``backward`` the engine calls it with the node's summed output
gradient, and it stores ``‖g‖`` (Frobenius norm) in a weak map keyed by the node, so
the record dies with the graph. Leaves need no hook: their norm is ``‖leaf.grad‖``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence

import numpy as np

from ..autograd import Node
from ..gradients import watched
from ..tensor import Tensor
from .walk import COMPILED, Graph, compiled_output, walk

__all__ = ["grad_norm", "has_norms", "is_tracked", "track_grads"]

_norms: weakref.WeakKeyDictionary[Node, float] = weakref.WeakKeyDictionary()
_hooked: weakref.WeakKeyDictionary[Node, Callable] = weakref.WeakKeyDictionary()


def _recorder(node: Node) -> Callable[[np.ndarray], None]:
    # A weak reference: a strong one from the node's own hook list would make a
    # cycle and keep the graph alive until the cycle collector runs.
    ref = weakref.ref(node)

    def hook(g: np.ndarray) -> None:
        n = ref()
        if n is not None:
            _norms[n] = float(np.linalg.norm(np.asarray(g, dtype=np.float64).ravel()))

    return hook


def track_grads(output: Tensor | Sequence[Tensor]) -> int:
    """Record the gradient norm reaching every node of ``output``'s graph.

    Call it after the forward pass and before ``backward()``; then
    ``draw(output, grads=True)`` colours the graph by those norms. Calling it again
    on the same graph adds no second hook. Returns the number of nodes in the graph
    (every one of them is hooked). Leaf norms are read from ``.grad``, which
    accumulates across backward calls: zero the grads first to see one backward.

    >>> import minigrad, minigrad.viz
    >>> w = minigrad.ones(3, requires_grad=True)
    >>> y = (w * 2).sum()
    >>> minigrad.viz.track_grads(y)
    2
    >>> y.backward()
    """
    if (k := compiled_output(output)) is not None:
        raise ValueError(COMPILED.format(what="track_grads", k=k))
    graph = walk(output)
    for node in graph.nodes:
        if node in _hooked:
            continue
        hook = _recorder(node)
        watched(node)
        if node.hooks is None:
            node.hooks = []
        node.hooks.append(hook)
        _hooked[node] = hook
    return len(graph.nodes)


def has_norms(graph: Graph) -> bool:
    """Whether any node of ``graph`` had its gradient norm recorded."""
    return any(n in _norms for n in graph.nodes)


def is_tracked(graph: Graph) -> bool:
    """Whether :func:`track_grads` hooked any node of ``graph``."""
    return any(n in _hooked for n in graph.nodes)


def grad_norm(x: Node | Tensor) -> float | None:
    """The recorded norm for a node, ``‖x.grad‖`` for a leaf, or None if none reached it."""
    if type(x) is Node:
        return _norms.get(x)
    if x.grad is None:
        return None
    return float(np.linalg.norm(np.asarray(x.grad, dtype=np.float64).ravel()))
