"""``draw``: the recorded graph as a ``graphviz.Digraph``, unrolled or one node per step.

Unrolled, every op is a node inside the cluster of its scope (``t=0``, ``t=1``, ...
nested under ``layer=…``/``dir=…``), and every parameter is drawn once outside the
step clusters with one edge into each step that uses it, so weight sharing across
time is visible at a glance. Collapsed, each step is one node and the edges between
steps are the hidden state(s) carried forward. With ``grads=True`` nodes and the
step-to-step edges are coloured by log10 of the gradient norm that reached them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import graphviz

from ..autograd import Node
from ..tensor import Tensor
from .canvas import Canvas
from .colours import font_for, legend_label, viridis
from .grads import grad_norm, has_norms
from .walk import Graph, step_of, walk

__all__ = ["draw"]

# The enclosing cluster of steps that have no outer scope, in the collapsed view.
STEPS = "\x00steps"
LEGEND = ("\x00legend",)
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


def draw(
    output: Tensor | Sequence[Tensor],
    *,
    params: Mapping[str, Tensor] | None = None,
    collapse: bool = False,
    grads: bool = False,
    rankdir: str = "LR",
    max_nodes: int = 2000,
    show_shapes: bool = True,
) -> graphviz.Digraph:
    """Draw the graph recorded behind ``output`` (a Tensor or a list of Tensors).

    ``params`` (e.g. ``dict(model.named_parameters())``) names the leaves; otherwise a
    leaf's ``.name`` is used, else ``input``/``leaf`` and its shape. ``collapse=True``
    draws one node per time step (a scope whose last name starts with ``t=``) with the
    hidden-state edges between steps. ``grads=True`` colours by the gradient norms
    recorded by :func:`track_grads` during ``backward()``. ``max_nodes`` caps the op
    nodes of the unrolled view. The result renders inline in Jupyter; write it to a
    file with :func:`minigrad.viz.save`.
    """
    graph = walk(output)
    if not collapse and len(graph.nodes) > max_nodes:
        raise ValueError(
            f"graph has {len(graph.nodes)} op nodes, more than max_nodes={max_nodes}; pass "
            "collapse=True for one node per time step, or raise max_nodes"
        )
    if grads and graph.nodes and not has_norms(graph):
        raise RuntimeError(
            "draw(grads=True): no gradient norms were recorded for this graph; call "
            "minigrad.viz.track_grads(output) before output.backward()"
        )
    names = {id(t): name for name, t in (params or {}).items()}
    norm: Norm = grad_norm if grads else (lambda x: None)
    build = _collapsed if collapse else _unrolled
    verts, edges, labels, outs = build(graph, names, norm, show_shapes)
    for v in verts:
        if v.vid in outs:
            v.attrs["peripheries"] = "2"
    return _emit(verts, edges, labels, rankdir, collapse, grads)


# ----------------------------------------------------------------------- labels


def _shape(shape: tuple[int, ...]) -> str:
    return "scalar" if shape == () else str(tuple(shape))


def _is_const(t: Tensor) -> bool:
    return not t.requires_grad and t.data.ndim == 0


def _op_label(node: Node, show_shapes: bool) -> str:
    """``op`` (with folded constants, ``mul(·, 0.5)``) and the output shape."""
    text = node.op
    if any(type(p) is not Node and _is_const(p) for p in node.parents):
        args = [
            f"{p.data.item():g}" if type(p) is not Node and _is_const(p) else "·"
            for p in node.parents
        ]
        text = f"{node.op}({', '.join(args)})"
    return f"{text}\\n{_shape(node.shape)}" if show_shapes else text


def _leaf_label(t: Tensor, names: dict[int, str], show_shapes: bool) -> str:
    name = names.get(id(t)) or t.name or ("leaf" if t.requires_grad else "input")
    return f"{name}\\n{_shape(t.shape)}" if show_shapes else name


def _leaf_vertex(
    t: Tensor, k: int, path: tuple[str, ...], names: dict, norm: Norm, sh: bool
) -> Vertex:
    style = PARAM_STYLE if t.requires_grad else INPUT_STYLE
    return Vertex(path, f"x{k}", _leaf_label(t, names, sh), dict(style), norm(t))


def _leaf_output_ids(graph: Graph) -> set[str]:
    """DOT ids of outputs that are leaves (numbered as :func:`_leaf_uses` orders them)."""
    roots = {id(r) for r in graph.outputs if type(r) is not Node}
    return {f"x{k}" for k, key in enumerate(_leaf_uses(graph)) if key in roots}


# ----------------------------------------------------------------------- scopes


def _common(paths: Sequence[tuple[str, ...]]) -> tuple[str, ...]:
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


def _outside_steps(path: tuple[str, ...]) -> tuple[str, ...]:
    """``path`` cut before its first ``t=`` name: where shared weights live."""
    for k, name in enumerate(path):
        if name.startswith("t="):
            return path[:k]
    return path


def _leaf_uses(graph: Graph) -> dict[int, list[Node]]:
    """The consumers of each drawn (non-constant) leaf, in creation order."""
    uses: dict[int, list[Node]] = {}
    for node in graph.nodes:
        for p in node.parents:
            if type(p) is not Node and not _is_const(p):
                uses.setdefault(id(p), []).append(node)
    for key, t in graph.leaves.items():
        if key not in uses and not _is_const(t):
            uses[key] = []
    return uses


def _hypot(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return math.sqrt(sum(v * v for v in known)) if known else None


# --------------------------------------------------------------------- unrolled


def _unrolled(graph: Graph, names: dict, norm: Norm, sh: bool) -> tuple[list, list, dict, set[str]]:
    verts: list[Vertex] = []
    edges: list[Edge] = []
    for node in graph.nodes:
        vid = f"n{node.seq}"
        verts.append(Vertex(node.scope, vid, _op_label(node, sh), {}, norm(node)))
        here = step_of(node.scope)
        for p in node.parents:
            if type(p) is Node:
                there = step_of(p.scope)
                crossing = here is not None and there is not None and here != there
                edges.append(Edge(f"n{p.seq}", vid, {}, norm(p) if crossing else None))
    for k, (key, uses) in enumerate(_leaf_uses(graph).items()):
        t = graph.leaves[key]
        path = _common([u.scope for u in uses]) if uses else ()
        if t.requires_grad:
            path = _outside_steps(path)
        verts.append(_leaf_vertex(t, k, path, names, norm, sh))
        # One edge per step the leaf enters from outside (to the step's first use);
        # uses inside the leaf's own cluster, or outside any step, get their own edge.
        entered: set[tuple[str, ...]] = set()
        for u in uses:
            step = step_of(u.scope)
            if step is not None and path[: len(step)] != step:
                if step in entered:
                    continue
                entered.add(step)
            edges.append(Edge(f"x{k}", f"n{u.seq}"))
    outs = {f"n{r.seq}" for r in graph.outputs if type(r) is Node}
    return verts, edges, {}, outs | _leaf_output_ids(graph)


# -------------------------------------------------------------------- collapsed


def _run_of(step: tuple[str, ...]) -> tuple[str, ...]:
    """The cluster that holds a run of steps: the step's outer scope, or a shared one."""
    return step[:-1] or (STEPS,)


def _state_label(sources: Sequence[Node], sh: bool) -> str:
    n = len(sources)
    text = {1: "h", 2: "h, c"}.get(n, f"{n} tensors")
    shapes = {s.shape for s in sources}
    return f"{text} {_shape(sources[0].shape)}" if sh and len(shapes) == 1 else text


def _collapsed(
    graph: Graph, names: dict, norm: Norm, sh: bool
) -> tuple[list, list, dict, set[str]]:
    steps: dict[tuple[str, ...], str] = {}
    members: dict[str, int] = {}
    leaving: dict[str, dict[Node, None]] = {}
    flows: dict[tuple[str, str], dict[Node, None]] = {}
    verts: list[Vertex] = []

    def vertex(node: Node) -> str:
        step = step_of(node.scope)
        if step is None:
            return f"n{node.seq}"
        vid = steps.get(step)
        if vid is None:
            vid = steps[step] = f"s{len(steps)}"
        return vid

    for node in graph.nodes:
        v = vertex(node)
        if v[0] == "s":
            members[v] = members.get(v, 0) + 1
        else:
            verts.append(Vertex(node.scope, v, _op_label(node, sh), {}, norm(node)))
        for p in node.parents:
            if type(p) is Node and (pv := vertex(p)) != v:
                flows.setdefault((pv, v), {})[p] = None
                leaving.setdefault(pv, {})[p] = None
    for root in graph.outputs:
        if type(root) is Node and (rv := vertex(root))[0] == "s":
            leaving.setdefault(rv, {})[root] = None

    runs: dict[tuple[str, ...], int] = {}
    for step, vid in steps.items():
        runs[_run_of(step)] = runs.get(_run_of(step), 0) + 1
        out = list(leaving.get(vid, {}))
        label = f"{step[-1]}\\n{members[vid]} ops" if sh else step[-1]
        attrs = {"shape": "box", "style": "rounded,bold"}
        verts.append(Vertex(_run_of(step), vid, label, attrs, _hypot([norm(n) for n in out])))
    edges = []
    # An op outside the steps that feeds (or reads) many steps of a run, such as the
    # input projection or the stacked outputs, gets one edge to the run, labelled xT:
    # one edge per step would tie thousands of edges to one node and stall the layout.
    run_of_vid = {vid: _run_of(step) for step, vid in steps.items()}
    fans: dict[tuple[str, tuple[str, ...], bool], list[str]] = {}
    for (a, b), sources in flows.items():
        src = list(sources)
        if a[0] == "s" and b[0] == "s":
            edges.append(
                Edge(a, b, {"label": _state_label(src, sh)}, _hypot([norm(n) for n in src]))
            )
        elif b[0] == "s":
            fans.setdefault((a, run_of_vid[b], True), []).append(b)
        elif a[0] == "s":
            fans.setdefault((b, run_of_vid[a], False), []).append(a)
        else:
            edges.append(Edge(a, b))
    path_of = {v.vid: v.path for v in verts}
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
    edges += _collapsed_leaves(graph, names, norm, sh, vertex, verts)
    labels = {(STEPS,): f"{runs[(STEPS,)]} steps"} if (STEPS,) in runs else {}
    outs = {vertex(r) for r in graph.outputs if type(r) is Node}
    return verts, edges, labels, outs | _leaf_output_ids(graph)


def _collapsed_leaves(
    graph: Graph, names: dict, norm: Norm, sh: bool, vertex: Callable, verts: list
) -> list[Edge]:
    """Leaves in the collapsed view: weights once at the top, one edge per run of steps."""
    edges: list[Edge] = []
    by_vid = {v.vid: v for v in verts}
    for k, (key, uses) in enumerate(_leaf_uses(graph).items()):
        t = graph.leaves[key]
        targets = list(dict.fromkeys(vertex(u) for u in uses))
        if t.requires_grad:
            path: tuple[str, ...] = ()
        elif len(targets) == 1 and targets[0][0] == "s":
            path = by_vid[targets[0]].path
        else:
            path = _outside_steps(_common([u.scope for u in uses])) if uses else ()
        verts.append(_leaf_vertex(t, k, path, names, norm, sh))
        runs: dict[tuple[str, ...], list[str]] = {}
        for v in targets:
            if v[0] == "s" and t.requires_grad:
                runs.setdefault(by_vid[v].path, []).append(v)
            else:
                edges.append(Edge(f"x{k}", v))
        for run, vids in runs.items():
            label = {"label": f"×{len(vids)}"} if len(vids) > 1 else {}
            edges.append(Edge(f"x{k}", vids[0], label, lhead=run))
    return edges


# ------------------------------------------------------------------------- emit


def _emit(
    verts: list[Vertex],
    edges: list[Edge],
    labels: dict,
    rankdir: str,
    collapse: bool,
    grads: bool,
) -> graphviz.Digraph:
    canvas = Canvas(rankdir, compound=collapse, labels=labels)
    logs = [math.log10(x) for x in [v.norm for v in verts] + [e.norm for e in edges] if x]
    lo, hi = (min(logs), max(logs)) if logs else (0.0, 0.0)

    def colour(x: float) -> str:
        if x <= 0.0 or hi <= lo:
            return viridis(0.0 if x <= 0.0 else 1.0)
        return viridis((math.log10(x) - lo) / (hi - lo))

    for v in verts:
        attrs = dict(v.attrs)
        if grads and v.norm is not None:
            fill = colour(v.norm)
            style = attrs.get("style", "rounded").replace(",filled", "").replace("filled", "")
            attrs.update(fillcolor=fill, fontcolor=font_for(fill), tooltip=f"‖grad‖ = {v.norm:.3g}")
            attrs["style"] = f"{style},filled".lstrip(",")
        canvas.node(v.path, v.vid, v.label, **attrs)
    for e in edges:
        attrs = dict(e.attrs)
        for end, path in (("lhead", e.lhead), ("ltail", e.ltail)):
            if path is not None:
                canvas.cluster(path)
                attrs[end] = canvas.names[path]
        if grads and e.norm is not None:
            attrs.update(color=colour(e.norm), penwidth="2.5", tooltip=f"‖grad‖ = {e.norm:.3g}")
        canvas.edge(e.tail, e.head, **attrs)
    if grads:
        canvas.labels[LEGEND] = "gradient norm"
        canvas.node(LEGEND, "legend", legend_label(lo, hi), shape="plaintext")
    return canvas.finish()
