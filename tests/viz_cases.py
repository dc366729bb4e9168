"""What the minigrad.viz drawing tests share: small recurrent cells written by hand from
minigrad ops inside ``minigrad.scope("t=…")`` (the way the rnn layers tag their steps), a
reader for the DOT source ``minigrad.viz.draw`` writes, and the skip mark for tests that
need Graphviz's ``dot``.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

import minigrad

N, I, H = 2, 3, 4
NODE = re.compile(r'^\s*(\w+) \[label=(?:"((?:[^"\\]|\\.)*)"|<)')
EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[((?:(?!style=invis).)*)\])?$")
CLUSTER = re.compile(r"^\s*subgraph (cluster_\w+) \{")
LABEL = re.compile(r'^\s*graph \[.*label="([^"]*)"')


def params(gates: int, scale: float = 1.0) -> dict[str, minigrad.Tensor]:
    """PyTorch-layout weights for one layer with ``gates`` blocks of H rows."""
    rng = np.random.default_rng(0)
    shapes = {
        "weight_ih": (gates * H, I),
        "weight_hh": (gates * H, H),
        "bias_ih": (gates * H,),
        "bias_hh": (gates * H,),
    }
    p = {
        k: minigrad.tensor(rng.uniform(-0.5, 0.5, s), requires_grad=True) for k, s in shapes.items()
    }
    with minigrad.no_grad():
        p["weight_hh"].mul_(scale)
    return p


def inputs(T: int) -> list[minigrad.Tensor]:
    rng = np.random.default_rng(1)
    return [minigrad.tensor(rng.standard_normal((N, I))) for _ in range(T)]


def rnn(T: int, p: dict, scope: tuple[str, ...] = ()) -> minigrad.Tensor:
    """h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), h_0 = 0."""
    h = minigrad.zeros(N, H)
    for t, x in enumerate(inputs(T)):
        with _scopes((*scope, f"t={t}")):
            h = (x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]).tanh()
    return h


def lstm(T: int, p: dict) -> tuple[minigrad.Tensor, minigrad.Tensor]:
    """Gates (i, f, g, o) from one affine map; c_t = f c_{t-1} + i g, h_t = o tanh(c_t)."""
    h, c = minigrad.zeros(N, H), minigrad.zeros(N, H)
    for t, x in enumerate(inputs(T)):
        with minigrad.scope(f"t={t}"):
            gates = x @ p["weight_ih"].T + p["bias_ih"] + h @ p["weight_hh"].T + p["bias_hh"]
            i, f, g, o = gates.chunk(4, axis=1)
            c = f.sigmoid() * c + i.sigmoid() * g.tanh()
            h = o.sigmoid() * c.tanh()
    return h, c


def gru(T: int, p: dict) -> minigrad.Tensor:
    """r, z = σ(.), n = tanh(i_n + r h_n), h_t = (1 - z) n + z h_{t-1}."""
    h = minigrad.zeros(N, H)
    for t, x in enumerate(inputs(T)):
        with minigrad.scope(f"t={t}"):
            ir, iz, i_n = (x @ p["weight_ih"].T + p["bias_ih"]).chunk(3, axis=1)
            hr, hz, hn = (h @ p["weight_hh"].T + p["bias_hh"]).chunk(3, axis=1)
            r, z = (ir + hr).sigmoid(), (iz + hz).sigmoid()
            n = (i_n + r * hn).tanh()
            h = (1 - z) * n + z * h
    return h


class _scopes:
    """Enter several nested scopes at once."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.ctx = [minigrad.scope(n) for n in names]

    def __enter__(self) -> None:
        for c in self.ctx:
            c.__enter__()

    def __exit__(self, *exc: object) -> None:
        for c in reversed(self.ctx):
            c.__exit__(*exc)


def parse(source: str) -> tuple[dict, list, list]:
    """DOT source -> ({id: (label, cluster labels outermost first)}, edges, cluster labels)."""
    nodes: dict[str, tuple[str, tuple[str, ...]]] = {}
    edges: list[tuple[str, str, str]] = []
    clusters: list[str] = []
    path: list[str] = []
    for line in source.splitlines():
        if m := CLUSTER.match(line):
            path.append("?")
        elif path and path[-1] == "?" and (m := LABEL.match(line)):
            path[-1] = m.group(1)
            clusters.append(m.group(1))
        elif line.strip() == "}":
            if path:
                path.pop()
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
        elif m := NODE.match(line):
            nodes[m.group(1)] = (m.group(2) or "<html>", tuple(path))
    return nodes, edges, clusters


def by_label(nodes: dict, name: str) -> list[str]:
    return [k for k, (label, _) in nodes.items() if label.split("\\n")[0] == name]


needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` is not installed (see README setup)"
)
