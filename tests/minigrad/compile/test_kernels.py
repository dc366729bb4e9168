"""Every primitive is captured and replayed: forward values and gradients as eager.

The list of primitives comes from the op registry; a new primitive without a replay
rule, or without a case in tests/replay_cases.py, fails by name. Each case runs over several shapes
(broadcasting ones for the binary ops), in float64 and float32, with gradients
written into fresh buffers and accumulated into used ones, and without grad.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from replay_cases import CASES, TOL, draw

import minigrad
from minigrad import ops
from minigrad.compile import KERNELS
from minigrad.compile.kernels.binary import Binary
from minigrad.compile.kernels.unary import Unary
from minigrad.compile.kernels.unary import unary as unary_rule
from minigrad.compile.program import Program
from minigrad.ops import record
from minigrad.ops.registry import primitive, unregister


def primitives() -> set[str]:
    """Every primitive of the op registry, and the derived constants."""
    return {n for n, op in ops.REGISTRY.items() if op.is_primitive} | {"derived"}


def test_every_primitive_has_a_rule_and_a_case() -> None:
    names = primitives()
    assert names - set(KERNELS) == set(), "primitives without a replay rule"
    assert names - set(CASES) == set(), "primitives without a capture case in replay_cases.py"


CALLS = [(op, v) for op, (variants, _) in sorted(CASES.items()) for v in range(len(variants))]


def eager_and_compiled(op: str, v: int, dtype: Any, loss: Callable, exact: bool = False) -> None:
    """Two calls of the compiled ``loss(fn)`` (capture, then replay) on fresh values,
    each against eager backward (to the last bit with ``exact``)."""
    variants, domain = CASES[op]
    fn, shapes = variants[v]
    compiled = minigrad.compile(lambda *xs: loss(fn, xs))
    for call in range(2):
        rng = np.random.default_rng(100 * v + call)
        xs = [draw(domain, k, s, rng, dtype) for k, s in enumerate(shapes)]
        want = loss(fn, xs)
        g = rng.normal(size=want.shape).astype(want.dtype)
        want.backward(g)
        grads = [x.grad.copy() for x in xs]
        for x in xs:
            x.grad = None
        got = compiled(*xs)
        got.backward(g)
        assert got.dtype == want.dtype and got.shape == want.shape
        tol = {"rtol": 0, "atol": 0} if exact else TOL[dtype]
        np.testing.assert_allclose(got.data, want.data, **tol)
        for x, ref in zip(xs, grads, strict=True):
            np.testing.assert_allclose(x.grad, ref, **tol)
    assert compiled.captures == 1
    assert op in next(iter(compiled.programs.values())).ops


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("op", "v"), CALLS)
def test_capture_replays_values_and_gradients(op: str, v: int, dtype: Any) -> None:
    eager_and_compiled(op, v, dtype, lambda fn, xs: fn(*xs))


# The rules that evaluate the op's own derivative in its own order (table rows, and
# rules calling the op's vjp): equal to eager to the last bit. Sigmoid's derivative is
# grouped differently (all time steps at once, see hoist.py).
EXACT = {
    op
    for op, k in KERNELS.items()
    if isinstance(k, (Unary, Binary))
    or op in ("prod", "cumsum", "contract", "scatter", "lerp", "addcmul")
} - {"sigmoid"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("op", "v"), [c for c in CALLS if c[0] in EXACT])
def test_rules_of_the_op_itself_replay_it_bit_for_bit(op: str, v: int, dtype: Any) -> None:
    eager_and_compiled(op, v, dtype, lambda fn, xs: fn(*xs), exact=True)


@pytest.mark.parametrize(("op", "v"), CALLS)
def test_gradients_add_into_inputs_used_elsewhere(op: str, v: int) -> None:
    # The squares' backward runs first and writes each input's gradient; the op's adds.
    def loss(fn: Callable, xs: list) -> minigrad.Tensor:
        y = fn(*xs)
        total = (y * y).sum()
        for x in xs:
            total = total + (x * x).sum()
        return total

    eager_and_compiled(op, v, np.float64, loss)


@pytest.mark.parametrize(("op", "v"), CALLS)
def test_no_grad_evaluation_replays_values(op: str, v: int) -> None:
    variants, domain = CASES[op]
    fn, shapes = variants[v]
    compiled = minigrad.compile(lambda *xs: fn(*xs))
    for call in range(2):
        rng = np.random.default_rng(7 + call)
        xs = [draw(domain, k, s, rng, np.float64) for k, s in enumerate(shapes)]
        with minigrad.no_grad():
            got, want = compiled(*xs), fn(*xs)
        assert not got.requires_grad
        np.testing.assert_allclose(got.data, want.data, **TOL[np.float64])
    program = next(iter(compiled.programs.values()))
    assert compiled.captures == 1 and not program.differentiable


def test_out_of_domain_values_are_nan_without_a_warning_as_eager() -> None:
    # filterwarnings turns a RuntimeWarning into an error: the replay must stay quiet.
    x = minigrad.tensor([2.0, 0.5, -1.0, 1.0], requires_grad=True)

    def f(a):
        return ops.arcsin(a) + ops.arctanh(a) + ops.log1p(-a - 1.0) + ops.arctan2(a * 0, a * 0)

    compiled = minigrad.compile(f)
    for _ in range(2):
        got = compiled(x)
        got.backward(np.ones(4))
        g, x.grad = x.grad, None
        want = f(x)
        want.backward(np.ones(4))
        np.testing.assert_array_equal(got.data, want.data)
        np.testing.assert_array_equal(g, x.grad)
        x.grad = None
    assert np.isnan(got.data[0])


def test_relu_passes_the_gradient_of_a_nan_input_in_replay_as_eagerly() -> None:
    # relu's mask is "not a <= 0" in both: NaN and +inf pass g, -inf and 0 do not
    x = minigrad.tensor([np.nan, np.inf, -np.inf, 0.0, -1.0, 2.0], requires_grad=True)
    compiled = minigrad.compile(lambda a: (ops.relu(a * 1.0) * 3.0).sum())
    for _ in range(2):
        compiled(x).backward()
        np.testing.assert_array_equal(x.grad, [3.0, 3.0, 0.0, 0.0, 0.0, 3.0])
        x.grad = None
        (ops.relu(x * 1.0) * 3.0).sum().backward()
        np.testing.assert_array_equal(x.grad, [3.0, 3.0, 0.0, 0.0, 0.0, 3.0])
        x.grad = None


@pytest.mark.parametrize(
    ("fn", "a", "b"),
    [
        # 0^0 and 0^2 (the base's and exponent's derivatives are 0), a negative base
        # (the exponent's is NaN), 0^-1 (infinite): pow's boundary, as eager
        (lambda a, b: a**b, [0.0, 0.0, -2.0, 2.0, 0.0], [0.0, 2.0, 2.0, 0.5, -1.0]),
        (minigrad.maximum, [1.0, 2.0, -1.0], [1.0, 3.0, -1.0]),  # ties split evenly
        (minigrad.minimum, [1.0, 2.0, -1.0], [1.0, 3.0, -1.0]),
    ],
)
def test_boundary_values_replay_as_eager(fn: Callable, a: list, b: list) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 0^-1: NumPy warns in eager mode and replay alike
        compiled = minigrad.compile(lambda x, y: fn(x, y).sum())
        for _ in range(2):
            x, y = (minigrad.tensor(v, requires_grad=True) for v in (a, b))
            fn(x, y).sum().backward()
            want = x.grad, y.grad
            x.grad = y.grad = None
            compiled(x, y).backward()
            np.testing.assert_array_equal(x.grad, want[0])
            np.testing.assert_array_equal(y.grad, want[1])


def test_logaddexp_weights_at_infinite_and_huge_operands_replay_as_eager() -> None:
    # w = sigmoid(a - b): (1, 0) to an infinite operand over a finite one, as PyTorch;
    # (1/2, 1/2) for equal operands too large for e^a + e^b to differ from e^a
    a = [np.inf, 1.0, np.inf, 1e20, -np.inf]
    b = [1.0, np.inf, -np.inf, 1e20, 2.0]
    want_a, want_b = [1.0, 0.0, 1.0, 0.5, 0.0], [0.0, 1.0, 0.0, 0.5, 1.0]
    compiled = minigrad.compile(lambda x, y: minigrad.logaddexp(x, y).sum())
    for run in range(3):
        x, y = (minigrad.tensor(v, requires_grad=True) for v in (a, b))
        (compiled(x, y) if run else minigrad.logaddexp(x, y).sum()).backward()
        np.testing.assert_array_equal(x.grad, want_a)
        np.testing.assert_array_equal(y.grad, want_b)
    assert compiled.captures == 1


def test_scatter_reads_index_arrays_of_each_call() -> None:
    # The ids are a tensor argument: their array is rebound at every call, not frozen.
    def f(v, ids):
        spread = ops.scatter([v, v * 2.0], [(ids, 1), (ids, 0)], (4, 2))
        return (spread * spread).sum()

    compiled = minigrad.compile(f)
    v = minigrad.tensor([0.5, -1.0, 2.0], requires_grad=True)
    for ids in ([0, 2, 0], [3, 1, 1], [2, 3, 0]):
        idx = minigrad.tensor(np.array(ids))
        got = compiled(v, idx)
        got.backward()
        g, v.grad = v.grad, None
        want = f(v, idx)
        want.backward()
        np.testing.assert_allclose(got.data, want.data, rtol=1e-14)
        np.testing.assert_allclose(g, v.grad, rtol=1e-14)
        v.grad = None
    assert compiled.captures == 1


# ------------------------------------------------------------ an op a user registers
def _cube_vjp(g: np.ndarray, x: np.ndarray) -> tuple:
    return (g * 3 * x * x,)


@contextlib.contextmanager
def cube_op() -> Iterator[Callable]:
    """The primitive of docs/engine.md ("Adding an op"), registered for one test."""

    @primitive(_cube_vjp, tensor_vjp=_cube_vjp, saves=("a",))
    def cube(a: minigrad.Tensor) -> minigrad.Tensor:
        x = a.data
        return record("cube", x * x * x, (a,), _cube_vjp, x)

    try:
        yield cube
    finally:
        unregister("cube")
        KERNELS.pop("cube", None)


def check_cube(step: Callable, cube: Callable, w: minigrad.Tensor, x: minigrad.Tensor) -> None:
    got = step(x)
    got.backward()
    g = w.grad
    w.grad = None
    want = (cube(x) * w).sum()
    want.backward()
    np.testing.assert_allclose(got.data, want.data, rtol=1e-14)
    np.testing.assert_allclose(g, w.grad, rtol=1e-14)
    w.grad = None


def test_a_user_op_without_a_rule_runs_eagerly_with_one_warning() -> None:
    w = minigrad.tensor([0.5, -1.0, 2.0], requires_grad=True)
    with cube_op() as cube:
        step = minigrad.compile(lambda x: (cube(x) * w).sum())
        x = minigrad.tensor([1.0, 2.0, -0.5], requires_grad=True)
        with pytest.warns(RuntimeWarning, match="the op 'cube' has no replay rule"):
            check_cube(step, cube, w, x)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # the warning is given once
            check_cube(step, cube, w, minigrad.tensor([3.0, 0.0, 1.0], requires_grad=True))
        assert step.captures == 1
        assert not any(isinstance(p, Program) for p in step.programs.values())


def test_a_user_op_replays_once_it_has_a_rule() -> None:
    w = minigrad.tensor([0.5, -1.0, 2.0], requires_grad=True)
    with cube_op() as cube:
        unary_rule(
            "cube",
            "multiply({a}, {a}, {o}); multiply({o}, {a}, {o})",
            "multiply({g}, 3, {s}); multiply({s}, {a}, {s}); multiply({s}, {a}, {s})",
            quiet=False,
        )
        step = minigrad.compile(lambda x: (cube(x) * w).sum())
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for values in ([1.0, 2.0, -0.5], [3.0, 0.0, 1.0]):
                check_cube(step, cube, w, minigrad.tensor(values, requires_grad=True))
        assert step.captures == 1
        assert "cube" in next(iter(step.programs.values())).ops


def test_draw_shows_the_eager_graph_of_the_new_rules() -> None:
    from minigrad import viz

    w = minigrad.tensor(np.linspace(-0.5, 0.5, 4).reshape(2, 2), requires_grad=True)

    def f(x):
        h = x
        for t in range(2):
            with minigrad.scope(f"t={t}"):
                h = ops.sin(ops.einsum("ij,jk->ik", h, w.T)) + ops.cumsum(h, 1).prod(axis=0)
        spread = ops.scatter([h[:, 0], h[:, 1]], [(slice(None), 1), (slice(None), 0)], (3, 2))
        return ops.arctan2(spread, 1.5).sum()

    x = minigrad.tensor(np.random.default_rng(3).normal(size=(3, 2)))
    eager = viz.draw(f(x), params={"w": w}).source
    compiled = minigrad.compile(f)
    out = compiled(x)
    assert {"sin", "contract", "cumsum", "prod", "scatter", "arctan2"} <= set(
        next(iter(compiled.programs.values())).ops
    )
    drawn = viz.draw(out, params={"w": w}).source
    strip = __import__("re").compile(r"\b(n|node)\d+\b")
    assert strip.sub("N", drawn) == strip.sub("N", eager)
    assert drawn.count("subgraph cluster") == eager.count("subgraph cluster") >= 2
