"""The backward walk on tensors, for ``create_graph=True``: gradients that have history.

The first-order walk (:mod:`minigrad.engine`) runs each node's ``vjp`` on arrays and
records nothing. This walk visits the same nodes in the same order but runs each op's
*tensor vjp*: the same derivative rule written with minigrad ops, applied to tensors.
The gradients it returns are therefore tensors made by recorded ops, which can be
differentiated again (to any order), and inside a forward-mode pass they carry
tangents (forward-over-reverse: Hessian-vector products).

A rule needs the values its op saved as tensors that remember where they came from:
``d/dx (g * y)`` must see that ``y`` is an input. Each op declares which of its saved
values are which (``roles``): input ``k``'s value, or the op's own output. The walk
rebuilds those as tensors on the tape, ``wrap(saved_value, parent_node)``, with the
tangent the parent had in the forward pass; every other saved value (shapes, masks,
axes) passes through as a constant.

Ops register their tensor rules here (:func:`register`) from their one definition;
this module knows no op and no tensor class (it builds tensors with the ``wrap`` it
is given), so it sits below :mod:`minigrad.tensor`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .gradients import KEEPS_NOTHING
from .tape import Node, observers

__all__ = ["RULES", "Deferred", "TensorRule", "propagate", "register"]


class TensorRule:
    """An op's vjp on tensors and the roles of its saved values.

    ``roles`` pairs a position in the op's ``saved`` tuple with what is stored there:
    an input index ``k`` (the value of input ``k``) or ``-1`` (the op's output).
    """

    __slots__ = ("roles", "vjp")

    def __init__(
        self, vjp: Callable[..., Sequence[Any]], roles: tuple[tuple[int, int], ...]
    ) -> None:
        self.vjp = vjp
        self.roles = roles


# Op name -> its tensor rule; filled by the op definitions as they register.
RULES: dict[str, TensorRule] = {}


def register(
    name: str, vjp: Callable[..., Sequence[Any]], roles: tuple[tuple[int, int], ...]
) -> None:
    """Record op ``name``'s tensor vjp and the roles of its saved values."""
    RULES[name] = TensorRule(vjp, roles)


class Deferred:
    """A gradient kept as a list of terms of one kind, summed by one op once every
    consumer has reported: the tensor counterpart of the array walk's lazy records
    (:class:`~minigrad.gradients.Scatter`, :class:`~minigrad.gradients.Outer`).

    Indexing a (T, N, H) sequence at each of its T steps would otherwise send T dense
    (T, N, H) gradients to add up, O(T^2); a recurrent weight used at T steps would get
    T small products where one large one does. A rule returns
    ``Deferred(build, term)``; the walk gathers the terms sent to one input and calls
    ``build(terms)`` when that input's turn comes (plus any dense part, added).
    """

    __slots__ = ("build", "dense", "terms")

    def __init__(self, build: Callable[[list], Any], term: Any) -> None:
        self.build = build
        self.terms = [term]
        self.dense: Any = None

    def total(self) -> Any:
        out = self.build(self.terms)
        return out if self.dense is None else out + self.dense


def _saved_tensors(node: Node, rule: TensorRule, wrap: Callable) -> list[Any]:
    """``node.saved`` with each input and output value rebuilt as a tensor on the tape."""
    args = list(node.saved)
    for slot, who in rule.roles:
        if who < 0:
            src = node
        else:
            src = node.parents[who]
            if type(src) is not Node:
                args[slot] = src  # a leaf stands in the graph as itself
                continue
        t = wrap(args[slot], src)
        tangent = getattr(src, "_tangent", None)
        if tangent is not None:
            t._tangent = tangent
        args[slot] = t
    return args


def _add(grads: dict, key: Any, g: Any) -> None:
    """Sum ``g`` into ``grads[key]``, keeping :class:`Deferred` terms of a kind apart."""
    old = grads.get(key)
    if old is None:
        grads[key] = g
    elif type(g) is Deferred:
        if type(old) is Deferred and old.build is g.build:
            old.terms += g.terms
            if g.dense is not None:
                old.dense = g.dense if old.dense is None else old.dense + g.dense
        else:
            g.dense = _summed(old) if g.dense is None else _summed(old) + g.dense
            grads[key] = g
    elif type(old) is Deferred:
        old.dense = g if old.dense is None else old.dense + g
    else:
        grads[key] = old + g


def _summed(g: Any) -> Any:
    return g.total() if type(g) is Deferred else g


def _hooked(hooks: list[Callable] | None, g: Any) -> Any:
    for hook in list(hooks or ()):
        out = hook(g)
        if out is not None:
            g = out
    return g


def propagate(
    nodes: Sequence[Node],
    roots: Sequence[Node],
    root_grads: Sequence[Any],
    retain_graph: bool,
    capture: dict[int, Any] | None,
    wrap: Callable[[Any, Node | None], Any],
    check: Callable[[Node], None],
) -> dict[int, Any]:
    """Propagate tensor gradients ``root_grads`` from ``roots`` through ``nodes``
    (every node reachable from the roots, latest first).

    As the array walk: without ``capture``, leaves that require grad accumulate into
    ``.grad`` (here a tensor) and retained intermediates get ``.grad``; with ``capture``
    (``id`` -> object) the summed gradients of the captured objects are returned by id.
    ``wrap(array, node)`` makes a tensor; ``check(node)`` refuses a node whose saved
    values were modified in place.
    """
    grads: dict[Any, Any] = {}
    for r, g in zip(roots, root_grads, strict=True):
        _add(grads, r, g)
    leaves: dict[int, Any] = {}
    captured: dict[int, Any] = {}
    for node in nodes:
        g = grads.pop(node, None)
        if g is None:
            continue
        g = _as_tensor(_hooked(node.hooks, _summed(g)), wrap)
        if capture is not None:
            if id(node) in capture:
                captured[id(node)] = g
        elif node.retained is not None:
            t = node.retained
            t.grad = g if t.grad is None else g + t.grad
        if node.vjp is None:
            raise RuntimeError(
                f"backward through {node.op} a second time: its saved values were freed "
                "by the first backward; pass retain_graph=True to the first backward "
                "to keep them"
            )
        check(node)
        rule = RULES.get(node.op)
        if rule is None:
            raise NotImplementedError(
                f"{node.op}: no differentiable vjp is defined for this op, so its gradient "
                "cannot be differentiated again (create_graph=True)"
            )
        pgrads = rule.vjp(g, *_saved_tensors(node, rule, wrap))
        if observers:  # a tracer sees this walk's vjps as it sees the array walk's
            _tell_ran(node, g, pgrads)
        if not retain_graph and node.vjp not in KEEPS_NOTHING:
            node.vjp = node.saved = None
        for p, pg in zip(node.parents, pgrads, strict=True):
            if pg is None:
                continue
            if type(p) is Node:
                _add(grads, p, pg)
            elif p._requires_grad:
                leaves[id(p)] = p
                _add(grads, id(p), pg)
    for key, leaf in leaves.items():
        g = _as_tensor(_hooked(leaf._hooks, _summed(grads[key])), wrap)
        if capture is not None:
            if key in capture:
                captured[key] = g
        else:
            leaf.grad = g if leaf.grad is None else g + leaf.grad
    return captured


def _tell_ran(node: Node, g: Any, pgrads: Sequence[Any]) -> None:
    """Pass a vjp run here to the tape's observers, with arrays as the array walk does:
    a tensor's ``.data``; a rule's constant array, a :class:`Deferred` or None as it
    is (a Deferred gathers more terms later: an observer reads it at once)."""
    arrays = [p.data if hasattr(p, "_node") else p for p in pgrads]
    for o in tuple(observers):
        o.ran(node, g.data, arrays)


def _as_tensor(g: Any, wrap: Callable) -> Any:
    """A rule may return a constant array (e.g. zeros); gradients leave as tensors."""
    return g if hasattr(g, "_node") else wrap(g, None)
