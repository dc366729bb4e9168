"""Identity and Flatten (minigrad/nn/shape.py): against the reshape they stand for and
against torch.nn's modules."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import nn

X = np.random.default_rng(0).standard_normal((2, 3, 4, 5))


def test_identity_returns_its_input_and_ignores_its_arguments():
    x = minigrad.randn(2, 3)
    assert nn.Identity(54, unused_argument=0.1)(x) is x
    assert repr(nn.Identity(3)) == "Identity()"


@pytest.mark.parametrize(("start", "end"), [(1, -1), (0, 1), (1, 2), (-2, -1), (0, -1)])
def test_flatten_merges_axes_and_passes_the_gradient_back(start, end):
    x = minigrad.tensor(X, requires_grad=True)
    y = nn.Flatten(start, end)(x)
    np.testing.assert_array_equal(y.data, x.flatten(start, end).data)
    y.backward(np.arange(y.size, dtype=float).reshape(y.shape))
    np.testing.assert_array_equal(x.grad, np.arange(X.size, dtype=float).reshape(X.shape))
    assert repr(nn.Flatten(start, end)) == f"Flatten(start_dim={start}, end_dim={end})"


@pytest.mark.torch
@pytest.mark.parametrize(("start", "end"), [(1, -1), (0, 1), (1, 2), (-2, -1)])
def test_flatten_matches_torch(start, end):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.Flatten(start, end)
    ours = nn.Flatten(start, end)
    assert repr(ours) == repr(theirs) and repr(nn.Flatten()) == repr(torch.nn.Flatten())
    assert repr(nn.Identity()) == repr(torch.nn.Identity())
    np.testing.assert_array_equal(ours(minigrad.tensor(X)).data, theirs(torch.tensor(X)).numpy())


def test_flatten_refuses_start_after_end():
    with pytest.raises(ValueError, match="flatten: start_dim 2 comes after end_dim 1"):
        nn.Flatten(2, 1)(minigrad.zeros(2, 3, 4))
