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

import graphviz

from ..autograd import Node
from ..tensor import Tensor
from .canvas import Canvas
from .collapsed import collapsed as collapsed_view
from .colours import NONFINITE, font_for, legend_label, viridis
from .grads import grad_norm, has_norms, is_tracked
from .model import Drawing
from .unrolled import unrolled
from .walk import COMPILED, Graph, compiled_output, walk

__all__ = ["draw", "drawing", "emit"]

LEGEND = ("\x00legend",)
# Graphviz's directions; it ignores any other value without a word.
RANKDIRS = ("LR", "RL", "TB", "BT")


def draw(
    output: Tensor | Sequence[Tensor],
    *,
    params: Mapping[str, Tensor] | None = None,
    collapse: bool = False,
    grads: bool = False,
    rankdir: str = "LR",
    max_nodes: int = 2000,
    show_shapes: bool = True,
    wrap: int | None = None,
) -> graphviz.Digraph:
    """Draw the graph recorded behind ``output`` (a Tensor or a list of Tensors).

    ``params`` (e.g. ``dict(model.named_parameters())``) names the leaves; otherwise a
    leaf's ``.name`` is used, else ``input``/``leaf`` and its shape. ``collapse=True``
    draws one node per time step (a scope whose last name starts with ``t=``) with the
    hidden-state edges between steps. ``grads=True`` colours by the gradient norms
    recorded by :func:`track_grads` (or :func:`trace`) during ``backward()``.
    ``max_nodes`` caps the op nodes of the unrolled view. ``wrap`` is the number of
    steps per row of a collapsed run (None: one row up to 32 steps, about
    ``1.2 sqrt(T)`` beyond; 0: never wrap). The result renders inline in Jupyter
    (``_repr_svg_``); write it to a file with :func:`minigrad.viz.save`.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if grads and (k := compiled_output(output)) is not None:
        raise ValueError(COMPILED.format(what="draw(grads=True)", k=k))
    graph = walk(output)
    view = drawing(graph, params, collapse, grads, max_nodes, show_shapes, wrap)
    return emit(view, rankdir, collapse, grads)


def drawing(
    graph: Graph,
    params: Mapping[str, Tensor] | None,
    collapse: bool,
    grads: bool,
    max_nodes: int = 2000,
    show_shapes: bool = True,
    wrap: int | None = None,
    norm: Callable[[Node | Tensor], float | None] | None = None,
) -> Drawing:
    """The :class:`~.model.Drawing` behind :func:`draw` (also laid out by the explorer)."""
    if not collapse and len(graph.nodes) > max_nodes:
        raise ValueError(
            f"graph has {len(graph.nodes)} op nodes, more than max_nodes={max_nodes}; pass "
            "collapse=True for one node per time step, or raise max_nodes"
        )
    if grads and norm is None and graph.nodes and not has_norms(graph):
        if is_tracked(graph):
            raise RuntimeError(
                "draw(grads=True): no gradient norms were recorded for this graph yet: "
                "track_grads hooked it, but output.backward() has not run since"
            )
        raise RuntimeError(
            "draw(grads=True): no gradient norms were recorded for this graph; call "
            "minigrad.viz.track_grads(output) before output.backward()"
        )
    names = {id(t): name for name, t in (params or {}).items()}
    if norm is None:
        norm = grad_norm if grads else _no_norm
    if collapse:
        view = collapsed_view(graph, names, norm, show_shapes, wrap)
    else:
        view = unrolled(graph, names, norm, show_shapes)
    for v in view.verts:
        if v.vid in view.outputs:
            v.attrs["peripheries"] = "2"
    return view


def _no_norm(x: Node | Tensor) -> float | None:
    return None


# ------------------------------------------------------------------------- emit


def emit(view: Drawing, rankdir: str, collapse: bool, grads: bool) -> graphviz.Digraph:
    """Turn a drawing into DOT: nodes coloured by log10 gradient norm when ``grads``."""
    verts, edges = view.verts, view.edges
    canvas = Canvas(view.rankdir or rankdir, compound=collapse, labels=dict(view.labels))
    norms = [v.norm for v in verts] + [e.norm for e in edges]
    # An infinite or NaN norm has no place on the log scale: it gets a colour of its own
    # and stays out of the range, which it would otherwise turn into inf or NaN.
    logs = [math.log10(x) for x in norms if x and math.isfinite(x)]
    lo, hi = (min(logs), max(logs)) if logs else (0.0, 0.0)
    nonfinite = any(x is not None and not math.isfinite(x) for x in norms)

    def colour(x: float) -> str:
        if not math.isfinite(x):
            return NONFINITE
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
    for path, vids in view.same_rank:
        canvas.same_rank(path, vids)
    if grads:
        canvas.labels[LEGEND] = "gradient norm"
        canvas.node(LEGEND, "legend", legend_label(lo, hi, nonfinite), html=True, shape="plaintext")
    return canvas.finish()
