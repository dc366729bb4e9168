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

__all__ = ["explorer_page", "unrolled_graph"]


def unrolled_graph(
    cell: str = "lstm",
    steps: int = 3,
    *,
    input_size: int = 3,
    hidden_size: int = 4,
    num_layers: int = 1,
    batch: int = 1,
    collapse: bool = False,
    grads: bool = False,
    recurrent_scale: float = 1.0,
    nonlinearity: str = "tanh",
    seed: int = 0,
    max_nodes: int = 2000,
) -> graphviz.Digraph:
    """Draw ``cell`` ("rnn", "lstm", "gru") unrolled over ``steps`` time steps, in
    ``num_layers`` stacked layers.

    The loss is ``sum(h_T)``, the last step's output. ``recurrent_scale`` multiplies
    ``weight_hh`` (below 1 a tanh RNN's gradient fades; well above 1 it can explode).
    With ``grads=True`` a backward runs first and nodes are coloured by log10 of the
    gradient norm reaching them.
    """
    layer, x = _layer(
        cell, steps, input_size, hidden_size, batch, recurrent_scale, nonlinearity, seed,
        num_layers,
    )  # fmt: skip
    out, _ = layer(x)
    loss = out[-1].sum()
    if grads:
        viz.track_grads(loss)
        loss.backward()
    params = {f"{cell}.{name}": p for name, p in layer.named_parameters()}
    return viz.draw(loss, params=params, collapse=collapse, grads=grads, max_nodes=max_nodes)


def explorer_page(
    cell: str = "lstm",
    steps: int = 3,
    *,
    input_size: int = 3,
    hidden_size: int = 4,
    num_layers: int = 1,
    recurrent_scale: float = 1.0,
    seed: int = 0,
    max_nodes: int = 2000,
) -> viz.Explorer:
    """The same model and loss as :func:`unrolled_graph`, traced through forward and
    backward and returned as the interactive explorer page (``.save(path)`` writes it);
    ``max_nodes`` as :func:`minigrad.viz.explore`'s."""
    layer, x = _layer(
        cell, steps, input_size, hidden_size, 1, recurrent_scale, "tanh", seed, num_layers
    )
    with viz.trace():
        out, _ = layer(x)
        loss = out[-1].sum()
        loss.backward()
    params = {f"{cell}.{name}": p for name, p in layer.named_parameters()}
    title = f"{cell.upper()}, {num_layers} layer(s), {steps} steps: loss = sum(h_T)"
    return viz.explore(loss, params=params, title=title, max_nodes=max_nodes)


def _layer(
    cell: str,
    steps: int,
    input_size: int,
    hidden_size: int,
    batch: int,
    recurrent_scale: float,
    nonlinearity: str,
    seed: int,
    num_layers: int = 1,
) -> tuple:
    """A float64 layer (recurrent weights scaled) and a random input of ``steps`` steps."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    minigrad.manual_seed(seed)
    kwargs = {"nonlinearity": nonlinearity} if "nonlinearity" in cell_kind(cell).options else {}
    layer = make_layer(
        cell, input_size, hidden_size, num_layers=num_layers, dtype=np.float64, **kwargs
    )
    with minigrad.no_grad():
        for k in range(num_layers):
            getattr(layer, f"weight_hh_l{k}").mul_(recurrent_scale)
    x = np.random.default_rng(seed).standard_normal((steps, batch, input_size))
    return layer, minigrad.tensor(x, dtype=np.float64)
