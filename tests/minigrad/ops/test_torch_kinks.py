"""Ties, kinks and singular points against PyTorch (when installed): at each point the
value, J v, J^T u and the second derivative are PyTorch's, except the parts listed in
a point's ``unlike``, where minigrad differs on purpose (the table "Where PyTorch's
derivatives are not followed" in docs/ops.md). There the test checks what minigrad
does instead, and that PyTorch still does what the table says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

import minigrad
from minigrad import Tensor

torch = pytest.importorskip("torch")
from torch_oracle import PARTS, assert_match, evaluate  # noqa: E402

pytestmark = pytest.mark.torch

A = np.array
INF, NAN = math.inf, math.nan


@dataclass(frozen=True)
class Point:
    """Op ``name`` at ``args``; ``unlike`` names the parts where minigrad differs
    from PyTorch on purpose: "jvp" (PyTorch's J v disagrees with its own J^T u) or
    "second" (PyTorch's second derivative is NaN where minigrad's is a number)."""

    name: str
    args: tuple
    unlike: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.name}{self.args!r}".replace("\n", "").replace(" ", "")


POINTS = [
    # kinks of piecewise-linear functions: the derivative at the kink is 0 (relu, abs)
    # or the inside one (clip's bounds belong to the interval)
    Point("abs", (A([0.0, 1.0, -1.0]),)),
    Point("abs", (A(0.0),)),
    Point("relu", (A([0.0, 1.0, -1.0]),)),
    # NaN and infinities: relu and clip's masks are comparisons, abs's is sign(a); a NaN
    # passes g through relu (not a <= 0, as maximum(a, 0)), not through clip (a in [lo, hi])
    Point("relu", (A([NAN, INF, -INF, -0.0]),)),
    Point("clip", (A([NAN, INF, -INF]), -1.0, 1.0)),
    Point("clip", (A([NAN, 2.0]), None, 1.0)),
    Point("abs", (A([INF, -INF, -0.0]),)),
    Point("clip", (A([-1.0, 1.0, 0.0, 2.0, -2.0]), -1.0, 1.0)),
    Point("clip", (A([-1.0, 1.0, 0.0]), None, 1.0)),
    Point("clip", (A([-1.0, 1.0, 0.0]), 1.0, -1.0)),
    Point("clip", (A([INF, -INF]), -1.0, 1.0)),
    # steps: flat on both sides and at the jump; halves round to even
    Point("sign", (A([0.0, 1.0, -1.0]),)),
    Point("floor", (A([0.0, 1.0, -2.0, 0.5]),)),
    Point("ceil", (A([0.0, 1.0, -2.0, 0.5]),)),
    Point("round", (A([0.5, 1.5, 2.5, -0.5, -1.5, 1.0]),)),
    Point("remainder", (A([2.0, -3.0, 0.0, 3.0]), A([1.0, 1.5, 2.0, -1.5]))),
    Point("floor_divide", (A([2.0, -3.0, 0.0, 3.0]), A([1.0, 1.5, 2.0, -1.5]))),
    # ties: max/min reductions and maximum/minimum split g evenly, fmax/fmin give it to a
    Point("max", (A([[1.0, 1.0, 0.0], [2.0, 2.0, 2.0]]), None, False)),
    Point("max", (A([[1.0, 1.0, 0.0], [2.0, 2.0, 2.0]]), 1, True)),
    Point("max", (A([[1.0, 1.0, 0.0], [2.0, 2.0, 2.0]]), 0, False)),
    Point("max", (A([[1.0, 1.0], [1.0, 1.0]]), (0, 1), False)),
    Point("max", (A([INF, 1.0, INF]), None, False)),
    Point("min", (A([[1.0, 1.0, 3.0], [2.0, 2.0, 2.0]]), None, False)),
    Point("min", (A([[1.0, 1.0, 3.0], [2.0, 2.0, 2.0]]), 1, True)),
    Point("maximum", (A([1.0, 2.0, 0.0]), A([1.0, 1.0, 0.0]))),
    Point("maximum", (A([1.0, 1.0]), A(1.0))),
    Point("minimum", (A([1.0, 2.0, 0.0]), A([1.0, 1.0, 0.0]))),
    Point("maximum", (A([NAN, 1.0, INF, NAN]), A([1.0, NAN, INF, NAN]))),
    Point("minimum", (A([NAN, 1.0, -INF]), A([1.0, NAN, -INF]))),
    Point("max", (A([NAN, 1.0, NAN]), None, False)),
    Point("min", (A([[NAN, 1.0], [2.0, 3.0]]), 1, False)),
    Point("fmax", (A([1.0, 2.0, 0.0]), A([1.0, 1.0, 0.0])), unlike=("jvp",)),
    Point("fmin", (A([1.0, 2.0, 0.0]), A([1.0, 3.0, 0.0]))),
    Point("fmax", (A([1.0, NAN, NAN]), A([NAN, 1.0, NAN]))),
    Point("fmin", (A([1.0, NAN, NAN]), A([NAN, 1.0, NAN]))),
    Point("sort", (A([1.0, 1.0, 0.0, 1.0]), -1)),
    Point("sort", (A([[2.0, 2.0], [1.0, 1.0]]), 0)),
    # zeros of products (exact, no division)
    Point("prod", (A([2.0, 0.0, 3.0]), None, False)),
    Point("prod", (A([0.0, 0.0, 3.0]), None, False)),
    Point("prod", (A([0.0, 0.0, 0.0]), None, False)),
    Point("prod", (A([[2.0, 0.0], [0.0, 0.0]]), 1, False)),
    Point("prod", (A([[2.0, 0.0], [0.0, 3.0]]), 0, True)),
    Point("cumprod", (A([2.0, 0.0, 3.0, 4.0]), 0)),
    Point("cumprod", (A([0.0, 0.0, 3.0]), None)),
    Point("cumprod", (A([[2.0, 0.0, 5.0], [1.0, 3.0, 0.0]]), -1)),
    # roots at 0: std of a constant, norms of a zero vector (gradient 0)
    Point("std", (A([2.0, 2.0, 2.0]), None, 0, False)),
    Point("std", (A([[2.0, 2.0], [1.0, 3.0]]), 1, 1, False)),
    Point("std", (A([[2.0, 2.0], [2.0, 2.0]]), 0, 1, True)),
    Point("std", (A([5.0]), None, 0, False)),
    Point("var", (A([2.0, 2.0, 2.0]), None, 0, False)),
    Point("norm", (A([0.0, 0.0, 0.0]), None, None, False), unlike=("second",)),
    Point("norm", (A([0.0, 0.0, 0.0]), 2, None, False), unlike=("second",)),
    Point("norm", (A([[0.0, 0.0], [0.0, 0.0]]), "fro", None, False), unlike=("second",)),
    Point("norm", (A([[0.0, 0.0], [1.0, 2.0]]), None, 1, False), unlike=("second",)),
    Point("norm", (A([0.0, 0.0, 0.0]), 1, None, False)),
    Point("norm", (A([0.0, 0.0, 0.0]), 3, None, False)),
    Point("norm", (A([[0.0, 0.0], [1.0, 2.0]]), 3, 1, True)),
    Point("norm", (A([0.0, 0.0, 0.0]), INF, None, False)),
    Point("norm", (A([0.0, 0.0, 2.0]), -INF, None, False)),
    Point("norm", (A([1.0, -1.0, 0.5]), INF, None, False)),
    Point("norm", (A([1.0, -1.0, 0.5]), 3, None, False)),
    Point("norm", (A([0.0, 0.0, 0.0]), 1.5, None, False)),
    Point("norm", (A([0.0, 1.0, -2.0]), 1.5, None, False)),
    Point("norm", (A([0.0, 0.0, 0.0]), 0.5, None, False), unlike=("second",)),
    Point("norm", (A([0.0, 1.0, -2.0]), 0.5, None, False), unlike=("second",)),
    Point("norm", (A([0.0, 1.0, -2.0]), -1, None, False), unlike=("second",)),
    Point("norm", (A([0.0, 0.0, 0.0]), -2.5, None, False), unlike=("second",)),
    Point("norm", (A([0.0, 1.0, -2.0]), 0, None, False)),
    # matrix 1- and inf-norms at a tie of column (row) sums: g split evenly (amax)
    Point("norm", (A([[1.0, -2.0], [-2.0, 1.0]]), 1, None, False)),
    Point("norm", (A([[1.0, -2.0], [-2.0, 1.0]]), -np.inf, None, False)),
    Point("norm", (A([[0.0, 3.0], [-2.0, 0.0]]), np.inf, (1, 0), True)),
    Point("sqrt", (A([0.0, 1.0]),)),
    # singular points
    Point("hypot", (A([0.0, 0.0, 3.0]), A([0.0, 1.0, 0.0]))),
    Point("arctan2", (A([0.0, 0.0, 1.0]), A([0.0, 1.0, 0.0])), unlike=("jvp", "second")),
    Point("sinc", (A([0.0, 1.0, -1.0]),), unlike=("second",)),
    Point("pow", (A([0.0, 0.0, 2.0]), A([2.0, 0.0, 0.0])), unlike=("second",)),
    Point("pow", (A([0.0, 0.0]), A(3.0)), unlike=("second",)),
    Point("pow", (A([-1.0, -2.0]), A(2.0))),
    Point("log", (A([0.0, 1.0]),)),
    Point("reciprocal", (A([0.0, 1.0]),)),
    Point("arcsin", (A([1.0, -1.0, 0.0]),)),
    Point("arccosh", (A([1.0, 2.0]),)),
    Point("arctanh", (A([1.0, -1.0, 0.0]),)),
    Point("logaddexp", (A([1.0, -INF]), A([1.0, 0.0])), unlike=("second",)),
    # an infinite operand: (1, 0) to the infinite one, as PyTorch's 1 / (1 + e^(b - a));
    # its second derivative at (inf, x) is NaN (e^(a - b) = inf), minigrad's 0
    Point("logaddexp", (A([INF, 1.0, INF, -INF]), A([1.0, INF, -INF, 2.0])), unlike=("second",)),
    Point("logaddexp2", (A([INF, 1.0, INF, -INF]), A([1.0, INF, -INF, 2.0])), unlike=("second",)),
    # operands so large that e^a + e^b rounds to e^a: the weights are sigmoid(a - b), not
    # e^(a - out) (1 for a, 0 for b)
    Point("logaddexp", (A([1e20, 1e8, -1e8]), A([1e20, 1e8 - 1.0, -1e8 + 3.0]))),
    Point("logaddexp2", (A([1e20, -1e20]), A([1e20, -1e20]))),
    Point("logsumexp", (A([0.0, 0.0, 0.0]), None, False)),
    Point("softmax", (A([1.0, 1.0, 1.0]), -1)),
    Point("where", (A([True, False]), A([INF, 1.0]), A([2.0, NAN]))),
    # activations: the derivative at 0 and at NaN is the branch PyTorch's mask picks
    # (leaky_relu: x > 0; elu: not x <= 0); infinities give PyTorch's values and gradients
    Point("leaky_relu", (A([0.0, -0.0, NAN, INF, -INF, 1.0, -1.0]), 0.2)),
    Point("elu", (A([NAN, INF, -INF, 1.0, -1.0, 1e-300, -1e-300]), 1.5)),
    Point("silu", (A([0.0, -0.0, 30.0, -30.0]),)),
    Point("gelu", (A([0.0, -0.0, 10.0, -10.0, 40.0, -40.0]), "none")),
    Point("gelu", (A([0.0, -0.0, 10.0, -10.0, 40.0, -40.0]), "tanh")),
    Point("erf", (A([0.0, -0.0, 6.0, -6.0, 30.0, INF, -INF]),)),
    Point("logsigmoid", (A([0.0, -0.0, 30.0, -30.0, 800.0, -800.0, INF]),)),
    Point("logsigmoid", (A([-INF, -1e20]),)),
    # masked_fill selects: an inf or NaN in a filled position reaches neither the value
    # nor the gradient; gather's repeated indices accumulate
    Point("masked_fill", (A([INF, NAN, 1.0]), A([True, True, False]), 2.0)),
    Point("masked_fill", (A([INF, NAN, 1.0]), A([True, True, False]), A(2.0))),
    Point("gather", (A([[1.0, 2.0], [3.0, 4.0]]), 1, np.array([[1, 1, 1], [0, 1, 0]]))),
    Point("scatter_add", (A([1.0, 2.0]), 0, np.array([1, 1, 1]), A([1.0, 2.0, 3.0, 4.0]))),
]


@pytest.mark.parametrize("point", POINTS, ids=str)
def test_at_ties_and_kinks_minigrad_follows_pytorch(point):
    with np.errstate(divide="ignore", invalid="ignore"):
        sides = evaluate(point.name, point.args, np.random.default_rng(1))
    assert_match(point.name, sides, tuple(p for p in PARTS if p not in point.unlike))
    if "jvp" in point.unlike:
        # minigrad's J v is the adjoint of its (PyTorch's) J^T u: <u, J v> = <J^T u, v>
        (jv,), _ = sides.parts["jvp"]
        grads, _ = sides.parts["vjp"]
        lhs = np.sum(sides.u * jv)
        rhs = sum(np.sum(g * v) for g, v in zip(grads, sides.vs, strict=True))
        assert np.isclose(lhs, rhs, rtol=1e-12, atol=1e-12), (lhs, rhs)
        (tjv,) = sides.parts["jvp"][1]
        assert not np.allclose(jv, tjv, equal_nan=True), "PyTorch's J v now agrees: update docs"
    if "second" in point.unlike:
        mine, theirs = sides.parts["second"]
        assert all(np.isfinite(h).all() for h in mine), mine
        assert any(np.isnan(h).any() for h in theirs), "PyTorch's is a number now: update docs"


def test_second_derivative_of_sinc_at_0_is_its_limit():
    x = Tensor(np.zeros(()), requires_grad=True)
    (g,) = minigrad.grad(minigrad.sinc(x), x, create_graph=True)
    (h,) = minigrad.grad(g, x)
    np.testing.assert_allclose(h, -(math.pi**2) / 3, rtol=1e-12)


def test_abs_of_nan_has_a_nan_derivative_where_pytorchs_is_0():
    # minigrad's sign(NaN) is NaN, as NumPy's; PyTorch's is 0 (its issue 41245, open),
    # so its |a|' = sign(a) is 0 at NaN and a NaN input's gradient vanishes there.
    x = Tensor(A([NAN, 1.0]), requires_grad=True)
    x.abs().backward(A([2.0, 3.0]))
    np.testing.assert_array_equal(x.grad, [NAN, 3.0])
    t = torch.tensor([NAN, 1.0], dtype=torch.float64, requires_grad=True)
    t.abs().backward(torch.tensor([2.0, 3.0], dtype=torch.float64))
    assert t.grad.tolist() == [0.0, 3.0], "PyTorch's is NaN now: update docs/ops.md"


@pytest.mark.parametrize("alpha", [1.0, 1.5])
def test_elu_at_0_has_pytorchs_first_derivative_and_its_own_second(alpha):
    """At 0 PyTorch's first derivative takes the branch x <= 0 (alpha) and its second
    the branch x < 0 (0, from x > 0); minigrad's second derivative is the derivative of
    its first derivative's branch, alpha e^0 = alpha (docs/ops.md)."""
    args = (A([0.0, -0.0, 2.0, -2.0]), alpha)
    sides = evaluate("elu", args, np.random.default_rng(3))
    assert_match("elu", sides, ("value", "jvp", "vjp"))
    (mine,), (theirs,) = sides.parts["second"]
    v, u = sides.vs[0], sides.u
    np.testing.assert_allclose(mine[:2], alpha * v[:2] * u[:2], rtol=1e-14)
    np.testing.assert_allclose(mine[2:], theirs[2:], rtol=1e-12)
    assert (theirs[:2] == 0).all(), "PyTorch's second derivative at 0 changed: update docs"
