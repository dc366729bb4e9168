"""Every primitive is captured and replayed: forward values and gradients as eager.

The list of primitives comes from the op registry; a new primitive without a replay
rule, or without a case here, fails by name. Each case runs over several shapes
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

import minigrad
from minigrad import ops
from minigrad.compile import KERNELS
from minigrad.compile.kernels.binary import Binary
from minigrad.compile.kernels.unary import Unary
from minigrad.compile.kernels.unary import unary as unary_rule
from minigrad.compile.program import Program
from minigrad.functional import log_softmax
from minigrad.ops import record
from minigrad.ops.registry import primitive, unregister

Shapes = tuple[tuple[int, ...], ...]
# A case: (function of the inputs, the inputs' shapes) variants, and the inputs' domains
# ((lo, hi) for all inputs, one per input, or a function (rng, shape) -> array).
Variants = list[tuple[Callable[..., Any], Shapes]]


def unary(fn: Callable, domain: Any = (-1.0, 1.0)) -> tuple[Variants, Any]:
    return [(fn, ((5,),)), (fn, ((3, 4),)), (fn, ((2, 1, 3),)), (fn, ((),))], domain


BROADCAST: list[Shapes] = [((3, 2), (3, 2)), ((3, 2), (2,)), ((3, 1), (1, 4)), ((), (2, 3))]


def binary(fn: Callable, domain: Any = (-1.0, 1.0)) -> tuple[Variants, Any]:
    return [(fn, s) for s in BROADCAST], domain


def _checker(a: minigrad.Tensor, b: minigrad.Tensor) -> np.ndarray:
    shape = np.broadcast_shapes(a.shape, b.shape)
    return np.indices(shape).sum(axis=0) % 2 == 0 if shape else np.array(True)


def with_zeros(rng: np.random.Generator, shape: tuple) -> np.ndarray:
    x = rng.uniform(-1.5, 1.5, shape)
    x.reshape(-1)[: max(1, x.size // 4)] = 0.0  # exact zeros: prod's and sinc's edge
    return x


# three pieces: a repeated integer-array index, a row, a column
PIECES = [(np.array([0, 2, 0]), 1), 1, (slice(None), 0)]


def einsum(spec: str) -> Callable:
    return lambda *xs: ops.einsum(spec, *xs)


CASES: dict[str, tuple[Variants, Any]] = {
    "add": binary(lambda a, b: a + b),
    "sub": binary(lambda a, b: a - b),
    "mul": binary(lambda a, b: a * b),
    "div": binary(lambda a, b: a / b, ((-1.0, 1.0), (0.5, 1.5))),
    "pow": binary(lambda a, b: a**b, ((0.2, 1.5), (-1.0, 2.0))),
    "maximum": binary(minigrad.maximum),
    "minimum": binary(minigrad.minimum),
    "logaddexp": binary(ops.logaddexp),
    "arctan2": binary(ops.arctan2),
    "hypot": binary(ops.hypot),
    "remainder": binary(lambda a, b: a % b, ((-3.0, 3.0), (0.4, 1.5))),
    "where": binary(lambda a, b: minigrad.where(_checker(a, b), a, b)),
    "neg": unary(lambda a: -a),
    "exp": unary(lambda a: a.exp()),
    "log": unary(lambda a: a.log(), (0.1, 2.0)),
    "sqrt": unary(lambda a: a.sqrt(), (0.1, 2.0)),
    "abs": unary(lambda a: a.abs()),
    "tanh": unary(lambda a: a.tanh()),
    "sigmoid": unary(lambda a: a.sigmoid()),
    "relu": unary(lambda a: a.relu()),
    "sin": unary(ops.sin, (-4.0, 4.0)),
    "cos": unary(ops.cos, (-4.0, 4.0)),
    "tan": unary(ops.tan, (-1.2, 1.2)),
    "arcsin": unary(ops.arcsin, (-0.95, 0.95)),
    "arccos": unary(ops.arccos, (-0.95, 0.95)),
    "arctan": unary(ops.arctan, (-3.0, 3.0)),
    "sinh": unary(ops.sinh, (-3.0, 3.0)),
    "cosh": unary(ops.cosh, (-3.0, 3.0)),
    "arcsinh": unary(ops.arcsinh, (-3.0, 3.0)),
    "arccosh": unary(ops.arccosh, (1.1, 4.0)),
    "arctanh": unary(ops.arctanh, (-0.95, 0.95)),
    "sinc": unary(ops.sinc, with_zeros),
    "log1p": unary(ops.log1p, (-0.9, 2.0)),
    "expm1": unary(ops.expm1, (-2.0, 2.0)),
    "sign": unary(ops.sign, with_zeros),
    "floor": unary(ops.floor, (-3.0, 3.0)),
    "ceil": unary(ops.ceil, (-3.0, 3.0)),
    "round": unary(ops.round, (-3.0, 3.0)),
    "clip": unary(lambda a: a.clip(-0.3, 0.4)),
    "cast": unary(lambda a: a.astype(np.float32).astype(np.float64)),
    "matmul": (
        [
            (lambda a, b: a @ b, ((3, 2), (2, 4))),
            (lambda a, b: a @ b, ((2,), (2, 4))),
            (lambda a, b: a @ b, ((3, 2), (2,))),
            (lambda a, b: a @ b, ((2, 3, 2), (2, 4))),
            (lambda a, b: a @ b, ((2, 1, 3, 2), (4, 2, 3))),
        ],
        (-1.0, 1.0),
    ),
    "addmm": (
        [(ops.addmm, ((4,), (3, 2), (2, 4))), (ops.addmm, ((3, 4), (3, 2), (2, 4)))],
        (-1.0, 1.0),
    ),
    "contract": (
        [
            (einsum("ij,kj->ik"), ((3, 2), (4, 2))),
            (einsum("i,i->"), ((5,), (5,))),
            (einsum("ii->i"), ((3, 3),)),
            (einsum("bij,bjk->bik"), ((2, 3, 4), (2, 4, 2))),
            (einsum("ij,jk->ijk"), ((3, 1), (4, 2))),
            (ops.outer, ((3,), (4,))),
        ],
        (-1.0, 1.0),
    ),
    "sum": (
        [
            (lambda a: a.sum(axis=1, keepdims=True), ((3, 2),)),
            (lambda a: a.sum(), ((2, 3, 2),)),
            (lambda a: a.sum(axis=(0, 2)), ((2, 3, 2),)),
        ],
        (-1.0, 1.0),
    ),
    "max": ([(lambda a: a.max(axis=0), ((3, 2),)), (lambda a: a.max(), ((4, 3),))], (-1.0, 1.0)),
    "min": ([(lambda a: a.min(), ((3, 2),)), (lambda a: a.min(axis=-1), ((2, 3, 4),))], (-1, 1)),
    "prod": (
        [
            (lambda a: a.prod(axis=1), ((3, 4),)),
            (lambda a: a.prod(), ((5,),)),
            (lambda a: a.prod(axis=(0, 2), keepdims=True), ((2, 3, 2),)),
        ],
        with_zeros,
    ),
    "cumsum": (
        [
            (lambda a: ops.cumsum(a, 0), ((3, 4),)),
            (lambda a: ops.cumsum(a, 1), ((2, 3, 2),)),
            (lambda a: ops.cumsum(a), ((2, 3),)),
        ],
        (-1.0, 1.0),
    ),
    "reshape": (
        [(lambda a: a.reshape(2, 3), ((3, 2),)), (lambda a: a.reshape(-1), ((2, 2, 3),))],
        1,
    ),
    "transpose": ([(lambda a: a.T, ((3, 2),)), (lambda a: a.transpose(2, 0, 1), ((2, 3, 4),))], 1),
    "broadcast_to": (
        [(lambda a: a.broadcast_to(3, 2), ((2,),)), (lambda a: a.broadcast_to(3, 4), ((3, 1),))],
        (-1.0, 1.0),
    ),
    "getitem": (
        [
            (lambda a: a[np.array([0, 2, 2]), 1:], ((3, 2),)),
            (lambda a: a[1:, ::2], ((3, 4),)),
            (lambda a: a[np.array([[True, False], [False, True], [True, True]])], ((3, 2),)),
            (lambda a: a[1], ((3, 2),)),
        ],
        (-1.0, 1.0),
    ),
    "concatenate": (
        [
            (lambda a, b: minigrad.concatenate([a, b], axis=1), ((3, 2), (3, 1))),
            (lambda a, b: minigrad.concatenate([a, b, a]), ((2, 2), (1, 2))),
        ],
        (-1.0, 1.0),
    ),
    "stack": (
        [
            (lambda a, b: minigrad.stack([a, b], axis=1), ((3, 2), (3, 2))),
            (lambda a, b: minigrad.stack([b, a, b]), ((4,), (4,))),
        ],
        (-1.0, 1.0),
    ),
    "scatter": (
        [
            (lambda v: ops.scatter([v], [(np.array([0, 2, 0]), 1)], (3, 2)), ((3,),)),
            (lambda v: ops.scatter([v], [np.array([2, 0])], (3, 2)), ((2, 2),)),
            (
                lambda v, w: ops.scatter([v, w, v], PIECES, (3, 2)),
                ((3,), (2,)),
            ),
            (
                lambda v, w: ops.scatter([v, w], [slice(0, 2), (slice(1, 3), 1)], (3, 2)),
                ((2, 2), (2,)),
            ),
        ],
        (-1.0, 1.0),
    ),
    "cross_entropy": (
        [
            (lambda z: ops.cross_entropy(z, np.array([1, 0, 3])), ((3, 4),)),
            (lambda z: ops.cross_entropy(z, np.array([2, 2]), reduction="none"), ((2, 3),)),
        ],
        (-2.0, 2.0),
    ),
    "derived": (
        [(lambda a: log_softmax(a, axis=1), ((3, 4),)), (lambda a: log_softmax(a), ((2, 3, 4),))],
        (-2.0, 2.0),
    ),
}


def primitives() -> set[str]:
    """Every primitive of the op registry, and the derived constants."""
    return {n for n, op in ops.REGISTRY.items() if op.is_primitive} | {"derived"}


def test_every_primitive_has_a_rule_and_a_case() -> None:
    names = primitives()
    assert names - set(KERNELS) == set(), "primitives without a replay rule"
    assert names - set(CASES) == set(), "primitives without a capture case here"


def draw(domain: Any, k: int, shape: tuple, rng: np.random.Generator, dtype: Any) -> Any:
    if callable(domain):
        x = domain(rng, shape)
    else:
        if isinstance(domain, tuple) and isinstance(domain[0], tuple):
            domain = domain[k]
        lo, hi = domain if isinstance(domain, tuple) else (-domain, domain)
        x = rng.uniform(lo, hi, shape)
    return minigrad.tensor(np.asarray(x, dtype), requires_grad=True)


TOL = {np.float64: {"rtol": 1e-12, "atol": 1e-14}, np.float32: {"rtol": 1e-5, "atol": 1e-6}}
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
    if isinstance(k, (Unary, Binary)) or op in ("prod", "cumsum", "contract", "scatter")
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
