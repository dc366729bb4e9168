"""Every primitive is captured and replayed: forward values and gradients as eager.

The list of primitives comes from the op registry; a new primitive without a replay
rule, or without a case here, fails by name.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import ops
from minigrad.compile import KERNELS
from minigrad.functional import log_softmax

R = np.random.default_rng(0)


def p(*shape: int, lo: float = -1.0) -> minigrad.Tensor:
    return minigrad.tensor(R.uniform(lo, 1.0, shape), requires_grad=True)


# op -> (function of the inputs, inputs); each case records the op named.
CASES = {
    "add": (lambda a, b: a + b, [p(3, 2), p(2)]),
    "sub": (lambda a, b: a - b, [p(3, 2), p(3, 1)]),
    "mul": (lambda a, b: a * b, [p(3, 2), p(3, 2)]),
    "div": (lambda a, b: a / b, [p(3, 2), p(2, lo=0.5)]),
    "pow": (lambda a, b: a**b, [p(3, 2, lo=0.2), p(3, 2)]),
    "maximum": (lambda a, b: minigrad.maximum(a, b), [p(3, 2), p(3, 2)]),
    "minimum": (lambda a, b: minigrad.minimum(a, b), [p(3, 2), p(2)]),
    "logaddexp": (lambda a, b: ops.logaddexp(a, b), [p(3, 2), p(3, 2)]),
    "where": (lambda a, b: minigrad.where(np.array([True, False]), a, b), [p(3, 2), p(3, 2)]),
    "neg": (lambda a: -a, [p(4)]),
    "exp": (lambda a: a.exp(), [p(4)]),
    "log": (lambda a: a.log(), [p(4, lo=0.1)]),
    "sqrt": (lambda a: a.sqrt(), [p(4, lo=0.1)]),
    "abs": (lambda a: a.abs(), [p(4)]),
    "tanh": (lambda a: a.tanh(), [p(4)]),
    "sigmoid": (lambda a: a.sigmoid(), [p(4)]),
    "relu": (lambda a: a.relu(), [p(4)]),
    "clip": (lambda a: a.clip(-0.3, 0.4), [p(5)]),
    "cast": (lambda a: a.astype(np.float32).astype(np.float64), [p(4)]),
    "matmul": (lambda a, b: a @ b, [p(3, 2), p(2, 4)]),
    "addmm": (lambda c, a, b: ops.addmm(c, a, b), [p(4), p(3, 2), p(2, 4)]),
    "sum": (lambda a: a.sum(axis=1, keepdims=True), [p(3, 2)]),
    "max": (lambda a: a.max(axis=0), [p(3, 2)]),
    "min": (lambda a: a.min(), [p(3, 2)]),
    "reshape": (lambda a: a.reshape(2, 3), [p(3, 2)]),
    "transpose": (lambda a: a.T, [p(3, 2)]),
    "broadcast_to": (lambda a: a.broadcast_to(3, 2), [p(2)]),
    "getitem": (lambda a: a[np.array([0, 2, 2]), 1:], [p(3, 2)]),
    "concatenate": (lambda a, b: minigrad.concatenate([a, b], axis=1), [p(3, 2), p(3, 1)]),
    "stack": (lambda a, b: minigrad.stack([a, b], axis=1), [p(3, 2), p(3, 2)]),
    "scatter": (lambda v: ops.scatter([v], [(np.array([0, 2, 0]), 1)], (3, 2)), [p(3)]),
    "cross_entropy": (lambda z: ops.cross_entropy(z, np.array([1, 0, 3])), [p(3, 4)]),
    "derived": (lambda a: log_softmax(a, axis=1), [p(3, 4)]),
}


def primitives() -> set[str]:
    """Every primitive of the op registry, and the derived constants."""
    return {n for n, op in ops.REGISTRY.items() if op.is_primitive} | {"derived"}


# Primitives that a compiled function runs eagerly (with one warning naming the op)
# because they have no replay rule yet. A new primitive must get a rule or be listed.
NO_RULE_YET = {
    "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "ceil",
    "contract", "cos", "cosh", "cumsum", "expm1", "floor", "hypot", "log1p", "prod",
    "remainder", "round", "sign", "sin", "sinc", "sinh", "tan",
}  # fmt: skip


def test_every_primitive_has_a_rule_and_a_case() -> None:
    names = primitives()
    assert names - set(KERNELS) == NO_RULE_YET, "ops without a replay rule"
    assert names - NO_RULE_YET - set(CASES) == set(), "ops without a capture test"


@pytest.mark.parametrize("op", sorted(NO_RULE_YET))
def test_an_op_without_a_rule_runs_eagerly_with_a_warning(op: str) -> None:
    x = minigrad.tensor(np.linspace(0.2, 0.8, 6).reshape(2, 3), requires_grad=True)
    uses = {
        "arctan2": lambda a: ops.arctan2(a, a + 1.0),
        "hypot": lambda a: ops.hypot(a, a + 1.0),
        "remainder": lambda a: a % 0.3,
        "contract": lambda a: ops.einsum("ij,kj->ik", a, a),
        "arccosh": lambda a: ops.arccosh(a + 1.5),
    }
    use = uses.get(op, lambda a: getattr(ops, op)(a))
    step = minigrad.compile(lambda a: (use(a) * 1.0).sum())
    with pytest.warns(RuntimeWarning, match="no replay rule"):
        compiled = step(x)
    compiled.backward()
    got = x.grad.copy()
    x.grad = None
    eager = (use(x) * 1.0).sum()
    eager.backward()
    np.testing.assert_allclose(compiled.item(), eager.item(), rtol=1e-12)
    np.testing.assert_allclose(got, x.grad, rtol=1e-12)


@pytest.mark.parametrize("op", sorted(CASES))
def test_capture_replays_values_and_gradients(op: str) -> None:
    fn, inputs = CASES[op]
    seen = []
    compiled = minigrad.compile(lambda *xs: fn(*xs))
    for call in range(2):
        xs = [minigrad.tensor(x.data + 0.1 * call, requires_grad=True) for x in inputs]
        want = fn(*xs)
        g = np.random.default_rng(call).normal(size=want.shape)
        want.backward(g)
        grads = [x.grad.copy() for x in xs]
        for x in xs:
            x.grad = None
        got = compiled(*xs)
        got.backward(g)
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got.data, want.data, rtol=1e-13, atol=1e-15)
        for x, ref in zip(xs, grads, strict=True):
            np.testing.assert_allclose(x.grad, ref, rtol=1e-13, atol=1e-15)
        seen.append(compiled.captures)
    assert seen == [1, 1]
    program = next(iter(compiled.programs.values()))
    assert op in program.ops
