"""The unrolled view: every op in the cluster of its scope, each weight drawn once.

Steps of one run (one layer and direction) are kept in the order they ran: an invisible
edge goes from every op that ends step ``k`` to every op that starts step ``k+1``, so
Graphviz cannot slide a later step in between earlier ones when the data edges alone
leave it free to (a step's input slice, read from one projection, would otherwise be
placed as early as the projection allows).
"""

from __future__ import annotations

import itertools

from ..autograd import Node
from .model import (
    Drawing,
    Edge,
    Norm,
    Vertex,
    common,
    leaf_output_ids,
    leaf_uses,
    leaf_vertex,
    named_scopes,
    op_label,
    outside_steps,
)
from .walk import Graph, step_of

__all__ = ["unrolled"]

ORDER = {"style": "invis"}


def unrolled(graph: Graph, names: dict, norm: Norm, sh: bool) -> Drawing:
    """Every op and leaf of ``graph``; see the module docstring."""
    verts: list[Vertex] = []
    edges: list[Edge] = []
    ops: dict[Node, str] = {}
    named = named_scopes(graph)
    for node in graph.nodes:
        vid = graph.op_id(node)
        ops[node] = vid
        path, name = node.scope, named.get(node.scope)
        if name is not None:
            path = path[:-1]
        verts.append(Vertex(path, vid, op_label(node, sh, name), {}, norm(node)))
        here = step_of(node.scope)
        for p in node.parents:
            if type(p) is Node:
                there = step_of(p.scope)
                crossing = here is not None and there is not None and here != there
                edges.append(Edge(graph.op_id(p), vid, {}, norm(p) if crossing else None))
    leaves: dict[int, str] = {}
    for k, (key, uses) in enumerate(leaf_uses(graph).items()):
        t = graph.leaves[key]
        path = common([u.scope for u in uses]) if uses else ()
        if t.requires_grad:
            path = outside_steps(path)
        if path in named:
            path = path[:-1]
        leaves[key] = f"x{k}"
        verts.append(leaf_vertex(t, f"x{k}", path, names, norm, sh))
        # One edge per step the leaf enters from outside (to the step's first use);
        # uses inside the leaf's own cluster, or outside any step, get their own edge.
        entered: set[tuple[str, ...]] = set()
        for u in uses:
            step = step_of(u.scope)
            if step is not None and path[: len(step)] != step:
                if step in entered:
                    continue
                entered.add(step)
            edges.append(Edge(f"x{k}", graph.op_id(u)))
    edges += _time_order(graph)
    outs = {graph.op_id(r) for r in graph.outputs if type(r) is Node}
    return Drawing(
        verts, edges, outputs=outs | leaf_output_ids(graph, leaves), leaves=leaves, ops=ops
    )


def _time_order(graph: Graph) -> list[Edge]:
    """Invisible edges that keep each run's steps in the order they ran."""
    members: dict[tuple[str, ...], list[Node]] = {}
    for node in graph.nodes:
        step = step_of(node.scope)
        if step is not None:
            members.setdefault(step, []).append(node)
    runs: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for step in members:
        runs.setdefault(step[:-1], []).append(step)
    edges = []
    for steps in runs.values():
        for a, b in itertools.pairwise(steps):
            inside_b = set(members[b])
            fed = {p for n in members[a] for p in n.parents if type(p) is Node}
            sinks = [n for n in members[a] if n not in fed]
            sources = [
                n
                for n in members[b]
                if not any(type(p) is Node and p in inside_b for p in n.parents)
            ]
            order = dict(ORDER)
            edges += [Edge(graph.op_id(s), graph.op_id(t), order) for s in sinks for t in sources]
    return edges
