"""Render the recorded computation graph with Graphviz.

>>> import minigrad, minigrad.viz
>>> w = minigrad.ones(3, requires_grad=True)
>>> g = minigrad.viz.draw((w * 2).sum(), params={"w": w})
>>> "w" in g.source
True

- :func:`draw` -- the graph as a ``graphviz.Digraph``: one cluster per scope (a time
  step ``t=k`` under its layer and direction), shared weights drawn once, optionally
  collapsed to one node per step or coloured by gradient norm;
- :func:`track_grads` -- hook every node so ``backward()`` records the gradient norms
  that ``draw(..., grads=True)`` shows;
- :func:`save` -- write .svg/.png/.pdf (needs Graphviz's ``dot``) or .dot/.gv.

The engine never imports this package; it reads the tape only.
"""

from .draw import draw
from .grads import track_grads
from .save import save

__all__ = ["draw", "save", "track_grads"]
