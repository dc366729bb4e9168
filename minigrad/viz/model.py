"""What a drawing is made of, before it becomes DOT: vertices, edges and where they sit.

Both views (:mod:`.unrolled`, :mod:`.collapsed`) build a :class:`Drawing`; ``draw`` turns
it into a ``graphviz.Digraph`` and the explorer lays it out and ships it to the page.
This module also holds what both views read off the tape: labels, leaf uses, scopes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..autograd import Node
from ..tensor import Tensor
from .walk import Graph, step_of

__all__ = ["Drawing", "Edge", "Norm", "Vertex"]

PARAM_STYLE = {"style": "filled", "fillcolor": "#dbe8f6"}
INPUT_STYLE = {"style": "dashed", "fontsize": "9"}

Norm = Callable[[Node | Tensor], float | None]


@dataclass
class Vertex:
    """A node to draw: its cluster path, DOT id, label, attributes and gradient norm."""

    path: tuple[str, ...]
    vid: str
    label: str
    attrs: dict[str, str] = field(default_factory=dict)
    norm: float | None = None


@dataclass
class Edge:
    """An edge to draw; ``lhead``/``ltail`` name a cluster path the edge is clipped at."""

    tail: str
    head: str
    attrs: dict[str, str] = field(default_factory=dict)
    norm: float | None = None
    lhead: tuple[str, ...] | None = None
    ltail: tuple[str, ...] | None = None


@dataclass
class Drawing:
    """A view of a graph: what to draw, plus which DOT id stands for what.

    ``steps`` maps each time step (a scope ending in ``t=…``) to its vertex id in the
    collapsed view; ``leaves`` maps ``id(tensor)`` of each drawn leaf to its id;
    ``ops`` maps each op :class:`Node` drawn on its own to its id; ``same_rank`` lists
    groups of vertices (inside one cluster) that Graphviz must place in one rank;
    ``rankdir`` overrides the caller's direction (wrapped rows are laid out top down).
    """

    verts: list[Vertex]
    edges: list[Edge]
    labels: dict[tuple[str, ...], str] = field(default_factory=dict)
    outputs: set[str] = field(default_factory=set)
    steps: dict[tuple[str, ...], str] = field(default_factory=dict)
    leaves: dict[int, str] = field(default_factory=dict)
    ops: dict[Node, str] = field(default_factory=dict)
    same_rank: list[tuple[tuple[str, ...], list[str]]] = field(default_factory=list)
    rankdir: str | None = None


# ----------------------------------------------------------------------- labels


def shape_text(shape: tuple[int, ...]) -> str:
    """``(2, 4)``, or ``scalar`` for a 0-d shape."""
    return "scalar" if shape == () else str(tuple(shape))


def is_const(t: Tensor) -> bool:
    """A 0-d tensor that needs no grad: folded into its op's label, not drawn."""
    return not t.requires_grad and t.data.ndim == 0


def op_text(node: Node) -> str:
    """``op``, with folded constants: ``mul(·, 0.5)`` for ``x * 0.5``."""
    if not any(type(p) is not Node and is_const(p) for p in node.parents):
        return node.op
    args = [
        f"{p.data.item():g}" if type(p) is not Node and is_const(p) else "·" for p in node.parents
    ]
    return f"{node.op}({', '.join(args)})"


def op_label(node: Node, show_shapes: bool, name: str | None = None) -> str:
    """The op (named ``name = op`` when a scope names it) and its output shape."""
    text = op_text(node) if name is None else f"{name} = {op_text(node)}"
    return f"{text}\\n{shape_text(node.shape)}" if show_shapes else text


def leaf_name(t: Tensor, names: dict[int, str]) -> str:
    """From ``params``, else the tensor's ``.name``, else ``leaf``/``input``."""
    return names.get(id(t)) or t.name or ("leaf" if t.requires_grad else "input")


def leaf_vertex(
    t: Tensor, vid: str, path: tuple[str, ...], names: dict, norm: Norm, sh: bool
) -> Vertex:
    """A weight (filled) or an input (dashed), labelled with its name and shape."""
    style = PARAM_STYLE if t.requires_grad else INPUT_STYLE
    name = leaf_name(t, names)
    label = f"{name}\\n{shape_text(t.shape)}" if sh else name
    return Vertex(path, vid, label, dict(style), norm(t))


# ----------------------------------------------------------------------- scopes


def common(paths: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
    """The longest scope prefix shared by every path."""
    first = paths[0]
    n = len(first)
    for p in paths[1:]:
        n = min(n, len(p))
        for k in range(n):
            if p[k] != first[k]:
                n = k
                break
    return first[:n]


def outside_steps(path: tuple[str, ...]) -> tuple[str, ...]:
    """``path`` cut before its first ``t=`` name: where shared weights live."""
    for k, name in enumerate(path):
        if name.startswith("t="):
            return path[:k]
    return path


def leaf_uses(graph: Graph) -> dict[int, list[Node]]:
    """The consumers of each drawn (non-constant) leaf, in creation order."""
    uses: dict[int, list[Node]] = {}
    for node in graph.nodes:
        for p in node.parents:
            if type(p) is not Node and not is_const(p):
                uses.setdefault(id(p), []).append(node)
    for key, t in graph.leaves.items():
        if key not in uses and not is_const(t):
            uses[key] = []
    return uses


def named_scopes(graph: Graph) -> dict[tuple[str, ...], str]:
    """Scopes inside a step whose ops do not feed one another: they name their ops
    instead of boxing them.

    A cell that records each gate slice inside ``scope("gate=i")`` gets ``i = getitem``
    in its step (a GRU's ``r`` names both its input and its hidden slice), not a
    cluster per gate; a scope whose ops form a computation stays a cluster.
    """
    members: dict[tuple[str, ...], list[Node]] = {}
    for node in graph.nodes:
        members.setdefault(node.scope, []).append(node)
    out = {}
    for path, nodes in members.items():
        step = step_of(path)
        if step is None or len(path) <= len(step):
            continue
        inside = set(nodes)
        if any(type(p) is Node and p in inside for n in nodes for p in n.parents):
            continue
        last = path[-1]
        out[path] = last.split("=", 1)[1] if "=" in last else last
    return out


def hypot(values: Sequence[float | None]) -> float | None:
    """The norm of a tuple of tensors from their norms (None when none is known)."""
    known = [v for v in values if v is not None]
    return math.sqrt(sum(v * v for v in known)) if known else None


def leaf_output_ids(graph: Graph, leaves: dict[int, str]) -> set[str]:
    """DOT ids of outputs that are leaves."""
    return {leaves[id(r)] for r in graph.outputs if type(r) is not Node and id(r) in leaves}
