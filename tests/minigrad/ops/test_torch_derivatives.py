"""First and second derivatives of every primitive against PyTorch (when installed):
the value, J v (forward mode), J^T u (reverse mode) and the Hessian-vector product of
<u, f> (double backward), to 1e-10 in float64, on the rows of tests/op_cases.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import CASES, _leaves, _with

import minigrad
from minigrad import Tensor, func
from minigrad.ops.registry import REGISTRY, definitions

torch = pytest.importorskip("torch")


def _axis(axis):
    return tuple(range(99)) if axis is None else axis


def _reduce(fn):
    def run(x, axis, keepdims):
        dims = tuple(range(x.ndim)) if axis is None else axis
        return fn(x, dim=dims, keepdim=keepdims)

    return run


def _getitem(x, idx):
    """x[idx] for any NumPy index (PyTorch refuses negative steps): gather the flat
    positions NumPy's own indexing selects."""
    pos = np.arange(x.numel()).reshape(tuple(x.shape))[idx]
    return torch.take(x, torch.as_tensor(np.ascontiguousarray(pos)))


def _scatter(values, indices, shape):
    zeros = torch.zeros(shape, dtype=values[0].dtype)
    return sum(
        torch.func.vjp(lambda z, i=i: _getitem(z, i), zeros)[1](v)[0]
        for v, i in zip(values, indices, strict=True)
    )


def _untie_exponent(args: tuple) -> tuple:
    """PyTorch sets d(a^b)/da to 0 wherever b == 0 exactly (to avoid 0 * inf), so its
    derivative of that in b is 0 there instead of 1 = d2(a^b)/da db at b = 0; minigrad
    follows the formula. Compare away from b == 0."""
    a, b = args
    return a, np.where(b == 0, 0.5, b)


def _prod(x, axis, keepdims):
    """torch.prod reduces one dim at a time."""
    dims = range(x.ndim) if axis is None else ((axis,) if isinstance(axis, int) else axis)
    for d in sorted((d % max(x.ndim, 1) for d in dims), reverse=True):
        x = torch.prod(x, d, keepdim=True) if x.ndim else x
    return x if keepdims else x.reshape([n for i, n in enumerate(x.shape) if i not in dims])


# The PyTorch function for each primitive, called with the same arguments (tensors
# where minigrad gets tensors).
TORCH = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
    "pow": torch.pow,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "logaddexp": torch.logaddexp,
    "where": lambda c, a, b: torch.where(torch.as_tensor(c), a, b),
    "neg": torch.neg,
    "exp": torch.exp,
    "log": torch.log,
    "sqrt": torch.sqrt,
    "abs": torch.abs,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "clip": torch.clamp,
    "cast": lambda x, d: x.to(torch.float64),
    "matmul": torch.matmul,
    "addmm": lambda c, a, b: c + a @ b,
    "sum": _reduce(torch.sum),
    "max": _reduce(torch.amax),
    "min": _reduce(torch.amin),
    "reshape": torch.reshape,
    "transpose": torch.permute,
    "broadcast_to": torch.broadcast_to,
    "getitem": _getitem,
    "scatter": _scatter,
    "concatenate": lambda ts, axis: torch.cat(ts, dim=axis),
    "stack": lambda ts, axis: torch.stack(ts, dim=axis),
    "cross_entropy": lambda z, t, ignore, reduction: torch.nn.functional.cross_entropy(
        z, torch.as_tensor(t), ignore_index=ignore, reduction=reduction
    ),
    # The NumPy/PyTorch op set.
    "sin": torch.sin,
    "cos": torch.cos,
    "tan": torch.tan,
    "arcsin": torch.asin,
    "arccos": torch.acos,
    "arctan": torch.atan,
    "sinh": torch.sinh,
    "cosh": torch.cosh,
    "arcsinh": torch.asinh,
    "arccosh": torch.acosh,
    "arctanh": torch.atanh,
    "arctan2": torch.atan2,
    "hypot": torch.hypot,
    "sinc": torch.sinc,
    "log1p": torch.log1p,
    "expm1": torch.expm1,
    "sign": torch.sign,
    "floor": torch.floor,
    "ceil": torch.ceil,
    "round": torch.round,
    # torch.remainder has no forward-mode rule: the same function from floor.
    "remainder": lambda a, b: a - torch.floor(a / b) * b,
    "prod": _prod,
    "contract": lambda a, b, spec: torch.einsum(spec, a, b),
    "cumsum": lambda x, axis: torch.cumsum(x, axis),
}

PRIMITIVES = [op.name for op in definitions() if op.is_primitive]


def test_every_primitive_has_a_pytorch_counterpart_here():
    assert set(PRIMITIVES) <= set(TORCH), f"add to TORCH: {sorted(set(PRIMITIVES) - set(TORCH))}"


def _np(t) -> np.ndarray:
    """A PyTorch result as an array (its structural zeros materialised)."""
    return (torch.zeros_like(t) + t.detach()).numpy()


@pytest.mark.parametrize("name", PRIMITIVES)
@given(data=st.data())
def test_first_and_second_derivatives_match_pytorch(name, data):
    args = CASES[name].draw(data.draw)
    if name == "pow":
        args = _untie_exponent(args)
    leaves = _leaves(args)
    if not leaves:
        return
    op, top = REGISTRY[name].forward, TORCH[name]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    vs = [rng.standard_normal(v.shape) for v in leaves]

    def f(*ts):
        return op(*_with(args, list(ts)))

    def tf(*ts):
        return top(*_with(args, list(ts)))

    y, jv = func.jvp(f, tuple(Tensor(v) for v in leaves), tuple(Tensor(v) for v in vs))
    ty, tjv = torch.func.jvp(
        tf, tuple(torch.tensor(v) for v in leaves), tuple(torch.tensor(v) for v in vs)
    )
    np.testing.assert_allclose(y.data, _np(ty), rtol=1e-10, atol=1e-10, err_msg=name)
    np.testing.assert_allclose(jv.data, _np(tjv), rtol=1e-10, atol=1e-10, err_msg=name)

    u = rng.standard_normal(y.shape)
    ts = [Tensor(v, requires_grad=True) for v in leaves]
    grads = minigrad.grad(f(*ts), ts, grad_outputs=u, create_graph=True, allow_unused=True)
    tts = [torch.tensor(v, requires_grad=True) for v in leaves]
    tgrads = torch.autograd.grad(
        tf(*tts), tts, torch.tensor(u), create_graph=True, allow_unused=True
    )
    for g, tg in zip(grads, tgrads, strict=True):
        expected = np.zeros(1) if tg is None else _np(tg)
        got = np.zeros(1) if g is None else g.data
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10, err_msg=name)

    # Second order: d/dx <grad, v>.
    pairs = [(g, v) for g, v in zip(grads, vs, strict=True) if g is not None]
    tpairs = [(g, v) for g, v in zip(tgrads, vs, strict=True) if g is not None]
    s = sum(((g * Tensor(v)).sum() for g, v in pairs), Tensor(np.zeros(())))
    ts_ = sum(((g * torch.tensor(v)).sum() for g, v in tpairs), torch.zeros(()))
    hv = minigrad.grad(s, ts, allow_unused=True) if s.requires_grad else [None] * len(ts)
    thv = (
        torch.autograd.grad(ts_, tts, allow_unused=True) if ts_.requires_grad else [None] * len(tts)
    )
    for h, th, v in zip(hv, thv, leaves, strict=True):
        got = np.zeros(v.shape) if h is None else h
        expected = np.zeros(v.shape) if th is None else _np(th)
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10, err_msg=name)
