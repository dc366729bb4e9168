"""Positions from Graphviz: ``dot -Tjson`` on a drawing, read back for the browser.

The explorer draws in the page what Graphviz laid out, so it and the static picture of
the same graph agree node for node. Coordinates come back in points with the y axis
pointing down (SVG's convention; Graphviz's points up).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from typing import Any

import graphviz

from .save import INSTALL

__all__ = ["Layout", "lay_out"]

Layout = dict[str, Any]


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",")]


def lay_out(graph: graphviz.Digraph) -> Layout:
    """Run ``dot -Tjson`` on ``graph`` and return its geometry.

    ``{"size": [w, h], "nodes": {name: [cx, cy, w, h]}, "edges": [{"tail", "head",
    "path": [[x, y], ...], "arrow": [x, y] | None, "label", "lp": [x, y] | None}],
    "clusters": [{"name", "label", "bb": [x0, y0, x1, y1], "lp": [x, y], "depth"}]}``;
    invisible edges are left out (they only steer the layout).
    """
    if shutil.which("dot") is None:
        raise RuntimeError(INSTALL.format(fmt="the explorer's layout", instead=""))
    done = subprocess.run(
        ["dot", "-Tjson"], input=graph.source.encode(), capture_output=True, check=False
    )
    if done.returncode < 0:  # killed by a signal: a segfault in its layout, most often
        name = signal.Signals(-done.returncode).name
        raise RuntimeError(
            f"dot -Tjson was killed by {name} laying out {graph.source.count(' -> ')} edges: "
            "the graph is too large for Graphviz's layout; draw fewer nodes"
        )
    if done.returncode != 0:
        raise RuntimeError(f"dot -Tjson failed: {done.stderr.decode(errors='replace').strip()}")
    raw = json.loads(done.stdout)
    height = _floats(raw["bb"])[3]

    def point(text: str) -> list[float]:
        x, y = _floats(text)
        return [round(x, 1), round(height - y, 1)]

    names: dict[int, str] = {}
    nodes: dict[str, list[float]] = {}
    clusters = []
    depth: dict[int, int] = {}
    for obj in raw.get("objects", []):
        gvid = obj["_gvid"]
        names[gvid] = obj["name"]
        if "bb" in obj:
            x0, y0, x1, y1 = _floats(obj["bb"])
            d = depth.get(gvid, 0)
            for sub in obj.get("subgraphs", []):
                depth[sub] = d + 1
            clusters.append(
                {
                    "name": obj["name"],
                    "label": obj.get("label", ""),
                    "bb": [x0, height - y1, x1, height - y0],
                    "lp": point(obj["lp"]) if "lp" in obj else None,
                    "depth": d,
                }
            )
        elif "pos" in obj and obj.get("style") != "invis":
            cx, cy = point(obj["pos"])
            w, h = float(obj["width"]) * 72, float(obj["height"]) * 72
            nodes[obj["name"]] = [cx, cy, round(w, 1), round(h, 1)]
    edges = []
    for e in raw.get("edges", []):
        if e.get("style") == "invis" or "pos" not in e:
            continue
        path, arrow = [], None
        for part in e["pos"].split():
            if part.startswith("e,"):
                arrow = point(part[2:])
            elif not part.startswith("s,"):
                path.append(point(part))
        edges.append(
            {
                "tail": names[e["tail"]],
                "head": names[e["head"]],
                "path": path,
                "arrow": arrow,
                "label": e.get("label", ""),
                "lp": point(e["lp"]) if "lp" in e else None,
            }
        )
    return {"size": [_floats(raw["bb"])[2], height], "nodes": nodes, "edges": edges,
            "clusters": clusters}  # fmt: skip
