"""The collapsed view: one node per time step, the hidden state(s) carried between them.

A long run of steps is wrapped into rows, like text: the picture is then laid out top to
bottom, each row is one rank (so Graphviz keeps its steps left to right in time order),
and an invisible edge from each row's first step to the next row's puts the rows under
one another; the state edge that crosses the line break is cut into two labelled stubs
(``to t=k`` at the end of a row, ``from t=k-1`` at the start of the next), so a
2,000-step picture is a block, not a line hundreds of thousands of points wide.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from ..autograd import Node
from .model import (
    Drawing,
    Edge,
    Norm,
    Vertex,
    common,
    hypot,
    leaf_output_ids,
    leaf_uses,
    leaf_vertex,
    op_label,
    outside_steps,
    shape_text,
)
from .walk import Graph, step_of

__all__ = ["STEPS", "collapsed", "row_length"]

# The enclosing cluster of steps that have no outer scope.
STEPS = "\x00steps"
STUB = {"shape": "plaintext", "fontsize": "9", "fontcolor": "#555555"}
# Runs up to this long stay on one line.
UNWRAPPED = 32


def row_length(steps: int, wrap: int | None) -> int:
    """Steps per row: ``wrap`` if given (0: never wrap), else one line up to 32 steps
    and about ``1.2 sqrt(T)`` (at least 16) beyond, which keeps long runs roughly
    two to three times as wide as high."""
    if wrap is not None:
        return steps if wrap <= 0 else wrap
    if steps <= UNWRAPPED:
        return steps
    return max(16, math.ceil(1.2 * math.sqrt(steps)))


def _run_of(step: tuple[str, ...]) -> tuple[str, ...]:
    """The cluster that holds a run of steps: the step's outer scope, or a shared one."""
    return step[:-1] or (STEPS,)


def _state_label(sources: Sequence[Node], sh: bool) -> str:
    n = len(sources)
    text = {1: "h", 2: "h, c"}.get(n, f"{n} tensors")
    shapes = {s.shape for s in sources}
    return f"{text} {shape_text(sources[0].shape)}" if sh and len(shapes) == 1 else text


def collapsed(graph: Graph, names: dict, norm: Norm, sh: bool, wrap: int | None) -> Drawing:
    """One vertex per step, ops outside steps as they are, leaves once."""
    steps: dict[tuple[str, ...], str] = {}
    members: dict[str, int] = {}
    leaving: dict[str, dict[Node, None]] = {}
    flows: dict[tuple[str, str], dict[Node, None]] = {}
    verts: list[Vertex] = []
    ops: dict[Node, str] = {}

    def vertex(node: Node) -> str:
        step = step_of(node.scope)
        if step is None:
            return graph.op_id(node)
        vid = steps.get(step)
        if vid is None:
            vid = steps[step] = f"s{len(steps)}"
        return vid

    for node in graph.nodes:
        v = vertex(node)
        if v[0] == "s":
            members[v] = members.get(v, 0) + 1
        else:
            ops[node] = v
            verts.append(Vertex(node.scope, v, op_label(node, sh), {}, norm(node)))
        for p in node.parents:
            if type(p) is Node and (pv := vertex(p)) != v:
                flows.setdefault((pv, v), {})[p] = None
                leaving.setdefault(pv, {})[p] = None
    for root in graph.outputs:
        if type(root) is Node and (rv := vertex(root))[0] == "s":
            leaving.setdefault(rv, {})[root] = None

    runs: dict[tuple[str, ...], list[str]] = {}
    for step, vid in steps.items():
        runs.setdefault(_run_of(step), []).append(vid)
        out = list(leaving.get(vid, {}))
        label = f"{step[-1]}\\n{members[vid]} ops" if sh else step[-1]
        attrs = {"shape": "box", "style": "rounded,bold"}
        verts.append(Vertex(_run_of(step), vid, label, attrs, hypot([norm(n) for n in out])))
    run_of_vid = {vid: _run_of(step) for step, vid in steps.items()}
    edges = _flow_edges(flows, run_of_vid, {v.vid: v.path for v in verts}, norm, sh)
    leaves, leaf_edges = _leaves(graph, names, norm, sh, vertex, verts)
    edges += leaf_edges
    same_rank = _wrap_runs(runs, steps, verts, edges, wrap)
    # Wrapped rows read like text: time runs left to right within a row, and the rows
    # (with the rest of the graph) top to bottom.
    rankdir = "TB" if same_rank else None
    labels = {(STEPS,): f"{len(runs[(STEPS,)])} steps"} if (STEPS,) in runs else {}
    outs = {vertex(r) for r in graph.outputs if type(r) is Node}
    outs |= leaf_output_ids(graph, leaves)
    return Drawing(verts, edges, labels, outs, dict(steps), leaves, ops, same_rank, rankdir)


def _flow_edges(
    flows: dict[tuple[str, str], dict[Node, None]],
    run_of_vid: dict[str, tuple[str, ...]],
    path_of: dict[str, tuple[str, ...]],
    norm: Norm,
    sh: bool,
) -> list[Edge]:
    """Step-to-step state edges, and one edge per run for ops feeding or reading it."""
    edges = []
    # An op outside the steps that feeds (or reads) many steps of a run, such as the
    # input projection or the stacked outputs, gets one edge to the run, labelled xT:
    # one edge per step would tie thousands of edges to one node and stall the layout.
    fans: dict[tuple[str, tuple[str, ...], bool], list[str]] = {}
    for (a, b), sources in flows.items():
        src = list(sources)
        if a[0] == "s" and b[0] == "s":
            edges.append(
                Edge(a, b, {"label": _state_label(src, sh)}, hypot([norm(n) for n in src]))
            )
        elif b[0] == "s":
            fans.setdefault((a, run_of_vid[b], True), []).append(b)
        elif a[0] == "s":
            fans.setdefault((b, run_of_vid[a], False), []).append(a)
        else:
            edges.append(Edge(a, b))
    for (op, run, into), vids in fans.items():
        if len(vids) == 1:
            edges.append(Edge(op, vids[0]) if into else Edge(vids[0], op))
            continue
        label = {"label": f"×{len(vids)}"}
        # Clip at the run's cluster only from outside it (Graphviz ignores it otherwise).
        clip = None if path_of[op][: len(run)] == run else run
        if into:
            edges.append(Edge(op, vids[0], label, lhead=clip))
        else:
            edges.append(Edge(vids[-1], op, label, ltail=clip))
    return edges


def _leaves(
    graph: Graph, names: dict, norm: Norm, sh: bool, vertex: Callable, verts: list
) -> tuple[dict[int, str], list[Edge]]:
    """Leaves in the collapsed view: weights once at the top, one edge per run of steps."""
    edges: list[Edge] = []
    ids: dict[int, str] = {}
    by_vid = {v.vid: v for v in verts}
    for k, (key, uses) in enumerate(leaf_uses(graph).items()):
        t = graph.leaves[key]
        targets = list(dict.fromkeys(vertex(u) for u in uses))
        if t.requires_grad:
            path: tuple[str, ...] = ()
        elif len(targets) == 1 and targets[0][0] == "s":
            path = by_vid[targets[0]].path
        else:
            path = outside_steps(common([u.scope for u in uses])) if uses else ()
        ids[key] = f"x{k}"
        verts.append(leaf_vertex(t, f"x{k}", path, names, norm, sh))
        runs: dict[tuple[str, ...], list[str]] = {}
        for v in targets:
            if v[0] == "s" and t.requires_grad:
                runs.setdefault(by_vid[v].path, []).append(v)
            else:
                edges.append(Edge(f"x{k}", v))
        for run, vids in runs.items():
            label = {"label": f"×{len(vids)}"} if len(vids) > 1 else {}
            edges.append(Edge(f"x{k}", vids[0], label, lhead=run))
    return ids, edges


def _wrap_runs(
    runs: dict[tuple[str, ...], list[str]],
    steps: dict[tuple[str, ...], str],
    verts: list[Vertex],
    edges: list[Edge],
    wrap: int | None,
) -> list[tuple[tuple[str, ...], list[str]]]:
    """Break each long run into rows (see the module docstring); edits in place and
    returns the groups of vertices that must share a rank: one per row."""
    name = {vid: step[-1] for step, vid in steps.items()}
    rows = []
    for run, vids in runs.items():
        k = row_length(len(vids), wrap)
        if k >= len(vids):
            continue
        for start in range(0, len(vids), k):
            row = vids[start : start + k]
            if start > 0:
                # the row goes under the previous one (ranks run top to bottom)
                edges.append(Edge(vids[start - k], row[0], {"style": "invis"}))
                row = [f"w{row[0]}b", *row]
            if start + k < len(vids):
                row.append(f"w{vids[start + k]}a")
            rows.append((run, row))
        for start in range(k, len(vids), k):
            last, first = vids[start - 1], vids[start]
            for e in edges:
                if e.tail == last and e.head == first:
                    end, begin = f"w{first}a", f"w{first}b"
                    verts.append(Vertex(run, end, f"to {name[first]}", dict(STUB)))
                    verts.append(Vertex(run, begin, f"from {name[last]}", dict(STUB)))
                    edges.append(Edge(begin, first, {}, e.norm))
                    e.head = end
    return rows
