"""Every registered op against PyTorch (when installed), driven by the registry: the
value, J v (forward mode), J^T u (reverse mode, a random cotangent u) and the
Hessian-vector product of <u, f> (double backward, create_graph on both sides), to
1e-10 in float64, on the hypothesis-drawn rows of tests/op_cases/ (broadcast pairs
and 0-d inputs among them) and on each row's zero-size arguments.

PyTorch's counterpart of each op is in tests/torch_ops.py; an op registered without
one (or without a stated reason it has none) fails here by name. Ties and kinks are
compared in test_torch_kinks.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from op_cases import CASES

import minigrad
from minigrad import Tensor
from minigrad.ops.registry import REGISTRY

torch = pytest.importorskip("torch")
from torch_ops import NO_TORCH, TORCH, Inexpressible  # noqa: E402
from torch_oracle import assert_match, evaluate  # noqa: E402

pytestmark = pytest.mark.torch

COMPARED = sorted(set(REGISTRY) & set(TORCH))
# The rows are checked against NumPy and finite differences elsewhere at the profile's
# full count; a third of it is enough for an oracle that shares none of their code.
FEWER = settings(max_examples=max(settings().max_examples // 3, 5))


def test_every_registered_op_has_a_pytorch_counterpart_or_a_reason():
    missing = sorted(set(REGISTRY) - set(TORCH) - set(NO_TORCH))
    assert not missing, f"add to TORCH or NO_TORCH in tests/torch_ops.py: {missing}"
    assert not set(TORCH) & set(NO_TORCH), sorted(set(TORCH) & set(NO_TORCH))
    stale = sorted((set(TORCH) | set(NO_TORCH)) - set(REGISTRY))
    assert not stale, f"entries for no registered op: {stale}"
    assert all(len(why) > 40 for why in NO_TORCH.values())


def _untie_exponent(args: tuple) -> tuple:
    """PyTorch sets d(a^b)/da to 0 wherever b == 0 exactly (a mask in its rule), so
    its derivative of that in b is 0 there instead of 1 = d2(a^b)/da db at b = 0;
    minigrad follows the formula (docs/ops.md). Compare away from b == 0."""
    a, b = args
    return a, np.where(b == 0, 0.5, b)


def _no_tiny_factors(args: tuple) -> tuple:
    """PyTorch's cumprod rules divide by the input, so its second derivative loses
    every digit for factors near 1e-16 (minigrad's uses no division). Zeros, where
    PyTorch switches to an exact rule, are compared in test_torch_kinks.py."""
    x, axis = args
    return np.where(np.abs(x) < 0.1, np.copysign(0.1, x) + x, x), axis


# Draws moved off points where PyTorch's own rules are inexact (see each function).
DOMAIN = {"pow": _untie_exponent, "cumprod": _no_tiny_factors}


@pytest.mark.parametrize("name", COMPARED)
@FEWER
@given(data=st.data())
def test_values_and_first_and_second_derivatives_match_pytorch(name, data):
    args = CASES[name].draw(data.draw)
    args = DOMAIN.get(name, lambda a: a)(args)
    try:
        sides = evaluate(name, args, np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))))
    except Inexpressible:
        reject()
    assert_match(name, sides)


@pytest.mark.parametrize("name", [n for n in COMPARED if CASES[n].empty is not None])
def test_zero_size_inputs_match_pytorch(name):
    # Statistics of nothing divide 0 by 0 (NaN, with NumPy's warning).
    with np.errstate(invalid="ignore", divide="ignore"):
        assert_match(name, evaluate(name, CASES[name].empty, np.random.default_rng(0)))


# PyTorch's ways of calling an op (its argument names and modes), which minigrad takes
# with PyTorch's values and gradients.
FORMS = [
    pytest.param(
        lambda x: x.round(decimals=1),
        lambda t: torch.round(t, decimals=1),
        id="round-decimals",
    ),
    pytest.param(
        lambda x: minigrad.pad(x, ((1, 1), (2, 0)), mode="wrap"),
        lambda t: torch.nn.functional.pad(t[None], (2, 0, 1, 1), mode="circular")[0],
        id="pad-wrap",
    ),
    pytest.param(
        lambda x: x.sum(dim=1, keepdim=True),
        lambda t: t.sum(dim=1, keepdim=True),
        id="sum-dim",
    ),
    pytest.param(
        lambda x: x.mean(dim=0),
        lambda t: t.mean(dim=0),
        id="mean-dim",
    ),
    pytest.param(
        lambda x: x.max(dim=1, keepdim=True),
        lambda t: t.amax(dim=1, keepdim=True),
        id="max-dim",
    ),
    pytest.param(
        lambda x: x.logsumexp(dim=1),
        lambda t: t.logsumexp(dim=1),
        id="logsumexp-dim",
    ),
    pytest.param(
        lambda x: x.softmax(dim=0),
        lambda t: t.softmax(dim=0),
        id="softmax-dim",
    ),
    pytest.param(
        lambda x: x.cumsum(dim=1),
        lambda t: t.cumsum(dim=1),
        id="cumsum-dim",
    ),
]


@pytest.mark.parametrize(("mine", "theirs"), FORMS)
def test_pytorchs_forms_of_a_call_give_pytorchs_values_and_gradients(mine, theirs):
    x = np.array([[1.234, -2.345, 3.0], [0.5, -1.5, 2.75]])
    t = torch.tensor(x, requires_grad=True)
    tout = theirs(t)
    u = np.random.default_rng(0).standard_normal(tuple(tout.shape))
    (tg,) = torch.autograd.grad(tout, t, torch.tensor(u))
    xt = Tensor(x, requires_grad=True)
    out = mine(xt)
    (g,) = minigrad.grad(out, xt, grad_outputs=u)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g, tg.numpy(), rtol=1e-12, atol=1e-12)
