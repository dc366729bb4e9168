"""The recorded graph behind some output tensors, collected without recursion.

A recursive walk dies at Python's recursion limit (~1000 frames) on an unrolled
sequence of a thousand steps; here an explicit stack holds the frontier, so the walk
is O(nodes + edges) in time and the call depth is constant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..autograd import Node
from ..tensor import Tensor

__all__ = ["Graph", "compiled_output", "step_of", "walk"]


@dataclass
class Graph:
    """Everything reachable from ``outputs``.

    ``nodes`` are the recorded ops in creation order (so parents come before their
    consumers); ``leaves`` maps ``id(tensor)`` to each leaf input, in first-seen order;
    ``outputs`` are the Nodes (or leaf Tensors) the walk started from.
    """

    nodes: list[Node]
    leaves: dict[int, Tensor]
    outputs: list[Node | Tensor] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._base = self.nodes[0].seq if self.nodes else 0

    def op_id(self, node: Node) -> str:
        """The DOT id of an op: ``n`` and its creation order within this graph (``n0``
        is its first op), so the same computation draws the same ids in any process."""
        return f"n{node.seq - self._base}"


def as_outputs(output: Tensor | Sequence[Tensor]) -> list[Tensor]:
    """``output`` as a list of tensors, with a clear error for anything else."""
    if isinstance(output, Tensor):
        outs = [output]
    elif isinstance(output, Sequence) and not isinstance(output, str):
        outs = list(output)
    else:  # a NumPy array would be read element by element, as 'a float64'
        raise TypeError(
            f"viz: the output is a {type(output).__name__}, not a minigrad Tensor or a list of them"
        )
    if not outs:
        raise ValueError("viz: no output to draw: pass a Tensor or a non-empty list of them")
    for k, t in enumerate(outs):
        if not isinstance(t, Tensor):
            raise TypeError(f"viz: output {k} is a {type(t).__name__}, not a minigrad Tensor")
    return outs


def compiled_output(output: Tensor | Sequence[Tensor]) -> int | None:
    """The position of the first output made by a compiled call (``minigrad.compile``),
    or None. Its backward runs as one planned program, not node by node: no hook or
    trace sees a node's gradient, and the graph drawn for it is an eager re-run."""
    for k, t in enumerate(as_outputs(output)):
        if t._node is not None and hasattr(t._node, "unrolled"):
            return k
    return None


COMPILED = (
    "{what}: output {k} comes from a compiled call (minigrad.compile), whose backward "
    "runs as one planned program, not node by node, so no gradient norm of its nodes "
    "is recorded; call the function uncompiled (the Compiled object's .fn) to colour "
    "the graph by gradient norm. draw(output) without grads still draws its graph"
)


def walk(output: Tensor | Sequence[Tensor]) -> Graph:
    """Collect the nodes and leaves reachable from ``output`` (a Tensor or a list)."""
    roots: list[Node | Tensor] = [t._node if t._node is not None else t for t in as_outputs(output)]
    # A compiled call's output stands for the graph eager mode records: draw that one.
    roots = [r.unrolled() or r if hasattr(r, "unrolled") else r for r in roots]
    seen: set[Node] = set()
    leaves: dict[int, Tensor] = {}
    stack: list[Node] = []
    for r in roots:
        if type(r) is Node:
            if r not in seen:
                seen.add(r)
                stack.append(r)
        else:
            leaves.setdefault(id(r), r)
    while stack:
        node = stack.pop()
        for p in node.parents:
            if type(p) is Node:
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
            elif id(p) not in leaves:
                leaves[id(p)] = p
    return Graph(sorted(seen, key=lambda n: n.seq), leaves, roots)


def step_of(scope: tuple[str, ...]) -> tuple[str, ...] | None:
    """The step a scope belongs to: its longest prefix ending in a ``t=`` name, or None.

    ``("layer=1", "dir=reverse", "t=0")`` and ``("layer=1", "dir=reverse", "t=0",
    "gate=i")`` both belong to step ``("layer=1", "dir=reverse", "t=0")``.
    """
    for k in range(len(scope) - 1, -1, -1):
        if scope[k].startswith("t="):
            return scope[: k + 1]
    return None
