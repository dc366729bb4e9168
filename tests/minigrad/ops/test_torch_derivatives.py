"""Every registered op against PyTorch (when installed), driven by the registry: the
value, J v (forward mode), J^T u (reverse mode, a random cotangent u) and the
Hessian-vector product of <u, f> (double backward, create_graph on both sides), to
1e-10 in float64, on the hypothesis-drawn rows of tests/op_cases.py (broadcast pairs
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
from op_cases import CASES, _joined, _leaves, _with

import minigrad
from minigrad import Tensor, func
from minigrad.ops.registry import REGISTRY

torch = pytest.importorskip("torch")
from torch_ops import NO_TORCH, TORCH, Inexpressible, joined  # noqa: E402

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


def _np(t) -> np.ndarray:
    """A PyTorch result as an array (its structural zeros materialised)."""
    return (torch.zeros_like(t) + t.detach()).numpy()


def _close(got, expected, what: str) -> None:
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10, err_msg=what)


def _torch_jvp(tf, xs: tuple, vs: tuple) -> tuple:
    """PyTorch's J v: forward mode, or the double-vjp trick where an op has no
    forward-mode rule in PyTorch."""
    try:
        return torch.func.jvp(tf, xs, vs)
    except (NotImplementedError, RuntimeError):
        return torch.autograd.functional.jvp(tf, xs, vs, create_graph=False, strict=False)


def compare(name: str, args: tuple, rng: np.random.Generator, orders: int = 2) -> None:
    """Op ``name`` on ``args`` against PyTorch: the value, J v and J^T u and, with
    ``orders`` = 2, the derivative of <J^T u, v> (second order, both sides
    create_graph)."""
    leaves = _leaves(args)
    op, top = REGISTRY[name].forward, TORCH[name]

    def f(*ts):
        out = op(*_with(args, list(ts)))
        return Tensor(np.zeros(0)) if isinstance(out, list) and not out else _joined(out)

    def tf(*ts):
        return joined(top(*_with(args, list(ts))))

    if not leaves:
        _close(f().data, _np(tf()), f"{name}: value")
        return
    vs = [rng.standard_normal(v.shape) for v in leaves]
    tx = tuple(torch.tensor(v) for v in leaves)
    ty, tjv = _torch_jvp(tf, tx, tuple(torch.tensor(v) for v in vs))
    y, jv = func.jvp(f, tuple(Tensor(v) for v in leaves), tuple(Tensor(v) for v in vs))
    _close(y.data, _np(ty), f"{name}: value")
    # Where the value is NaN (a statistic of nothing) there is no derivative to compare.
    number = ~np.isnan(y.data)
    _close(np.where(number, jv.data, 0), np.where(number, _np(tjv), 0), f"{name}: J v")

    u = rng.standard_normal(y.shape)
    ts = [Tensor(v, requires_grad=True) for v in leaves]
    out = f(*ts)
    grads = (
        minigrad.grad(out, ts, grad_outputs=u, create_graph=True, allow_unused=True)
        if out.requires_grad
        else [None] * len(ts)
    )
    tts = [torch.tensor(v, requires_grad=True) for v in leaves]
    tout = tf(*tts)
    tgrads = (
        torch.autograd.grad(tout, tts, torch.tensor(u), create_graph=True, allow_unused=True)
        if tout.requires_grad
        else [None] * len(tts)
    )
    for g, tg, v in zip(grads, tgrads, leaves, strict=True):
        got = np.zeros(v.shape) if g is None else g.data
        _close(got, np.zeros(v.shape) if tg is None else _np(tg), f"{name}: J^T u")
    if orders < 2:
        return

    # Second order: d/dx <J^T u, v>.
    pairs = [(g, v) for g, v in zip(grads, vs, strict=True) if g is not None]
    tpairs = [(g, v) for g, v in zip(tgrads, vs, strict=True) if g is not None]
    s = sum(((g * Tensor(v)).sum() for g, v in pairs), Tensor(np.zeros(())))
    ts_ = sum(((g * torch.tensor(v)).sum() for g, v in tpairs), torch.zeros((), dtype=float))
    hv = minigrad.grad(s, ts, allow_unused=True) if s.requires_grad else [None] * len(ts)
    thv = (
        torch.autograd.grad(ts_, tts, allow_unused=True) if ts_.requires_grad else [None] * len(tts)
    )
    for h, th, v in zip(hv, thv, leaves, strict=True):
        got = np.zeros(v.shape) if h is None else h
        _close(got, np.zeros(v.shape) if th is None else _np(th), f"{name}: second derivative")


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
        compare(name, args, np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))))
    except Inexpressible:
        reject()


@pytest.mark.parametrize("name", [n for n in COMPARED if CASES[n].empty is not None])
def test_zero_size_inputs_match_pytorch(name):
    # Statistics of nothing divide 0 by 0 (NaN, with NumPy's warning).
    with np.errstate(invalid="ignore", divide="ignore"):
        compare(name, CASES[name].empty, np.random.default_rng(0))
