"""Every op's derivative rules against each other and against finite differences,
driven by the registry and the rows of tests/op_cases/ (float64, hypothesis):

- every primitive defines a jvp and a tensor vjp (an op without them fails by name);
- <u, J v> = <J^T u, v> to 1e-10: forward mode (jvp) is the adjoint of reverse mode;
- J v against central differences of the op;
- jacrev == jacfwd (the whole Jacobian both ways);
- second derivatives: H v by double backward (create_graph) and by forward-over-reverse
  agree with each other and with central differences of the gradient; the first-order
  gradient of the create_graph walk equals the array walk's.

Composite ops run the same checks: their rules are their primitives'.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import CASES, _joined, _leaves, _with

import minigrad
from minigrad import Tensor, func
from minigrad.ops.registry import REGISTRY, definitions

NAMES = sorted(set(CASES) & set(REGISTRY))
PRIMITIVES = [op.name for op in definitions() if op.is_primitive]


@pytest.mark.parametrize("name", PRIMITIVES)
def test_every_primitive_has_a_jvp_and_a_tensor_vjp(name):
    op = REGISTRY[name]
    assert op.jvp is not None, f"{name}: no jvp rule (forward mode) in its definition"
    assert op.tensor_vjp is not None, f"{name}: no tensor_vjp (create_graph) in its definition"


def _problem(name: str, draw) -> tuple:
    """The op as a function of its float inputs (one tensor out), and the inputs."""
    op = REGISTRY[name].forward
    args = CASES[name].draw(draw)
    leaves = _leaves(args)

    def f(*ts: Tensor) -> Tensor:
        return _joined(op(*_with(args, list(ts))))

    return f, leaves


def _rng(draw) -> np.random.Generator:
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


def _dot(xs, ys) -> float:
    return float(sum(np.sum(np.asarray(x) * np.asarray(y)) for x, y in zip(xs, ys, strict=True)))


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_jvp_is_the_adjoint_of_vjp(name, data):
    f, leaves = _problem(name, data.draw)
    if not leaves:
        return
    rng = _rng(data.draw)
    xs = tuple(Tensor(v) for v in leaves)
    vs = tuple(Tensor(rng.standard_normal(v.shape)) for v in leaves)
    y, jv = func.jvp(f, xs, vs)
    u = rng.standard_normal(y.shape)
    _, pull = func.vjp(f, *xs)
    jtu = pull(Tensor(u))
    lhs, rhs = _dot([u], [jv.data]), _dot([g.data for g in jtu], [v.data for v in vs])
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs)), f"{name}: <u, Jv> {lhs} vs <J'u, v> {rhs}"


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_jvp_matches_central_differences(name, data):
    f, leaves = _problem(name, data.draw)
    if not leaves:
        return
    rng = _rng(data.draw)
    vs = [rng.standard_normal(v.shape) for v in leaves]
    _, jv = func.jvp(f, tuple(Tensor(v) for v in leaves), tuple(Tensor(v) for v in vs))
    eps = 1e-6
    up = f(*[Tensor(x + eps * v) for x, v in zip(leaves, vs, strict=True)]).data
    down = f(*[Tensor(x - eps * v) for x, v in zip(leaves, vs, strict=True)]).data
    np.testing.assert_allclose(jv.data, (up - down) / (2 * eps), rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_jacrev_equals_jacfwd(name, data):
    f, leaves = _problem(name, data.draw)
    if not leaves:
        return
    xs = [Tensor(v) for v in leaves]
    argnums = tuple(range(len(xs)))
    rev = func.jacrev(f, argnums=argnums)(*xs)
    fwd = func.jacfwd(f, argnums=argnums)(*xs)
    for k, (r, w) in enumerate(zip(rev, fwd, strict=True)):
        assert r.shape == w.shape, f"{name}: input {k} jacrev {r.shape} vs jacfwd {w.shape}"
        np.testing.assert_allclose(r.data, w.data, rtol=1e-12, atol=1e-12, err_msg=name)


def _gradient(f, xs: list[np.ndarray], u: np.ndarray) -> list[np.ndarray]:
    """d<u, f(x)>/dx on the array (first-order) path."""
    ts = [Tensor(x, requires_grad=True) for x in xs]
    grads = minigrad.grad(f(*ts), ts, grad_outputs=u, allow_unused=True)
    return [np.zeros_like(x) if g is None else g for g, x in zip(grads, xs, strict=True)]


@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_second_derivatives(name, data):
    f, leaves = _problem(name, data.draw)
    if not leaves:
        return
    rng = _rng(data.draw)
    u = rng.standard_normal(f(*[Tensor(v) for v in leaves]).shape)
    vs = [rng.standard_normal(v.shape) for v in leaves]
    ts = [Tensor(v, requires_grad=True) for v in leaves]
    grads = minigrad.grad(f(*ts), ts, grad_outputs=u, create_graph=True, allow_unused=True)
    # First order: the create_graph walk gives the array walk's gradient.
    plain = _gradient(f, leaves, u)
    for g, p in zip(grads, plain, strict=True):
        np.testing.assert_allclose(0 if g is None else g.data, p, rtol=1e-12, atol=1e-12)
    # Second order by double backward: d/dx <grad, v>.
    terms = [(g * Tensor(v)).sum() for g, v in zip(grads, vs, strict=True) if g is not None]
    s = sum(terms[1:], terms[0]) if terms else None
    if s is None or not s.requires_grad:
        hv = [np.zeros_like(v) for v in leaves]
    else:
        hv = minigrad.grad(s, ts, allow_unused=True)
        hv = [np.zeros_like(v) if h is None else h for h, v in zip(hv, leaves, strict=True)]
    # ... by forward-over-reverse.
    _, hv_fwd = func.hvp(
        lambda *xs: (f(*xs) * Tensor(u)).sum(),
        tuple(Tensor(v) for v in leaves),
        tuple(Tensor(v) for v in vs),
    )
    # ... and by central differences of the gradient.
    eps = 1e-5
    up = _gradient(f, [x + eps * v for x, v in zip(leaves, vs, strict=True)], u)
    down = _gradient(f, [x - eps * v for x, v in zip(leaves, vs, strict=True)], u)
    for k in range(len(leaves)):
        numeric = (up[k] - down[k]) / (2 * eps)
        np.testing.assert_allclose(hv[k], numeric, rtol=1e-5, atol=1e-6, err_msg=f"{name} {k}")
        np.testing.assert_allclose(hv_fwd[k].data, hv[k], rtol=1e-10, atol=1e-10, err_msg=name)
