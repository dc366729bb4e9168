"""Pictures of the unrolled graph of the rnn layers (the ``graph`` job).

A small layer runs a few steps on random data; the loss reads only the last step's
output, so with ``grads=True`` the colours show how much gradient reaches each earlier
step: the picture of vanishing (or exploding) gradients.
"""

from __future__ import annotations

import graphviz
import numpy as np

import minigrad
from minigrad import viz

from ..cells import cell_kind
from .models import make_layer

__all__ = ["unrolled_graph"]


def unrolled_graph(
    cell: str = "lstm",
    steps: int = 3,
    *,
    input_size: int = 3,
    hidden_size: int = 4,
    batch: int = 1,
    collapse: bool = False,
    grads: bool = False,
    recurrent_scale: float = 1.0,
    nonlinearity: str = "tanh",
    seed: int = 0,
    max_nodes: int = 2000,
) -> graphviz.Digraph:
    """Draw ``cell`` ("rnn", "lstm", "gru") unrolled over ``steps`` time steps.

    The loss is ``sum(h_T)``, the last step's output. ``recurrent_scale`` multiplies
    ``weight_hh`` (below 1 a tanh RNN's gradient fades; well above 1 it can explode).
    With ``grads=True`` a backward runs first and nodes are coloured by log10 of the
    gradient norm reaching them.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    minigrad.manual_seed(seed)
    kwargs = {"nonlinearity": nonlinearity} if "nonlinearity" in cell_kind(cell).options else {}
    layer = make_layer(cell, input_size, hidden_size, dtype=np.float64, **kwargs)
    with minigrad.no_grad():
        layer.weight_hh_l0.mul_(recurrent_scale)
    x = np.random.default_rng(seed).standard_normal((steps, batch, input_size))
    out, _ = layer(minigrad.tensor(x, dtype=np.float64))
    loss = out[-1].sum()
    if grads:
        viz.track_grads(loss)
        loss.backward()
    params = {f"{cell}.{name}": p for name, p in layer.named_parameters()}
    return viz.draw(loss, params=params, collapse=collapse, grads=grads, max_nodes=max_nodes)
