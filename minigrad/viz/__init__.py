"""Render the recorded computation graph with Graphviz, or explore it in a browser.

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
- :func:`trace` -- record values, the backward order and per-step gradients of what
  runs inside it, for :func:`explore` (and ``draw(..., grads=True)``);
- :func:`explore` -- one self-contained HTML page: the collapsed graph, steps that open
  in place, details on hover, the backward pass replayed in the engine's order;
- :func:`save` -- write .svg/.png/.pdf (needs Graphviz's ``dot``) or .dot/.gv.

The engine never imports this package; it reads the tape, and :func:`trace` watches it
through the engine's generic observer hook (``minigrad.tape.observe``).
"""

from .draw import draw
from .explore import Explorer, explore
from .grads import track_grads
from .save import save
from .trace import trace, trace_stats

__all__ = ["Explorer", "draw", "explore", "save", "trace", "trace_stats", "track_grads"]
