"""A Graphviz digraph assembled from scope-keyed clusters, without recursion.

Nodes are added to the cluster of a scope path (``()`` is the top level); nested
paths become nested ``subgraph cluster_k`` blocks. The cluster tree is assembled
deepest-first at the end, so no call ever recurses into a subtree.
"""

from __future__ import annotations

from typing import Any

import graphviz

__all__ = ["Canvas", "Picture"]

FONT = "Helvetica"


def dot_text(label: str) -> str:
    """``label`` as DOT text: its lines (split at the ``\\n`` that labels are built with)
    keep a name's or scope's backslashes (Graphviz reads ``\\N``, ``\\l``... as escapes
    and drops the others), and a label written ``<...>`` stays text, not an HTML-like
    label (``<a>&<b>`` would not even parse)."""
    text = "\\n".join(part.replace("\\", "\\\\") for part in label.split("\\n"))
    return graphviz.nohtml(text)


class Picture(graphviz.Digraph):
    """A ``graphviz.Digraph`` that Jupyter also shows through ``_repr_svg_``."""

    def _repr_svg_(self) -> str:
        return self.pipe(format="svg", encoding="utf-8")


class Canvas:
    """Collects nodes per cluster path and edges, then builds one ``graphviz.Digraph``."""

    def __init__(self, rankdir: str, compound: bool, labels: dict[tuple[str, ...], str]) -> None:
        graph_attr = {"rankdir": rankdir, "fontname": FONT, "fontsize": "11"}
        if compound:
            graph_attr["compound"] = "true"
        self.root = Picture(
            "minigrad",
            graph_attr=graph_attr,
            node_attr={"fontname": FONT, "fontsize": "10", "shape": "box", "style": "rounded"},
            edge_attr={"fontname": FONT, "fontsize": "9", "arrowsize": "0.6"},
        )
        self.labels = labels
        self.subs: dict[tuple[str, ...], graphviz.Digraph] = {}
        self.names: dict[tuple[str, ...], str] = {}
        self.edges: list[tuple[str, str, dict[str, str]]] = []

    def cluster(self, path: tuple[str, ...]) -> graphviz.Digraph:
        """The digraph for ``path``, creating it and every enclosing cluster as needed."""
        if not path:
            return self.root
        sub = self.subs.get(path)
        if sub is not None:
            return sub
        for k in range(1, len(path) + 1):
            prefix = path[:k]
            if prefix not in self.subs:
                name = f"cluster_{len(self.subs)}"
                self.names[prefix] = name
                label = self.labels.get(prefix, prefix[-1])
                self.subs[prefix] = graphviz.Digraph(
                    name,
                    graph_attr={"label": dot_text(label), "style": "rounded", "color": "#999999"},
                )
        return self.subs[path]

    def node(
        self, path: tuple[str, ...], vid: str, label: str, html: bool = False, **attrs: Any
    ) -> None:
        """Add node ``vid`` inside the cluster of ``path``; ``label`` is text (see
        :func:`dot_text`) unless ``html`` says it is an HTML-like label ``<...>``."""
        self.cluster(path).node(vid, label if html else dot_text(label), **_attrs(attrs))

    def edge(self, tail: str, head: str, **attrs: Any) -> None:
        """Add an edge; edges are written after every cluster, at the top level."""
        self.edges.append((tail, head, _attrs(attrs)))

    def same_rank(self, path: tuple[str, ...], vids: list[str]) -> None:
        """Place the nodes ``vids`` (all inside the cluster of ``path``) in one rank."""
        with self.cluster(path).subgraph() as group:
            group.attr(rank="same")
            for vid in vids:
                group.node(vid)

    def finish(self) -> graphviz.Digraph:
        """Nest the clusters (deepest first, keeping creation order) and add the edges."""
        for path in sorted(self.subs, key=len, reverse=True):
            parent = self.subs[path[:-1]] if len(path) > 1 else self.root
            parent.subgraph(self.subs[path])
        for tail, head, attrs in self.edges:
            self.root.edge(tail, head, **attrs)
        return self.root


def _attrs(attrs: dict[str, Any]) -> dict[str, str]:
    """DOT attribute strings; a ``label`` goes through :func:`dot_text`."""
    out = {k: str(v) for k, v in attrs.items()}
    if "label" in out:
        out["label"] = dot_text(out["label"])
    return out
