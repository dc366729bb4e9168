"""Zero-size batches: layers and cells return empty outputs of the right shapes, as PyTorch
does, and backpropagate zero gradients; a sequence without time steps is a clear error."""

from __future__ import annotations

import numpy as np
import pytest
from parity import CELLS, has_c, make_cell, make_layer

import minigrad


@pytest.mark.parametrize(
    "config",
    [{}, {"num_layers": 2, "bidirectional": True}, {"batch_first": True, "num_layers": 2}],
    ids=["plain", "2-bidir", "bf-2"],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cell", CELLS)
def test_empty_batch_gives_empty_outputs(cell, dtype, config):
    layer = make_layer(cell, input_size=3, hidden_size=4, dtype=dtype, **config)
    D, L = 2 if layer.bidirectional else 1, layer.num_layers
    shape = (0, 5, 3) if layer.batch_first else (5, 0, 3)
    x = minigrad.tensor(np.zeros(shape, dtype), requires_grad=True)
    out, state = layer(x)
    assert out.shape == ((0, 5, D * 4) if layer.batch_first else (5, 0, D * 4))
    assert out.dtype == dtype
    states = state if isinstance(state, tuple) else (state,)
    assert len(states) == (2 if has_c(cell) else 1)
    assert all(s.shape == (L * D, 0, 4) for s in states)
    loss = out.sum() + sum(s.sum() for s in states)
    loss.backward()
    assert x.grad.shape == shape
    for name, p in layer.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape and not p.grad.any(), name


@pytest.mark.parametrize("cell", CELLS)
def test_empty_batch_with_initial_state_and_lengths(cell):
    layer = make_layer(cell, input_size=3, hidden_size=4, num_layers=2)
    h0 = np.zeros((2, 0, 4))
    hx = (h0, h0) if has_c(cell) else h0
    out, _ = layer(np.zeros((5, 0, 3)), hx, lengths=np.zeros(0, np.int64))
    assert out.shape == (5, 0, 4)


@pytest.mark.parametrize("cell", CELLS)
def test_cell_empty_batch(cell):
    mod = make_cell(cell)
    x = minigrad.tensor(np.zeros((0, 3)), requires_grad=True)
    new = mod(x)
    states = new if isinstance(new, tuple) else (new,)
    assert all(s.shape == (0, 4) for s in states)
    sum(s.sum() for s in states).backward()
    assert x.grad.shape == (0, 3)
    assert mod.weight_hh.grad.shape == mod.weight_hh.shape and not mod.weight_hh.grad.any()
