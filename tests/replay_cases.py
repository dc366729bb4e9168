"""Capture cases for every primitive (tests/minigrad/compile/test_kernels.py): per op,
variants of (a function of the inputs, the inputs' shapes) and the inputs' domain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import minigrad
from minigrad import ops
from minigrad.functional import log_softmax

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
    "logaddexp2": binary(ops.logaddexp2),
    "remainder": binary(lambda a, b: a % b, ((-3.0, 3.0), (0.4, 1.5))),
    "floor_divide": binary(lambda a, b: a // b, ((-3.0, 3.0), (0.4, 1.5))),
    "where": binary(lambda a, b: minigrad.where(_checker(a, b), a, b)),
    "lerp": (
        [
            (ops.lerp, ((3, 2), (3, 2), (3, 2))),
            (ops.lerp, ((3, 1), (2,), (3, 2))),
            (lambda a, b: ops.lerp(a, b, 0.3), ((2, 3), (2, 3))),
        ],
        (-1.0, 1.0),
    ),
    "addcmul": (
        [
            (ops.addcmul, ((3, 2), (3, 2), (3, 2))),
            (ops.addcmul, ((3, 1), (2,), (3, 2))),
            (ops.addcmul, ((2,), (3, 1), ())),
            (lambda a, b, c: ops.addcmul(a, b, c, value=-0.5), ((2, 3), (2, 3), (1, 3))),
        ],
        (-1.0, 1.0),
    ),
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
    "erf": unary(ops.erf, (-3.0, 3.0)),
    "sign": unary(ops.sign, with_zeros),
    "floor": unary(ops.floor, (-3.0, 3.0)),
    "ceil": unary(ops.ceil, (-3.0, 3.0)),
    "round": unary(ops.round, (-3.0, 3.0)),
    "clip": unary(lambda a: a.clip(-0.3, 0.4)),
    "cast": unary(lambda a: a.astype(np.float32).astype(np.float64)),
    "matrix_exp": (
        [
            (lambda a: ops.matrix_exp(a), ((3, 3),)),
            (lambda a: ops.matrix_exp(a) @ a, ((4, 4),)),
            (lambda a: ops.matrix_exp(a), ((2, 3, 3),)),
        ],
        (-1.0, 1.0),
    ),
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
