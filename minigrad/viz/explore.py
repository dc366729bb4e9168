"""``explore``: the graph as one self-contained HTML page, with BPTT replayed in it.

The page opens on the collapsed view (one box per time step, layers and directions as
nested groups) laid out by Graphviz exactly as :func:`draw` would; a click on a step
opens it in place, showing its ops as Graphviz laid out one step of that shape. Hovering
or clicking a node shows its op, shape, dtype, value statistics, gradient norm, scope
and creation order; the backward pass is replayed in the order the engine ran it (as
recorded by :func:`trace`). Everything (data, script, styles) is inline: the page makes
no network request.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import graphviz

from ..autograd import Node
from ..tensor import Tensor
from .canvas import dot_text
from .draw import drawing, emit
from .grads import grad_norm
from .layout import lay_out
from .model import Drawing, leaf_name, named_scopes, op_label, shape_text
from .save import FORMATS
from .trace import Stats, contributions, stats_of, visit_of
from .walk import Graph, step_of, walk

__all__ = ["Explorer", "explore"]

# Ops that only move values around: a weight's per-step gradient terms reach it
# through them unchanged in norm (W_hh is read at every step as W_hh^T).
VIEWS = {"transpose", "reshape", "swapaxes", "permute", "squeeze", "unsqueeze"}


@dataclass
class Explorer:
    """The explorer page: ``html`` (one self-contained document) and the ``data`` in it.

    Displays inline in Jupyter (``_repr_html_``, in an isolated frame); ``save(path)``
    writes the page.
    """

    html: str
    data: dict[str, Any]

    def save(self, path: str | os.PathLike) -> Path:
        """Write the page to ``path`` (UTF-8) and return the path. A name ending in
        one of :func:`~minigrad.viz.save`'s picture formats (``.svg``, ``.png``...) is
        refused: the page is HTML."""
        path = _html_path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        doc = html.escape(self.html, quote=True)
        return f'<iframe srcdoc="{doc}" style="width:100%;height:640px;border:0"></iframe>'


def _html_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.suffix.lower() in FORMATS:
        raise ValueError(
            f"explore: {str(path)!r} names a {path.suffix} picture, but the page is HTML; "
            "name it .html (viz.save(viz.draw(...), path) writes pictures)"
        )
    return path


def explore(
    output: Tensor | Sequence[Tensor],
    *,
    params: Mapping[str, Tensor] | None = None,
    path: str | os.PathLike | None = None,
    title: str = "minigrad graph",
    wrap: int | None = None,
    max_nodes: int = 2000,
) -> Explorer:
    """The graph behind ``output`` as an interactive, self-contained HTML page.

    Run the forward pass and ``backward()`` inside ``with minigrad.viz.trace():``
    first: the page then shows values, gradient norms and the backward order (without
    it, only the structure). ``params`` names the leaves as in :func:`draw`; ``wrap``
    sets the steps per row. Writes the page to ``path`` when given. Needs Graphviz's
    ``dot`` for the layout. Time steps (scopes ``t=…``) are drawn one node each; a page
    of more than ``max_nodes`` nodes (a long graph without time-step scopes) is refused,
    since ``dot`` takes minutes over such a layout or crashes.

    >>> import minigrad, minigrad.viz as viz
    >>> w = minigrad.ones(3, requires_grad=True)
    >>> with viz.trace():
    ...     y = (w * 2).sum()
    ...     y.backward()
    >>> page = viz.explore(y, params={"w": w})  # doctest: +SKIP
    """
    if path is not None:
        _html_path(path)  # refused before the layout, not after
    graph = walk(output)
    view = drawing(graph, params, True, False, wrap=wrap, norm=grad_norm)
    if len(view.verts) > max_nodes:
        advice = (
            f"{len(view.steps)} of them are time steps, one node each: explore fewer steps"
            if view.steps
            else "record the steps in scopes named 't=0', 't=1', ... (minigrad.scope) so "
            "that each is one node"
        )
        raise ValueError(
            f"explore: the page would draw {len(view.verts)} nodes, more than "
            f"max_nodes={max_nodes} (Graphviz's layout takes minutes over that many, or "
            f"crashes); {advice}, or raise max_nodes"
        )
    geometry = lay_out(emit(view, "LR", True, False))
    names = {id(t): n for n, t in (params or {}).items()}
    data = _data(graph, view, geometry, names, title)
    page = _page(data, title)
    result = Explorer(page, data)
    if path is not None:
        result.save(path)
    return result


def _page(data: dict[str, Any], title: str) -> str:
    here = resources.files(__package__) / "page"
    text = (here / "explorer.html").read_text(encoding="utf-8")
    blob = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    parts = {
        "TITLE": html.escape(title),
        "STYLE": (here / "explorer.css").read_text(encoding="utf-8"),
        "SCRIPT": (here / "explorer.js").read_text(encoding="utf-8"),
        "DATA": blob,
    }
    for key, value in parts.items():
        text = text.replace(f"/*{key}*/", value)
    return text


# ------------------------------------------------------------------------- data


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(f"{x:.6g}")


def _norm(x: float | None) -> float | str | None:
    """A gradient norm for the page: a number, or ``"inf"``/``"nan"`` (JSON has no
    infinity), so an overflowed gradient is shown as such, not as none at all."""
    if x is None or math.isfinite(x):
        return _num(x)
    return "nan" if math.isnan(x) else "inf"


def _stats(s: Stats | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "min": _num(s.min),
        "mean": _num(s.mean),
        "max": _num(s.max),
        "hist": list(s.hist),
        "nonfinite": s.nonfinite,
        "dtype": s.dtype,
    }


def _data(
    graph: Graph, view: Drawing, geometry: dict, names: dict[int, str], title: str
) -> dict[str, Any]:
    named = named_scopes(graph)
    members: dict[tuple[str, ...], list[Node]] = {}
    for node in graph.nodes:
        step = step_of(node.scope)
        if step is not None:
            members.setdefault(step, []).append(node)
    step_index = {step: k for k, step in enumerate(view.steps)}
    ops = []
    for node in graph.nodes:
        step = step_of(node.scope)
        ops.append(
            {
                "seq": node.seq,
                "op": node.op,
                "label": op_label(node, True, named.get(node.scope)),
                "shape": shape_text(node.shape),
                "scope": "/".join(node.scope),
                "step": -1 if step is None else step_index[step],
                "vid": view.ops.get(node),
                "norm": _norm(grad_norm(node)),
                "visit": visit_of(node),
                "stats": _stats(stats_of(node)),
                "parts": _parts(node, step_index),
            }
        )
    by_vid = {v.vid: v for v in view.verts}
    steps, templates = _steps(view, members, named, names, by_vid)
    order = sorted((n for n in graph.nodes if visit_of(n) is not None), key=visit_of)
    leaves = [
        _leaf(graph.leaves[key], vid, names, graph, step_index) for key, vid in view.leaves.items()
    ]
    norms = [o["norm"] for o in ops] + [s["norm"] for s in steps] + [x["norm"] for x in leaves]
    logs = [math.log10(n) for n in norms if type(n) is float and n > 0]
    kinds = {v.vid: _kind(v.vid, by_vid[v.vid]) for v in view.verts}
    return {
        "title": title,
        "layout": geometry,
        "vertices": {
            v.vid: {"label": v.label, "kind": kinds[v.vid], "output": v.vid in view.outputs}
            for v in view.verts
        },
        "ops": ops,
        "steps": steps,
        "templates": templates,
        "leaves": leaves,
        "order": [n.seq for n in order],
        "range": [min(logs), max(logs)] if logs else None,
        "nonfinite": any(type(n) is str for n in norms),
    }


def _kind(vid: str, v: Any) -> str:
    if vid[0] == "s":
        return "step"
    if vid[0] in "wr":
        return "stub"
    if vid[0] == "x":
        return "param" if v.attrs.get("style") == "filled" else "input"
    return "op"


def _parts(x: Node | Tensor, step_index: dict) -> list[list[Any]]:
    """Per-step gradient terms sent to ``x``: ``[[step index, norm], ...]``."""
    return [[step_index[s], _num(n)] for s, n in contributions(x).items() if s in step_index]


def _leaf(t: Tensor, vid: str, names: dict, graph: Graph, step_index: dict) -> dict[str, Any]:
    parts = _parts(t, step_index)
    via = []
    for node in graph.nodes:
        # W used in the steps as W^T (or reshaped): its terms are W's, in norm.
        chain = node
        while type(chain) is Node and chain.op in VIEWS and len(chain.parents) == 1:
            chain = chain.parents[0]
        if chain is t and node.op in VIEWS and step_of(node.scope) is None:
            terms = _parts(node, step_index)
            if terms:
                parts += terms
                via.append(node.op)
    return {
        "vid": vid,
        "name": leaf_name(t, names),
        "shape": shape_text(t.shape),
        "requires_grad": t.requires_grad,
        "norm": _norm(grad_norm(t)),
        "stats": _stats(stats_of(t)),
        "parts": parts,
        "via": via,
    }


# ----------------------------------------------------------------------- steps


def _stub_label(p: Node | Tensor, step: tuple[str, ...], names: dict[int, str]) -> str:
    """What an input from outside a step is called inside the opened step."""
    if type(p) is not Node:
        return f"{leaf_name(p, names)}\\n{shape_text(p.shape)}"
    there = step_of(p.scope)
    where = "outside the steps" if there is None else there[-1]
    return f"{p.op} ({where})\\n{shape_text(p.shape)}"


def _steps(
    view: Drawing,
    members: dict[tuple[str, ...], list[Node]],
    named: dict[tuple[str, ...], str],
    names: dict[int, str],
    by_vid: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each step's record, and one laid-out template per distinct step shape."""
    signatures: dict[tuple, int] = {}
    templates: list[dict[str, Any]] = []
    steps = []
    for step, vid in view.steps.items():
        nodes = members[step]
        index = {n: i for i, n in enumerate(nodes)}
        stubs: dict[int, int] = {}
        labels: list[str] = []
        rows = []
        for n in nodes:
            refs = []
            for p in n.parents:
                if type(p) is Node and p in index:
                    refs.append(index[p])
                    continue
                if type(p) is not Node and not p.requires_grad and p.data.ndim == 0:
                    continue  # a constant, folded into the op's label
                if id(p) not in stubs:
                    stubs[id(p)] = len(stubs)
                    labels.append(_stub_label(p, step, names))
                refs.append(-1 - stubs[id(p)])
            rows.append((op_label(n, True, named.get(n.scope)), tuple(refs)))
        signature = tuple(rows)
        k = signatures.get(signature)
        if k is None:
            k = signatures[signature] = len(templates)
            templates.append(_template(rows, labels))
        steps.append(
            {
                "name": step[-1],
                "scope": "/".join(step),
                "vid": vid,
                "members": [n.seq for n in nodes],
                "template": k,
                "stubs": labels,
                "norm": _norm(by_vid[vid].norm),
            }
        )
    return steps, templates


def _template(rows: list[tuple[str, tuple[int, ...]]], stubs: list[str]) -> dict[str, Any]:
    """Graphviz's layout of one step: ops ``m<i>`` (creation order), inputs ``u<j>``."""
    g = graphviz.Digraph(
        "step",
        graph_attr={"rankdir": "LR", "fontname": "Helvetica", "fontsize": "11"},
        node_attr={"fontname": "Helvetica", "fontsize": "10", "shape": "box", "style": "rounded"},
        edge_attr={"arrowsize": "0.6"},
    )
    for j, label in enumerate(stubs):
        g.node(f"u{j}", dot_text(label), shape="plaintext", fontsize="9")
    for i, (label, refs) in enumerate(rows):
        g.node(f"m{i}", dot_text(label))
        for r in refs:
            g.edge(f"m{r}" if r >= 0 else f"u{-1 - r}", f"m{i}")
    return lay_out(g)
