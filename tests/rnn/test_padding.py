"""Padding past a sequence's length never reaches the computation: NaN or inf there changes
nothing (outputs, states and every gradient equal those with clean padding)."""

from __future__ import annotations

import numpy as np
import pytest
from parity import CELLS, has_c, make_layer

import minigrad

LENGTHS = np.array([6, 2, 4])


def run(layer, x, lengths):
    xt = minigrad.tensor(x, requires_grad=True)
    out, state = layer(xt, lengths=lengths)
    states = state if isinstance(state, tuple) else (state,)
    loss = (out * out).sum() + sum((s * s).sum() for s in states)
    params = [p for _, p in layer.named_parameters()]
    grads = minigrad.grad(loss, [xt, *params])
    return [out.numpy(), *(s.numpy() for s in states)], grads


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["fwd", "bidir"])
@pytest.mark.parametrize("cell", CELLS)
def test_non_finite_padding_changes_nothing(cell, bidirectional, bad):
    layer = make_layer(cell, input_size=3, hidden_size=4, num_layers=2, bidirectional=bidirectional)
    rng = np.random.default_rng(0)
    clean = rng.normal(size=(6, 3, 3))
    padded = clean.copy()
    for n, length in enumerate(LENGTHS):
        clean[length:, n] = 0.0
        padded[length:, n] = bad
    values_clean, grads_clean = run(layer, clean, LENGTHS)
    values_bad, grads_bad = run(layer, padded, LENGTHS)
    for a, b in zip(values_bad, values_clean, strict=True):
        np.testing.assert_array_equal(a, b)
    for g_bad, g_clean in zip(grads_bad, grads_clean, strict=True):
        assert np.isfinite(g_bad).all()
        np.testing.assert_array_equal(g_bad, g_clean)
    # the padding's own input gradient is zero
    for n, length in enumerate(LENGTHS):
        assert (grads_bad[0][length:, n] == 0).all()
    assert has_c(cell) == (len(values_bad) == 3)
