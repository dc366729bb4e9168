"""Products, cumulative sums and statistics over an axis.

``prod`` and ``cumsum`` are primitives; ``cumprod``, ``sort``, ``topk``, ``partition``,
``var`` and ``std`` are composites (norms are in :mod:`.norms`). Reductions take NumPy's
``axis``/``keepdims`` and PyTorch's ``dim``/``keepdim`` (keyword aliases,
:mod:`minigrad.axes`).

``prod`` handles zeros exactly: the derivative of each element is the product of the
others (prefix times suffix products), never ``prod / x``, so one zero gives the
others' product and two zeros give zeros everywhere. ``std`` (and the norms, through
:func:`_root`) follow PyTorch at 0: where the result is 0 (a constant, a zero
vector) the gradient is 0, not NaN (NumPy defines no derivative).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ..axes import LAST, axis_args, axis_index, one_axis, spelled
from ..logic import stable_order
from ..tensor import Tensor
from .core import record, to_tensor
from .elementwise import div, mul, pow, sub
from .indexing import getitem
from .reduce import _axes, mean, sum
from .registry import composite, names, primitive
from .select import where
from .shape import reshape, transpose
from .unary import sqrt

Axis = int | Sequence[int] | None


def _to_end(shape: tuple, axes: tuple) -> tuple[tuple, tuple]:
    """The permutation moving ``axes`` last, and its inverse."""
    perm = tuple(i for i in range(len(shape)) if i not in axes) + axes
    return perm, tuple(int(i) for i in np.argsort(perm))


def _others(x: np.ndarray, axes: tuple) -> np.ndarray:
    """For each element, the product of the other elements of its reduced group:
    exclusive prefix products times exclusive suffix products (exact with zeros)."""
    if x.size == 0:
        return np.zeros_like(x)
    perm, inverse = _to_end(x.shape, axes)
    n = math.prod(x.shape[i] for i in axes)
    flat = x.transpose(perm).reshape(*(x.shape[i] for i in perm[: x.ndim - len(axes)]), n)
    ones = np.ones((*flat.shape[:-1], 1), x.dtype)
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], -1), -1)
    after = np.cumprod(np.concatenate([ones, flat[..., :0:-1]], -1), -1)[..., ::-1]
    return (before * after).reshape([x.shape[i] for i in perm]).transpose(inverse)


def _others_tensor(x: Tensor, axes: tuple) -> Tensor:
    """:func:`_others` with ops, differentiable again: row k of an (n, n) stack holds
    the group with element k replaced by 1, and ``prod`` of each row is taken."""
    perm, inverse = _to_end(x.shape, axes)
    kept = [x.shape[i] for i in perm[: x.ndim - len(axes)]]
    n = math.prod(x.shape[i] for i in axes)
    flat = reshape(transpose(x, perm), (*kept, 1, n))
    rows = prod(where(np.eye(n, dtype=bool), 1.0, flat), -1)
    return transpose(reshape(rows, [x.shape[i] for i in perm]), inverse)


def _kept(g: Any, shape: tuple, axes: tuple, keepdims: bool) -> Any:
    return g if keepdims else reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _prod_vjp(g: np.ndarray, x: np.ndarray, axes: tuple, keepdims: bool) -> tuple:
    gk = g if keepdims else np.expand_dims(g, axes)
    return (gk * _others(x, axes),)


def _prod_jvp(dx: tuple, y: np.ndarray, x: np.ndarray, axes: tuple, keepdims: bool) -> Any:
    (da,) = dx
    return (da * _others(x, axes)).sum(axis=tuple(a + 1 for a in axes), keepdims=keepdims)


def _prod_tensor_vjp(g: Tensor, x: Tensor, axes: tuple, keepdims: bool) -> tuple:
    return (mul(_kept(g, x.shape, axes, keepdims), _others_tensor(x, axes)),)


@primitive(
    _prod_vjp,
    jvp=_prod_jvp,
    tensor_vjp=_prod_tensor_vjp,
    saves=("a",),
    methods=("prod",),
    top_level=True,
)
def prod(
    a: Tensor,
    axis: Axis = None,
    keepdims: bool | None = None,
    *,
    dim: Axis = None,
    keepdim: bool | None = None,
) -> Tensor:
    """Product over ``axis``. vjp: g times the product of the other elements (exact
    with zeros: no division)."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "prod")
    axis, keepdims = axis_args("prod", axis, keepdims, dim, keepdim)
    axes = _axes(axis, a.ndim, "prod")
    x = a.data
    out = np.asarray(x.prod(axis=axes, keepdims=keepdims))
    return record("prod", out, (a,), _prod_vjp, x, axes, keepdims)


def _flip(g: Any, axis: int) -> Any:
    return g[(slice(None),) * axis + (slice(None, None, -1),)]


def _cumsum_vjp(g: np.ndarray, axis: int) -> tuple:
    return (_flip(np.cumsum(_flip(g, axis), axis), axis),)


def _cumsum_jvp(dx: tuple, y: np.ndarray, axis: int) -> np.ndarray:
    (da,) = dx
    return np.cumsum(da, axis + 1)


def _cumsum_tensor_vjp(g: Tensor, axis: int) -> tuple:
    return (_flip(cumsum(_flip(g, axis), axis), axis),)


def _one_axis(op: str, a: Tensor, axis: int | None) -> tuple[Tensor, int]:
    if axis is None:
        return reshape(a, (-1,)), 0
    return a, axis_index(op, axis, a.ndim)


@primitive(
    _cumsum_vjp, jvp=_cumsum_jvp, tensor_vjp=_cumsum_tensor_vjp, methods=("cumsum",), top_level=True
)
def cumsum(a: Tensor, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Running sum along ``axis`` (flattened when None). vjp: the reversed running
    sum of g."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "cumsum")
    a, ax = _one_axis("cumsum", a, one_axis("cumsum", axis, dim))
    return record("cumsum", np.cumsum(a.data, ax), (a,), _cumsum_vjp, ax)


@composite(methods=("cumprod",), top_level=True)
def cumprod(a: Tensor, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Running product along ``axis`` (a composite): out_j = prod of the rows of an
    (n, n) stack holding x_0..x_j and ones, so zeros are exact. vjp: from ``prod``.
    Costs n^2 per group."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "cumprod")
    a, ax = _one_axis("cumprod", a, one_axis("cumprod", axis, dim))
    perm, inverse = _to_end(a.shape, (ax,))
    n = a.shape[ax]
    last = transpose(a, perm)
    rows = reshape(last, (*last.shape[:-1], 1, n))
    upto = np.tril(np.ones((n, n), dtype=bool))
    return transpose(prod(where(upto, rows, 1), -1), inverse)  # integers stay integers


def _gather(a: Tensor, idx: np.ndarray, axis: int) -> Tensor:
    """a's elements at positions ``idx`` along ``axis`` (``take_along_axis``)."""
    grids = list(np.indices(idx.shape, sparse=True))
    grids[axis] = idx
    return getitem(a, tuple(grids))


@composite(methods=("sort",), top_level=True)
def sort(a: Tensor, axis: int | None = LAST, *, dim: int | None = None) -> Tensor:
    """Sorted along ``axis`` (the last by default; flattened when None; ``dim`` is
    PyTorch's name). A composite: a gather at the stable argsort. vjp: g scattered back
    to the sorted elements' places."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "sort")
    a, ax = _one_axis("sort", a, spelled("sort", "axis", axis, "dim", dim))
    return _gather(a, np.argsort(a.data, axis=ax, kind="stable"), ax)


class TopK(NamedTuple):
    """What :func:`topk` returns, as ``torch.topk``'s pair: ``values`` (differentiable)
    and their ``indices`` along the dim (int64, no gradient)."""

    values: Tensor
    indices: Tensor


@composite(methods=("topk",), top_level=True)
def topk(a: Tensor, k: int, dim: int = LAST, largest: bool = True, sorted: bool = True) -> TopK:
    """The ``k`` largest elements along ``dim`` (the smallest with ``largest=False``) and
    their indices, as ``torch.topk``: a pair ``(values, indices)``, both of a's shape
    with ``k`` along ``dim``. vjp: g scattered back to the chosen elements' places (the
    indices carry no gradient).

    A composite: a gather at the first k positions of the stable argsort, so the
    values come sorted (``sorted=False`` is accepted: any order is PyTorch's then),
    tied elements are taken in index order and NaN count as the largest.
    """
    if type(a) is not Tensor:
        a = to_tensor(a, None, "topk")
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise TypeError(f"topk: k must be an integer, got {k!r}")
    if a.ndim == 0:  # PyTorch's: the element itself, for k 0 or 1
        axis_index("topk", dim, 1, "dim")
        if k not in (0, 1):
            raise ValueError(f"topk: k={k} is out of range for a 0-d tensor (0 or 1)")
        return TopK(reshape(a, ()), Tensor._wrap(np.zeros((), np.int64)))
    ax = axis_index("topk", dim, a.ndim, "dim")
    n = a.shape[ax]
    if not 0 <= k <= n:
        raise ValueError(f"topk: k={k} is out of range for dim {ax} of size {n} (shape {a.shape})")
    order = stable_order(a.data, ax, descending=largest)
    idx = np.take(order, np.arange(int(k)), axis=ax).astype(np.int64, copy=False)
    return TopK(_gather(a, idx, ax), Tensor._wrap(idx))


@composite(methods=("partition",), top_level=True)
def partition(
    a: Tensor, kth: int | Sequence[int], axis: int | None = LAST, *, dim: int | None = None
) -> Tensor:
    """The k-th element in its sorted place, smaller before, larger after, along
    ``axis`` (the last by default, flattened when None; ``dim`` as for ``sort``). A
    gather at NumPy's ``argpartition`` (a composite). vjp: g scattered back."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "partition")
    a, ax = _one_axis("partition", a, spelled("partition", "axis", axis, "dim", dim))
    n = a.shape[ax]
    for k in np.atleast_1d(kth).tolist():
        if not isinstance(k, int) or isinstance(k, bool):
            raise TypeError(f"partition: kth must be integers, got {kth!r}")
        if not -n <= k < n:
            raise ValueError(
                f"partition: kth={kth!r} is out of range for axis {ax} of size {n} (shape "
                f"{a.shape})"
            )
    return _gather(a, np.argpartition(a.data, kth, axis=ax), ax)


def _count(a: Tensor, axes: tuple) -> int:
    return math.prod(a.shape[i] for i in axes)


def _spread_args(
    op: str,
    a: Tensor,
    axis: Axis,
    ddof: Any,
    keepdims: Any,
    correction: Any,
    dim: Any,
    keepdim: Any,
) -> tuple[tuple, float, bool]:
    """The reduced axes, ddof (or PyTorch's ``correction``; 0 by default, as NumPy) and
    keepdims of a var or std call."""
    axis, keepdims = axis_args(op, axis, keepdims, dim, keepdim)
    if correction is not None:
        if ddof is not None:
            raise TypeError(
                f"{op}: got ddof={ddof!r} and correction={correction!r}; give one of them "
                "(correction is PyTorch's name for ddof)"
            )
        ddof = correction
    name = "ddof" if correction is None else "correction"
    ddof = 0 if ddof is None else ddof
    if not isinstance(ddof, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must be a number, got {ddof!r}")
    return _axes(axis, a.ndim, op), float(ddof), keepdims


def _var(a: Tensor, axes: tuple, ddof: float, keepdims: bool) -> Tensor:
    d = sub(a, mean(a, axes, keepdims=True))
    n = _count(a, axes)
    # As NumPy: with ddof >= n the divisor is 0, and the result inf (or nan for 0 / 0).
    return div(sum(mul(d, d), axes, keepdims), float(n - ddof if n > ddof else 0))


@composite(methods=("var",), top_level=True)
def var(
    a: Tensor,
    axis: Axis = None,
    ddof: float | None = None,
    keepdims: bool | None = None,
    *,
    correction: float | None = None,
    dim: Axis = None,
    keepdim: bool | None = None,
) -> Tensor:
    """sum((a - mean)^2) / (n - ddof) over ``axis`` (``correction`` is PyTorch's name
    for ddof; the default is NumPy's ddof = 0). A composite; vjp: 2 g (a - mean) /
    (n - ddof)."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "var")
    axes, ddof, keepdims = _spread_args("var", a, axis, ddof, keepdims, correction, dim, keepdim)
    return _var(a, axes, ddof, keepdims)


def _root(v: Tensor, p: float = 2) -> Tensor:
    """v^(1/p) with gradient 0 (not inf) where v == 0, as PyTorch's std and norms:
    v is a sum of |a|^p, so 0 is its minimum and the root's kink."""
    zero = v.data == 0
    safe = where(zero, 1.0, v)
    return where(zero, 0.0, sqrt(safe) if p == 2 else pow(safe, 1.0 / p))


@composite(methods=("std",), top_level=True)
def std(
    a: Tensor,
    axis: Axis = None,
    ddof: float | None = None,
    keepdims: bool | None = None,
    *,
    correction: float | None = None,
    dim: Axis = None,
    keepdim: bool | None = None,
) -> Tensor:
    """sqrt(var) (a composite). vjp: g (a - mean) / ((n - ddof) std); 0 where std is
    0 (a constant), PyTorch's convention."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "std")
    axes, ddof, keepdims = _spread_args("std", a, axis, ddof, keepdims, correction, dim, keepdim)
    return _root(_var(a, axes, ddof, keepdims))


__all__ = names(__name__)
