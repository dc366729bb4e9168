"""The test table of the ops: one line per registered op, and the check every row runs.

``CASES[name]`` says how to draw inputs for op ``name`` and what NumPy computes for
them. :func:`check_case` runs the op on the drawn inputs and asserts that

- the forward matches the NumPy reference (float64);
- the gradient matches finite differences (``minigrad.gradcheck``, float64);
- float32 inputs give float32 outputs (no silent upcast).

The tests of each ops module run it for every op that module registers
(``tests/minigrad/ops/test_<module>.py``), and ``test_registry.py`` checks that this
table and the registry name the same ops: a new op without a row fails there.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import (
    arrays,
    away_from_kinks,
    broadcast_pairs,
    distinct_arrays,
    matmul_pairs,
    positive_arrays,
    shapes,
)

from minigrad import Tensor, gradcheck, ops
from minigrad.ops.registry import REGISTRY

nonscalar = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
Draw = Callable[[Any], tuple]  # hypothesis draw -> the op's positional arguments


def _zeros(*shape: int) -> np.ndarray:
    return np.zeros(shape)


# Zero-size arguments: a (0, 3) tensor unless the row says otherwise.
EMPTY = (_zeros(0, 3),)
EMPTY2 = (_zeros(0, 3), _zeros(3))


@dataclass(frozen=True)
class Case:
    """How to test one op: ``draw(draw) -> args`` (float arrays become tensors; other
    values pass as they are), the NumPy reference ``ref(*args)``, and arguments with a
    zero-size dimension (``empty``) that must work as they do in NumPy and PyTorch."""

    draw: Draw
    ref: Callable[..., Any]
    keeps_float32: bool = True
    empty: tuple = EMPTY


# ----------------------------------------------------------------- input drawers


def unary(values: Callable = arrays, *static: Any) -> Draw:
    return lambda draw: (draw(values(draw(shapes))), *static)


def binary(left: Callable = arrays, right: Callable = arrays) -> Draw:
    def drawer(draw: Any) -> tuple:
        sa, sb = draw(broadcast_pairs())
        return draw(left(sa)), draw(right(sb))

    return drawer


def untied(draw: Any) -> tuple:
    """a on a grid of 0.1 and b halfway between grid points: never tied."""
    sa, sb = draw(broadcast_pairs())
    grid = st.integers(-30, 30)
    a = draw(hnp.arrays(np.int64, sa, elements=grid)) * 0.1
    b = draw(hnp.arrays(np.int64, sb, elements=grid)) * 0.1 + 0.05
    return np.asarray(a, np.float64), np.asarray(b, np.float64)


def off_bounds(draw: Any) -> tuple:
    """x away from the clip bounds -1 and 1, where the derivative jumps."""
    x = draw(arrays(draw(shapes)))
    return np.where(np.abs(np.abs(x) - 1.0) < 1e-2, x + 0.05, x), -1.0, 1.0


def where_args(draw: Any) -> tuple:
    sa, sb = draw(broadcast_pairs())
    cond = draw(arrays(np.broadcast_shapes(sa, sb))) > 0
    return cond, draw(arrays(sa)), draw(arrays(sb))


def lerp_args(draw: Any) -> tuple:
    """start, end and weight of shapes that broadcast together; the weight sometimes a
    Python number."""
    shape = draw(st.sampled_from([(3, 2), (2,), (3, 1), (), (1, 2)]))
    sa, sb = draw(broadcast_pairs())
    if draw(st.booleans()):
        return draw(arrays(sa)), draw(arrays(sb)), draw(st.floats(-1.5, 1.5))
    try:
        np.broadcast_shapes(sa, sb, shape)
    except ValueError:
        shape = ()
    return draw(arrays(sa)), draw(arrays(sb)), draw(arrays(shape))


def _np_lerp(s: np.ndarray, e: np.ndarray, w: Any) -> np.ndarray:
    return s + w * (e - s)


def addcmul_args(draw: Any) -> tuple:
    """input, tensor1 and tensor2 of three shapes that broadcast together (any of them
    may be the largest, or none alone)."""
    sh = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=4))
    return tuple(draw(arrays(s)) for s in sh.input_shapes)


def _np_addcmul(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    return a + b * c


def addmm_args(draw: Any) -> tuple:
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    bias = draw(st.sampled_from([(n, m), (1, m), (m,), (n, 1), ()]))
    return draw(arrays(bias)), draw(arrays((n, k))), draw(arrays((k, m)))


def reduction(values: Callable = arrays) -> Draw:
    def drawer(draw: Any) -> tuple:
        shape = draw(nonscalar)
        axis = draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
        if draw(st.booleans()) and len(shape) > 1:
            axis = (0, len(shape) - 1)
        return draw(values(shape)), axis, draw(st.booleans())

    return drawer


def along_axis(*extra: Callable[[Any, tuple, int], Any]) -> Draw:
    """x (at least 1-d) and an axis of it, then ``extra(draw, shape, axis)`` values."""

    def drawer(draw: Any) -> tuple:
        shape = draw(nonscalar)
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        return draw(arrays(shape)), *(e(draw, shape, axis) for e in extra), axis

    return drawer


def joined(count: int) -> Draw:
    def drawer(draw: Any) -> tuple:
        shape = draw(nonscalar)
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        return [draw(arrays(shape)) for _ in range(count)], axis

    return drawer


INDICES = [
    (slice(1, 3),),
    (slice(None, None, -1),),
    1,
    (-1, slice(None, 2)),
    (Ellipsis, 0),
    (None, slice(1, None)),
    np.array([0, 2, 0, 0]),  # repeats accumulate
    [1, 1],
    (np.array([[0, 1], [1, 0]]), slice(None)),
    (np.array([0, 1, 1]), np.array([2, 0, 2])),  # repeated pairs
]


def _np_mean(x: np.ndarray, axis: Any, keepdims: bool) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of nothing is nan
        return np.mean(x, axis=axis, keepdims=keepdims)


def _logsumexp(x: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True, initial=-np.inf)
    m = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):  # log(0) = -inf over an empty axis
        out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True, initial=-np.inf))
    return e / e.sum(axis=axis, keepdims=True)


def _split_sizes(draw: Any, shape: tuple, axis: int) -> int:
    return draw(st.integers(1, shape[axis]))


def _perm(draw: Any, shape: tuple, axis: int) -> tuple:
    return tuple(draw(st.permutations(range(len(shape)))))


def _insert_axis(draw: Any) -> tuple:
    x = draw(arrays(draw(shapes)))
    return x, draw(st.integers(-x.ndim - 1, x.ndim))


def _squeezable(draw: Any) -> tuple:
    x = draw(arrays(draw(shapes)))
    return x.reshape(1, *x.shape, 1), draw(st.sampled_from([None, 0, -1]))


def _matmul_args(draw: Any) -> tuple:
    return tuple(draw(arrays(s)) for s in draw(matmul_pairs()))


def _broadcast_args(draw: Any) -> tuple:
    x = draw(arrays(draw(shapes)))
    return x, (2, *x.shape)


def _index_args(draw: Any) -> tuple:
    return draw(arrays((3, 4))), draw(st.sampled_from(INDICES))


def _np_getitem(x: np.ndarray, index: Any) -> np.ndarray:
    return x[index]


def _np_addmm(c: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return c + a @ b


def _np_cast(x: np.ndarray, dtype: Any) -> np.ndarray:
    return x.astype(dtype)


def _np_reduce(fn: Callable) -> Callable:
    return lambda x, axis, keepdims: fn(x, axis=axis, keepdims=keepdims)


def _np_unbind(x: np.ndarray, axis: int) -> list:
    return [np.take(x, i, axis) for i in range(x.shape[axis])]


def _np_log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    return np.log(_softmax(x, axis))


def _divisors(shape: Any) -> Any:
    return away_from_kinks(shape, gap=0.3)


def _off_origin(shape: Any) -> Any:
    """|a| >= 0.3: arctan2's derivatives grow as 1/r^k near the origin, where central
    differences of its second derivative lose their digits."""
    return away_from_kinks(shape, gap=0.03)


def _exponents(shape: Any) -> Any:
    return arrays(shape, -2.0, 2.0)


def _bases(shape: Any) -> Any:
    return positive_arrays(shape, 0.5, 2.0)


def _lookup(draw: Any) -> tuple:
    """A (5, 3) table, repeated ids, and the axis to gather along."""
    return draw(arrays((5, 3))), np.array([[0, 2], [2, 2]]), draw(st.sampled_from([0, 1]))


def _scatter_args(draw: Any) -> tuple:
    """One or two sets of values for positions that indices of INDICES pick in a (3, 4)
    array (pieces may overlap: they add up)."""
    indices = [draw(st.sampled_from(INDICES)) for _ in range(draw(st.integers(1, 2)))]
    return [draw(arrays(np.zeros((3, 4))[i].shape)) for i in indices], indices, (3, 4)


def _np_scatter(values: list, indices: list, shape: tuple) -> np.ndarray:
    out = np.zeros(shape)
    for v, i in zip(values, indices, strict=True):
        np.add.at(out, i, v)
    return out


def _class_scores(draw: Any) -> tuple:
    """Logits (N, C) or (C,), integer targets with some ignored (-100; never all of
    them), and a reduction."""
    n, c = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    shape = draw(st.sampled_from([(n, c), (c,)]))
    t = np.asarray(draw(hnp.arrays(np.int64, shape[:-1], elements=st.integers(-1, c - 1))))
    t = np.where(t < 0, -100, t)
    t.reshape(-1)[:1] = np.abs(t.reshape(-1)[:1]) % c  # one target is always kept
    return draw(arrays(shape)), t, -100, draw(st.sampled_from(["mean", "sum", "none"]))


def _np_cross_entropy(z: np.ndarray, t: np.ndarray, ignore: int, reduction: str) -> Any:
    z2, t1 = z.reshape(-1, z.shape[-1]), t.reshape(-1)
    keep = t1 != ignore
    lp = z2 - _logsumexp(z2, axis=1, keepdims=True)
    losses = np.where(keep, -lp[np.arange(t1.size), np.where(keep, t1, 0)], 0.0)
    if reduction == "none":
        return losses.reshape(t.shape)
    return losses.sum() if reduction == "sum" else losses.sum() / keep.sum()


def _np_split(x: np.ndarray, size: int, axis: int) -> list:
    return np.split(x, range(size, x.shape[axis], size), axis=axis)


def _np_chunk(x: np.ndarray, chunks: int, axis: int) -> list:
    if x.shape[axis] == 0:
        return [x] * chunks  # torch.chunk: one empty piece per chunk
    return _np_split(x, -(-x.shape[axis] // chunks), axis)


# ---------------------------------------------------------------------- the table
# One row per registered op: name -> Case(inputs, NumPy reference).

CASES: dict[str, Case] = {
    "add": Case(binary(), np.add, empty=EMPTY2),
    "sub": Case(binary(), np.subtract, empty=EMPTY2),
    "mul": Case(binary(), np.multiply, empty=EMPTY2),
    "div": Case(binary(arrays, _divisors), np.divide, empty=EMPTY2),
    "pow": Case(binary(_bases, _exponents), np.power, empty=EMPTY2),
    "maximum": Case(untied, np.maximum, empty=EMPTY2),
    "minimum": Case(untied, np.minimum, empty=EMPTY2),
    "logaddexp": Case(binary(), np.logaddexp, empty=EMPTY2),
    "where": Case(where_args, np.where, empty=(np.zeros((0, 3), bool), *EMPTY2)),
    "lerp": Case(lerp_args, _np_lerp, empty=(*EMPTY2, _zeros(0, 1))),
    "addcmul": Case(addcmul_args, _np_addcmul, empty=(*EMPTY2, _zeros(0, 1))),
    "neg": Case(unary(), np.negative),
    "exp": Case(unary(), np.exp),
    "log": Case(unary(positive_arrays), np.log),
    "sqrt": Case(unary(positive_arrays), np.sqrt),
    "abs": Case(unary(away_from_kinks), np.abs),
    "tanh": Case(unary(), np.tanh),
    "sigmoid": Case(unary(), lambda x: 1 / (1 + np.exp(-x))),
    "relu": Case(unary(away_from_kinks), lambda x: np.maximum(x, 0)),
    "clip": Case(off_bounds, np.clip, empty=(*EMPTY, -1.0, 1.0)),
    "cast": Case(unary(arrays, np.float64), _np_cast, False, (*EMPTY, np.float64)),
    "matmul": Case(_matmul_args, np.matmul, empty=(_zeros(2, 0), _zeros(0, 3))),
    "addmm": Case(addmm_args, _np_addmm, empty=(_zeros(3), _zeros(2, 0), _zeros(0, 3))),
    "sum": Case(reduction(), _np_reduce(np.sum), empty=(*EMPTY, 0, False)),
    "mean": Case(reduction(), _np_mean, empty=(*EMPTY, 0, False)),
    "max": Case(reduction(distinct_arrays), _np_reduce(np.max), empty=(*EMPTY, 1, False)),
    "min": Case(reduction(distinct_arrays), _np_reduce(np.min), empty=(*EMPTY, 1, True)),
    "reshape": Case(unary(arrays, (-1,)), np.reshape, empty=(*EMPTY, (3, 0))),
    "transpose": Case(lambda d: along_axis(_perm)(d)[:2], np.transpose),
    "swapaxes": Case(lambda d: (*along_axis()(d), 0), np.swapaxes, empty=(*EMPTY, 0, 1)),
    "broadcast_to": Case(_broadcast_args, np.broadcast_to, empty=(_zeros(3), (0, 3))),
    "squeeze": Case(_squeezable, np.squeeze, empty=(_zeros(0, 1), 1)),
    "unsqueeze": Case(_insert_axis, np.expand_dims, empty=(*EMPTY, 1)),
    "getitem": Case(_index_args, _np_getitem, empty=(_zeros(3, 4), np.zeros(0, int))),
    "scatter": Case(_scatter_args, _np_scatter, empty=([_zeros(0)], [np.zeros(0, int)], (3,))),
    "take": Case(_lookup, np.take, empty=(_zeros(5, 3), np.zeros((2, 0), int), 0)),
    "concatenate": Case(joined(3), np.concatenate, empty=([*EMPTY, _zeros(2, 3)], 0)),
    "stack": Case(joined(2), np.stack, empty=([*EMPTY, *EMPTY], 1)),
    "split": Case(along_axis(_split_sizes), _np_split, empty=(*EMPTY, 2, 0)),
    "chunk": Case(along_axis(_split_sizes), _np_chunk, empty=(*EMPTY, 3, 0)),
    "unbind": Case(along_axis(), _np_unbind, empty=(*EMPTY, 0)),
    "logsumexp": Case(reduction(), _logsumexp, empty=(*EMPTY, 0, False)),
    "softmax": Case(lambda d: along_axis()(d), _softmax, empty=(*EMPTY, 0)),
    "log_softmax": Case(lambda d: along_axis()(d), _np_log_softmax, empty=(*EMPTY, 0)),
    "cross_entropy": Case(
        _class_scores, _np_cross_entropy, empty=(_zeros(0, 3), np.zeros(0, int), -100, "sum")
    ),
}  # fmt: skip


# ---------------------------------------------------------------------- the check


def _is_float(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.dtype.kind == "f"


def _leaves(args: tuple) -> list[np.ndarray]:
    """The differentiable inputs: float arrays, also inside a list argument."""
    out = []
    for a in args:
        if isinstance(a, list):
            out += [v for v in a if _is_float(v)]
        elif _is_float(a):
            out.append(a)
    return out


def _with(args: tuple, tensors: list) -> tuple:
    """``args`` with its float arrays replaced, in order, by ``tensors``."""
    it = iter(tensors)
    rebuilt = []
    for a in args:
        if isinstance(a, list):
            rebuilt.append([next(it) if _is_float(v) else v for v in a])
        else:
            rebuilt.append(next(it) if _is_float(a) else a)
    return tuple(rebuilt)


def _joined(out: Any) -> Tensor:
    """One tensor from an op's result; pieces of a split are weighted 1, 2, 3..., so a
    gradient landing in the wrong piece is caught."""
    if isinstance(out, Tensor):
        return out
    return ops.concatenate([ops.reshape(p * float(k + 1), (-1,)) for k, p in enumerate(out)])


def check_case(name: str, draw: Any) -> None:
    """Forward against NumPy, gradient against finite differences, float32 kept."""
    case, op = CASES[name], REGISTRY[name].forward
    args = case.draw(draw)
    leaves = _leaves(args)
    out, ref = op(*_with(args, [Tensor(v) for v in leaves])), case.ref(*args)
    pieces = out if isinstance(out, list) else [out]
    refs = ref if isinstance(out, list) else [ref]
    assert len(pieces) == len(refs), f"{name}: {len(pieces)} pieces, NumPy has {len(refs)}"
    for p, r in zip(pieces, refs, strict=True):
        assert p.shape == np.shape(r), f"{name}: shape {p.shape}, NumPy gives {np.shape(r)}"
        np.testing.assert_allclose(p.data, r, rtol=1e-12, atol=1e-12, err_msg=name)
    if leaves:
        gradcheck(lambda *ts: _joined(op(*_with(args, list(ts)))), leaves)
        if case.keeps_float32:
            small = [Tensor(v.astype(np.float32)) for v in leaves]
            out32 = op(*_with(args, small))
            dtypes = {p.dtype for p in (out32 if isinstance(out32, list) else [out32])}
            assert dtypes <= {np.dtype(np.float32)}, f"{name}: float32 inputs gave {dtypes}"


def check_empty(name: str) -> None:
    """The op on its row's zero-size arguments: NumPy's result (shape and values),
    and a gradient of each input's shape that finite differences agree with."""
    case, op = CASES[name], REGISTRY[name].forward
    args = case.empty
    leaves = _leaves(args)
    out, ref = op(*_with(args, [Tensor(v) for v in leaves])), case.ref(*args)
    pieces = out if isinstance(out, list) else [out]
    refs = ref if isinstance(out, list) else [ref]
    assert len(pieces) == len(refs), f"{name}: {len(pieces)} pieces, NumPy has {len(refs)}"
    for p, r in zip(pieces, refs, strict=True):
        assert p.shape == np.shape(r), f"{name}: shape {p.shape}, NumPy gives {np.shape(r)}"
        np.testing.assert_array_equal(p.data, r, err_msg=name)
    if leaves and pieces:
        report = gradcheck(lambda *ts: _joined(op(*_with(args, list(ts)))), leaves)
        assert report.ok


# ------------------------------------------------ the NumPy/PyTorch op set (rows)
# Trigonometric, hyperbolic, logs and exponentials, rounding and piecewise ops,
# statistics, layout and contractions; each row as above.


def _inside(lo: float, hi: float) -> Draw:
    return unary(lambda s: arrays(s, lo, hi))


CASES.update({
    "sin": Case(unary(), np.sin),
    "cos": Case(unary(), np.cos),
    "tan": Case(_inside(-1.3, 1.3), np.tan),
    "arcsin": Case(_inside(-0.9, 0.9), np.arcsin),
    "arccos": Case(_inside(-0.9, 0.9), np.arccos),
    "arctan": Case(unary(), np.arctan),
    "sinh": Case(unary(), np.sinh),
    "cosh": Case(unary(), np.cosh),
    "arcsinh": Case(unary(), np.arcsinh),
    "arccosh": Case(_inside(1.1, 3.0), np.arccosh),
    "arctanh": Case(_inside(-0.9, 0.9), np.arctanh),
    "arctan2": Case(binary(_off_origin, arrays), np.arctan2, empty=EMPTY2),
    "hypot": Case(binary(away_from_kinks, away_from_kinks), np.hypot, empty=EMPTY2),
    "sinc": Case(unary(away_from_kinks), np.sinc),
    "log1p": Case(_inside(-0.9, 3.0), np.log1p),
    "expm1": Case(unary(), np.expm1),
    "log2": Case(unary(positive_arrays), np.log2),
    "log10": Case(unary(positive_arrays), np.log10),
    "exp2": Case(unary(), np.exp2),
    "logaddexp2": Case(binary(), np.logaddexp2, empty=EMPTY2),
})  # fmt: skip


def _off_steps(x: np.ndarray) -> np.ndarray:
    """x moved to k + f, f in [0.1, 0.4) or [0.6, 0.9): away from integers and halves,
    where rounding jumps."""
    f = x - np.floor(x)
    return np.asarray(np.floor(x) + np.where(f < 0.5, 0.1 + 0.6 * f, 0.6 + 0.6 * (f - 0.5)))


def _remainder_args(draw: Any) -> tuple:
    shape = draw(shapes)
    b = draw(away_from_kinks(shape, -2.0, 2.0, gap=0.05))
    return _off_steps(draw(arrays(shape))) * b, b


def _linspace_args(draw: Any) -> tuple:
    sa, sb = draw(broadcast_pairs(max_dims=2))
    return draw(arrays(sa)), draw(arrays(sb)), draw(st.integers(0, 5))


def _diff_args(draw: Any) -> tuple:
    shape = draw(nonscalar)
    return (
        draw(arrays(shape)),
        draw(st.integers(1, 2)),
        draw(st.integers(-len(shape), len(shape) - 1)),
    )


CASES.update({
    "sign": Case(unary(away_from_kinks), np.sign),
    "floor": Case(lambda d: (_off_steps(d(arrays(d(shapes)))),), np.floor),
    "ceil": Case(lambda d: (_off_steps(d(arrays(d(shapes)))),), np.ceil),
    "round": Case(lambda d: (_off_steps(d(arrays(d(shapes)))),), np.round),
    "remainder": Case(_remainder_args, np.remainder, empty=EMPTY2),
    "mod": Case(_remainder_args, np.mod, empty=EMPTY2),
    "floor_divide": Case(_remainder_args, np.floor_divide, empty=EMPTY2),
    "fmax": Case(untied, np.fmax, empty=EMPTY2),
    "fmin": Case(untied, np.fmin, empty=EMPTY2),
    "square": Case(unary(), np.square),
    "reciprocal": Case(unary(lambda s: away_from_kinks(s, gap=0.03)), np.reciprocal),
    "diff": Case(_diff_args, np.diff),
    "linspace": Case(_linspace_args, np.linspace, empty=(_zeros(0), _zeros(0), 3)),
})  # fmt: skip


def _spread(draw: Any) -> tuple:
    """x, axis, ddof (1 only where each group has 2 or more elements), keepdims."""
    x, axis, keep = reduction(distinct_arrays)(draw)
    count = x.size if axis is None else np.prod([x.shape[a] for a in np.atleast_1d(axis)])
    return x, axis, draw(st.sampled_from([0, 1])) if count > 1 else 0, keep


def _norm_args(draw: Any) -> tuple:
    x, axis, keep = reduction(distinct_arrays)(draw)  # no ties of |x| (max/min kinks)
    count = x.ndim if axis is None else len(np.atleast_1d(axis))
    if count == 1:
        ords = [None, 0, 1, 2, 3, 0.5, -1, -2.5, np.inf, -np.inf]
        return x, draw(st.sampled_from(ords)), axis, keep
    if count == 2:
        return _untied_matrices(draw, x.shape, axis), draw(st.sampled_from(MATRIX_ORDS)), axis, keep
    return x, None, axis, keep


MATRIX_ORDS = [None, "fro", 1, -1, np.inf, -np.inf]


def _untied_matrices(draw: Any, shape: tuple, axis: Any) -> np.ndarray:
    """Values whose row sums and column sums of |x| are far apart within each matrix
    along ``axis`` (two axes; both when None): magnitudes in [0.5, 1.5] times 4^(i+j)
    at row i, column j, so the matrix 1- and inf-norms meet no max tie (a kink)."""
    rows, cols = (0, 1) if axis is None else axis
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    magnitude = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    grid = np.indices(shape)
    return magnitude * 4.0 ** (grid[rows] + grid[cols])


def _np_norm(x: np.ndarray, ord: Any, axis: Any, keep: bool) -> np.ndarray:
    if ord is None:
        return np.sqrt(np.sum(x * x, axis=axis, keepdims=keep))
    return np.linalg.norm(x, ord, axis, keep)


def _untied_along(kth: bool) -> Draw:
    """Distinct values (ties swap places under a small step), kth, an axis."""

    def drawer(draw: Any) -> tuple:
        shape = draw(nonscalar)
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        k = (draw(st.integers(0, shape[axis] - 1)),) if kth else ()
        return draw(distinct_arrays(shape)), *k, axis

    return drawer


def _small(s: Any) -> Any:
    return arrays(s, -1.5, 1.5)


def _factors(s: Any) -> Any:
    """|x| in [0.1, 1.5]: PyTorch's prod rules switch to a zero path when a product
    underflows to 0 (exact zeros are checked in test_stats.py)."""
    return away_from_kinks(s, -1.5, 1.5, gap=0.01)


def _cumprod_args(draw: Any) -> tuple:
    return draw(_small(draw(nonscalar))), draw(st.sampled_from([None, 0, -1]))


def _np_partition(x: np.ndarray, k: int, ax: int) -> np.ndarray:
    return np.take_along_axis(x, np.argpartition(x, k, ax), ax)


CASES.update({
    "prod": Case(reduction(_factors), lambda x, axis, k: np.prod(x, axis=axis, keepdims=k),
                 empty=(*EMPTY, 0, False)),
    "var": Case(_spread, lambda x, axis, dd, k: np.var(x, axis=axis, ddof=dd, keepdims=k)),
    "std": Case(_spread, lambda x, axis, dd, k: np.std(x, axis=axis, ddof=dd, keepdims=k)),
    "cumsum": Case(along_axis(), np.cumsum),
    "cumprod": Case(_cumprod_args, np.cumprod),
    "sort": Case(_untied_along(False), np.sort),
    "partition": Case(_untied_along(True), _np_partition),
    "norm": Case(_norm_args, _np_norm, empty=(*EMPTY, None, 1, False)),
})  # fmt: skip


matrices = hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4)


def _with_ints(shape_strategy: Any, *ints: tuple[int, int]) -> Draw:
    """x of a drawn shape, then one integer from each (lo, hi) range."""
    return lambda d: (d(arrays(d(shape_strategy))), *(d(st.integers(lo, hi)) for lo, hi in ints))


def _flip_args(draw: Any) -> tuple:
    shape = draw(nonscalar)
    return draw(arrays(shape)), draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))


def _tile_args(draw: Any) -> tuple:
    reps = tuple(draw(st.lists(st.integers(1, 2), min_size=1, max_size=3)))
    return draw(arrays(draw(shapes))), reps


def _diag_args(draw: Any) -> tuple:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))
    return draw(arrays(shape)), draw(st.integers(-2, 2))


def _pairs_of(draw: Any, ndim: int, values: st.SearchStrategy) -> Any:
    """NumPy's forms of per-axis (before, after) values: one value, one pair, a pair
    per axis."""
    form = draw(st.sampled_from(["one", "pair", "per axis"]))
    if form == "one":
        return draw(values)
    if form == "pair":
        return (draw(values), draw(values))
    return tuple((draw(values), draw(values)) for _ in range(ndim))


def _pad_args(draw: Any) -> tuple:
    shape = draw(nonscalar)
    width = _pairs_of(draw, len(shape), st.integers(0, 3))
    mode = draw(st.sampled_from(["constant", "edge", "reflect", "symmetric", "wrap"]))
    fill = None
    if mode == "constant" and draw(st.booleans()):
        fill = _pairs_of(draw, len(shape), st.floats(-5, 5).map(lambda v: round(v, 2)))
    return draw(arrays(shape)), width, mode, fill


def _np_pad(x: np.ndarray, width: Any, mode: str, fill: Any = None) -> np.ndarray:
    if fill is None:
        return np.pad(x, width, mode=mode)
    return np.pad(x, width, mode=mode, constant_values=fill)


def _moveaxis_args(draw: Any) -> tuple:
    shape = draw(nonscalar)
    axis = st.integers(-len(shape), len(shape) - 1)
    return draw(arrays(shape)), draw(axis), draw(axis)


def _stacked(draw: Any) -> tuple:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))
    return ([draw(arrays(shape)) for _ in range(2)],)


CASES.update({
    "flip": Case(_flip_args, np.flip),
    "flipud": Case(lambda d: (d(arrays(d(nonscalar))),), np.flipud),
    "fliplr": Case(lambda d: (d(arrays(d(matrices))),), np.fliplr),
    "rot90": Case(_with_ints(matrices, (-1, 3)), np.rot90),
    "roll": Case(along_axis(lambda d, s, a: d(st.integers(-5, 5))), np.roll, empty=(*EMPTY, 1, 0)),
    "repeat": Case(along_axis(lambda d, s, a: d(st.integers(0, 3))), np.repeat,
                   empty=(*EMPTY, 2, 0)),
    "tile": Case(_tile_args, np.tile, empty=(*EMPTY, (2,))),
    "diagonal": Case(_with_ints(matrices, (-2, 2)), np.diagonal),
    "trace": Case(_with_ints(matrices, (-2, 2)), np.trace),
    "diag": Case(_diag_args, np.diag),
    "tril": Case(_with_ints(matrices, (-2, 2)), np.tril),
    "triu": Case(_with_ints(matrices, (-2, 2)), np.triu),
    "pad": Case(_pad_args, _np_pad, empty=(*EMPTY, ((1, 2), (1, 1)), "constant", (4.0, 5.0))),
    "moveaxis": Case(_moveaxis_args, np.moveaxis, empty=(*EMPTY, 0, 1)),
    "atleast_1d": Case(unary(), np.atleast_1d),
    "atleast_2d": Case(unary(), np.atleast_2d),
    "atleast_3d": Case(unary(), np.atleast_3d),
    "vstack": Case(_stacked, np.vstack, empty=([_zeros(0, 3), _zeros(0, 3)],)),
    "hstack": Case(_stacked, np.hstack, empty=([_zeros(0, 3), _zeros(0, 3)],)),
})  # fmt: skip


def _square_matrices(draw: Any) -> tuple:
    """A stack of n x n matrices (n 1..4, up to two batch axes) with entries in [-1, 1]."""
    n = draw(st.integers(1, 4))
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    return (draw(arrays((*batch, n, n), -1.0, 1.0)),)


def _expm_taylor(x: np.ndarray) -> np.ndarray:
    """exp(x) by another road than the op's Pade approximant: halve x until its norm is
    below 1/2, sum 30 Taylor terms (the remainder is below 2^-30 / 30!), square back."""
    norm = np.abs(x).sum(axis=-2).max() if x.size else 0.0
    s = max(0, int(np.ceil(np.log2(max(norm, 1e-300) / 0.5))))
    y = x / 2.0**s
    term = np.broadcast_to(np.eye(x.shape[-1]), x.shape).copy()
    total = term.copy()
    for k in range(1, 30):
        term = term @ y / k
        total = total + term
    for _ in range(s):
        total = total @ total
    return total


CASES.update(
    {
        "matrix_exp": Case(_square_matrices, _expm_taylor, empty=(_zeros(0, 3, 3),)),
    }
)


# (subscripts, operand shapes): matrix products, traces, diagonals, broadcast
# size-1 axes, letters only one operand has, scalars.
CONTRACTIONS = [
    ("ij,jk->ik", (2, 3), (3, 4)),
    ("ii,->i", (3, 3), ()),
    ("ii,->", (3, 3), ()),
    ("ij,ij->", (2, 3), (2, 3)),
    ("ijk,j->ki", (2, 3, 2), (3,)),
    ("ii,i->i", (3, 3), (3,)),
    ("ij,kl->ljk", (2, 3), (2, 2)),
    ("ij,j->ij", (1, 3), (3,)),
    ("iji,j->", (2, 3, 2), (3,)),
    ("ij,->ji", (2, 3), ()),
]
EINSUMS = [
    ("ij,jk,kl->il", (2, 3), (3, 2), (2, 2)),
    ("ii", (3, 3)),
    ("ij,jk", (2, 3), (3, 4)),
    ("...ij,...jk->...ik", (2, 2, 3), (3, 2)),
    ("...i,...i", (1, 3), (2, 3)),
    ("i,i,i->", (3,), (3,), (3,)),
    ("bii->bi", (2, 3, 3)),
    ("ij->", (2, 3)),
]


def _contraction(table: list, spec_first: bool) -> Draw:
    def drawer(draw: Any) -> tuple:
        spec, *shapes_ = draw(st.sampled_from(table))
        arrs = tuple(draw(arrays(s)) for s in shapes_)
        return (spec, *arrs) if spec_first else (*arrs, spec)

    return drawer


def _pair(draw: Any, shapes_: list) -> tuple:
    return tuple(draw(arrays(s)) for s in draw(st.sampled_from(shapes_)))


def _cross_args(draw: Any) -> tuple:
    """Vectors of 2 or 3 components along axisa/axisb, the result along axisc (or all
    three given as axis), the other axes broadcast."""
    (sa, sb), axes = draw(
        st.sampled_from(
            [
                (((3,), (3,)), ()),
                (((2, 3), (3,)), ()),
                (((2, 3), (2, 3)), ()),
                (((2,), (2,)), ()),
                (((4, 2), (1, 2)), ()),
                (((2,), (3,)), ()),
                (((2, 3), (2,)), ()),
                (((3, 4), (4, 3)), (0, -1, 0)),
                (((3, 2), (3, 1)), (0, 0, 0, 0)),
                (((2, 2, 3), (3, 2)), (-1, 0, 1)),
                (((2, 4), (2, 1)), (0, 0, -1)),
            ]
        )
    )
    return (draw(arrays(sa)), draw(arrays(sb)), *axes)


def _np_cross(*args: Any) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # NumPy 2 deprecates 2-vectors
        return np.cross(*args)


def _tensordot_args(draw: Any) -> tuple:
    a, b, axes = draw(
        st.sampled_from(
            [
                ((2, 3, 4), (3, 4, 2), 2),
                ((2, 3), (3, 2), 1),
                ((2,), (3,), 0),
                ((2, 3, 4), (4, 2, 3), ([1, 2], [2, 0])),
            ]
        )
    )
    return draw(arrays(a)), draw(arrays(b)), axes


CASES.update({
    "contract": Case(_contraction(CONTRACTIONS, False), lambda a, b, s: np.einsum(s, a, b),
                     empty=(_zeros(0, 3), _zeros(3), "ij,j->i")),
    "einsum": Case(_contraction(EINSUMS, True), np.einsum,
                   empty=("ij,jk->ik", _zeros(2, 0), _zeros(0, 3))),
    "tensordot": Case(_tensordot_args, np.tensordot, empty=(_zeros(2, 0), _zeros(0, 3), 1)),
    "outer": Case(lambda d: _pair(d, [((3,), (2,)), ((2, 2), (3,)), ((), (2,))]), np.outer,
                  empty=EMPTY2),
    "inner": Case(lambda d: _pair(d, [((3,), (3,)), ((2, 3), (4, 3)), ((), (2, 2))]), np.inner,
                  empty=(_zeros(0, 3), _zeros(2, 3))),
    "dot": Case(lambda d: _pair(d, [((3,), (3,)), ((2, 3), (3, 2)), ((2, 2, 3), (4, 3, 2)),
                                     ((), (2, 2)), ((2, 3), (3,))]), np.dot,
                empty=(_zeros(2, 0), _zeros(0, 3))),
    "kron": Case(lambda d: _pair(d, [((2,), (3,)), ((2, 2), (1, 3)), ((2,), (2, 2))]), np.kron,
                 empty=EMPTY2),
    "cross": Case(_cross_args, _np_cross, empty=(_zeros(0, 3), _zeros(3))),
})  # fmt: skip
