"""Indexing: the ``getitem`` primitive (slices, integers, None, Ellipsis, integer
arrays, boolean masks), its adjoint ``scatter`` (the primitive through which an index's
gradient is differentiated again), and the gathers written on them: ``take`` along
one axis, PyTorch's ``gather`` and ``scatter_add``. Reshaping and joining are
:mod:`.shape`; splitting into pieces is :mod:`.pieces`.

Both primitives are linear: each jvp applies the op itself to the tangent (moving its
leading batch axis out of the index's way) and each tensor vjp is the other op on
tensors.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..axes import FIRST, axis_index, spelled
from ..differentiable import Deferred
from ..gradients import slice_vjp
from ..tape import shared_shape
from ..tensor import Tensor
from .core import derived, record, to_tensor
from .elementwise import add
from .operands import _as_tensors
from .registry import composite, names, primitive

# Index parts that select without repeats: basic indexing (the layers' time steps and
# gate slices).
_BASIC = (slice, int, type(Ellipsis), type(None))


def _index_parts(index: Any) -> tuple[Any, bool]:
    """Index with tensors replaced by arrays; flag whether no position can repeat."""
    parts = index if isinstance(index, tuple) else (index,)
    for p in parts:
        if type(p) not in _BASIC:
            break
    else:
        return index, True
    clean, unique = [], True
    for p in parts:
        if isinstance(p, Tensor):
            p = p.data
        if isinstance(p, (list, np.ndarray)):
            p = np.asarray(p)
            if p.dtype.kind in "iu":
                unique = False
            elif p.dtype.kind != "b":
                raise TypeError(f"getitem: index arrays must be integer or boolean, got {p.dtype}")
        clean.append(p)
    return (tuple(clean) if isinstance(index, tuple) else clean[0]), unique


_getitem_vjp = slice_vjp


def _batch_last_index(idx: Any, ndim: int) -> tuple:
    """``idx`` for a tangent whose batch axis was moved last: an Ellipsis is spelled out
    as the slices it stands for, so it cannot reach that axis."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    if not any(p is Ellipsis for p in parts):
        return parts
    used = builtins.sum(
        p.ndim if isinstance(p, np.ndarray) and p.dtype == bool else 1
        for p in parts
        if p is not None and p is not Ellipsis
    )
    k = next(i for i, p in enumerate(parts) if p is Ellipsis)
    return (*parts[:k], *(slice(None),) * (ndim - used), *parts[k + 1 :])


def is_basic(idx: Any) -> bool:
    """Whether an index selects a view (integers, slices, None, Ellipsis, tuples of them)."""
    parts = idx if isinstance(idx, tuple) else (idx,)
    return all(p is None or p is Ellipsis or type(p) in (int, slice) for p in parts)


def _getitem_jvp(
    dx: tuple, y: np.ndarray, idx: Any, shape: tuple, dtype: np.dtype, unique: bool
) -> np.ndarray:
    # A basic index takes a leading ':' for the batch axis. Advanced indices may move
    # the axes they index to the front, so they index the tangent with its batch axis
    # last instead, where no index reaches it.
    (da,) = dx
    if is_basic(idx):
        return da[(slice(None), *(idx if isinstance(idx, tuple) else (idx,)))]
    return np.moveaxis(np.moveaxis(da, 0, -1)[_batch_last_index(idx, len(shape))], -1, 0)


def _getitem_tensor_vjp(g: Tensor, idx: Any, shape: tuple, dtype: np.dtype, unique: bool) -> tuple:
    # Deferred: the walk sums every piece sent to one input in one scatter.
    return (Deferred(_scatter_pieces, (g, idx, shape)),)


def _scatter_pieces(terms: list) -> Tensor:
    return scatter([g for g, _, _ in terms], [idx for _, idx, _ in terms], terms[0][2])


@primitive(
    _getitem_vjp,
    jvp=_getitem_jvp,
    tensor_vjp=_getitem_tensor_vjp,
    methods=("__getitem__",),
)
def getitem(a: Tensor, index: Any) -> Tensor:
    """``a[index]``: slices, integers, None, Ellipsis, integer arrays, boolean masks.
    vjp: g scattered into the indexed positions of zeros (repeats accumulate).

    The gradient is a :class:`~minigrad.gradients.Scatter`, which the engine adds into
    one buffer per input (integer arrays accumulate repeats).
    """
    if type(a) is not Tensor:
        a = to_tensor(a, None, "getitem")
    idx, unique = (index, True) if type(index) is int else _index_parts(index)
    try:
        out = a.data[idx]
    except IndexError as e:
        raise IndexError(f"getitem: {e} (tensor of shape {a.shape})") from None
    d = a.data
    return record("getitem", out, (a,), _getitem_vjp, idx, shared_shape(d.shape), d.dtype, unique)


def _scatter_vjp(g: np.ndarray, indices: list, uniques: list) -> list:
    return [g[idx] for idx in indices]


def _add_at(out: np.ndarray, idx: Any, v: np.ndarray, unique: bool) -> None:
    """``out[idx] += v``, accumulating repeated positions (``np.add.at``) only when an
    integer index may repeat them."""
    if unique:
        out[idx] += v
    else:
        np.add.at(out, idx, v)


def _scatter_jvp(dx: tuple, y: np.ndarray, indices: list, uniques: list) -> np.ndarray:
    # Linear: the scatter of the tangents, built with the batch axis last so that no
    # index, basic or advanced, can reach it.
    batch = next(d for d in dx if d is not None).shape[0]
    out = np.zeros((*y.shape, batch), y.dtype)
    for d, idx, unique in zip(dx, indices, uniques, strict=True):
        if d is not None:
            _add_at(out, _batch_last_index(idx, y.ndim), np.moveaxis(d, 0, -1), unique)
    return np.moveaxis(out, -1, 0)


def _scatter_tensor_vjp(g: Tensor, indices: list, uniques: list) -> list:
    return [getitem(g, idx) for idx in indices]


@primitive(_scatter_vjp, jvp=_scatter_jvp, tensor_vjp=_scatter_tensor_vjp)
def scatter(values: Sequence[Any], indices: Sequence[Any], shape: Sequence[int]) -> Tensor:
    """A zero tensor of ``shape`` with each ``values[k]`` added at ``indices[k]``
    (repeated positions accumulate): the adjoint of indexing, ``scatter([v], [i], s)``
    being the gradient that ``x[i]`` sends to ``x``. It is how the gradient of an index
    is itself differentiated; a tensor indexed many times (the T steps of a sequence)
    gets one scatter of all the pieces. vjp: ``g[indices[k]]`` for each piece.
    """
    vs = _as_tensors(values, "scatter")
    if len(indices) != len(vs):
        raise ValueError(f"scatter: {len(vs)} values but {len(indices)} indices")
    shape = tuple(shape)
    out = np.zeros(shape, vs[0].dtype)
    idxs, uniques = [], []
    for v, index in zip(vs, indices, strict=True):
        idx, unique = (index, True) if type(index) is int else _index_parts(index)
        try:
            target = out[idx].shape
        except IndexError as e:
            raise IndexError(f"scatter: {e} (shape {shape})") from None
        if v.shape != target:
            raise ValueError(
                f"scatter: values of shape {v.shape} do not fit index of shape {target}"
            )
        _add_at(out, idx, v.data, unique)
        idxs.append(idx)
        uniques.append(unique)
    return record("scatter", out, vs, _scatter_vjp, idxs, uniques)


@composite(top_level=True)
def take(a: Tensor, indices: Any, axis: int = FIRST, *, dim: int | None = None) -> Tensor:
    """Gather along ``axis`` by integer ``indices`` (an embedding lookup for axis 0;
    ``dim`` is PyTorch's name). vjp: g scatter-added back to the gathered rows
    (repeats accumulate)."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "take")
    axis = axis_index("take", spelled("take", "axis", axis, "dim", dim), a.ndim)
    ids = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if ids.dtype.kind not in "iu":
        raise TypeError(f"take: indices must be integers, got {ids.dtype}")
    n = a.shape[axis]
    if ids.size and (ids.min() < -n or ids.max() >= n):
        raise IndexError(
            f"take: index {int(ids.max() if ids.max() >= n else ids.min())} is out of range "
            f"for axis {axis} of size {n}"
        )
    return getitem(a, (slice(None),) * (axis % a.ndim) + (ids,))


def _in_range(op: str, dim: int, n: int, ids: np.ndarray) -> np.ndarray:
    """``ids`` (a view of it) when every index is in ``0..n-1``, else IndexError."""
    if ids.size and (ids.min() < 0 or ids.max() >= n):
        bad = int(ids.min() if ids.min() < 0 else ids.max())
        raise IndexError(f"{op}: index {bad} is out of range for dim {dim} of size {n}")
    return ids.view()


def _positions(op: str, shape: tuple, dim: int, index: Any, *fits: tuple) -> tuple:
    """``dim`` as an axis index, the index array (a tensor's own array: a compiled
    replay reads each call's) and the full index that picks, for every position of
    the index array, its element of a tensor of ``shape`` along ``dim``::

        gather:  out[i][j][k] = a[index[i][j][k]][j][k]   (dim 0)

    Checked as PyTorch checks them: as many axes as the tensor, integers in
    ``0..shape[dim]-1``, no axis longer than the tensor's (but ``dim``) or than those of
    ``fits`` (``scatter_add``'s src, every axis)."""
    ids = index.data if isinstance(index, Tensor) else np.asarray(index)
    given = index if isinstance(index, Tensor) else None
    if ids.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must hold integers, got dtype {ids.dtype}")
    ndim = len(shape)
    dim = axis_index(op, dim, max(ndim, 1), "dim")
    if ids.ndim != ndim:
        raise ValueError(
            f"{op}: index of shape {ids.shape} must have as many axes as the tensor of "
            f"shape {shape}"
        )
    for d, (k, n) in enumerate(zip(ids.shape, shape, strict=True)):
        if d != dim and k > n:
            raise ValueError(
                f"{op}: index of shape {ids.shape} is larger than the tensor of shape "
                f"{shape} along dim {d}"
            )
    for name, other in fits:
        if any(k > n for k, n in zip(ids.shape, other, strict=True)):
            raise ValueError(f"{op}: index of shape {ids.shape} is larger than {name} {other}")
    n = shape[dim] if ndim else 1
    in_range = functools.partial(_in_range, op, dim, n)
    picks: Any = ids
    if given is None:
        in_range(ids)
    else:
        # A value read at every call: a compiled replay runs the check again (NumPy
        # would wrap a negative index where eager code raises). The checked tensor
        # itself goes into the index, so a trace sees where its array comes from.
        picks = derived(f"{op} index", in_range, given)
        ids = picks.data
    if not ndim:
        return dim, ids, ()
    grid = tuple(
        picks if d == dim else np.arange(k).reshape((k,) + (1,) * (ndim - 1 - d))
        for d, k in enumerate(ids.shape)
    )
    return dim, ids, grid


@composite(methods=("gather",), top_level=True)
def gather(a: Tensor, dim: int, index: Any) -> Tensor:
    """Values of ``a`` along ``dim`` at integer ``index`` (a tensor or array with a's
    number of axes, no axis but ``dim`` longer than a's), as ``torch.gather``: for
    dim 1, out[i][j] = a[i][index[i][j]]; the result has index's shape. vjp: g
    scatter-added into zeros of a's shape at the gathered positions (repeats
    accumulate).

    It is ``getitem`` with the index along ``dim`` and ``arange`` grids along the other
    axes (NumPy's ``take_along_axis``, without its broadcasting), so its gradient is
    getitem's scatter-add.
    """
    if type(a) is not Tensor:
        a = to_tensor(a, None, "gather")
    _, _, grid = _positions("gather", a.shape, dim, index)
    return getitem(a, grid)


@composite(methods=("scatter_add",), top_level=True)
def scatter_add(a: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """A copy of ``a`` with each value of ``src`` added at its position along ``dim``
    given by ``index``, as ``torch.scatter_add``: for dim 0,
    out[index[i][j]][j] += src[i][j] (repeated positions accumulate). The index has
    a's number of axes and is no longer than src on any axis nor than a on any axis
    but ``dim``; src's elements beyond the index's shape are not used. vjp: (g,
    gather(g, dim, index)) (src's unused elements get 0).

    It is ``a + scatter([src], [positions], a.shape)``, the primitive that is indexing's
    adjoint.
    """
    a = to_tensor(a, None, "scatter_add")
    src = to_tensor(src, a, "scatter_add")
    if src.dtype != a.dtype:
        raise TypeError(
            f"scatter_add: src of dtype {src.dtype} must have the tensor's dtype {a.dtype}"
        )
    if src.ndim != a.ndim:
        raise ValueError(
            f"scatter_add: src of shape {src.shape} must have as many axes as the tensor of "
            f"shape {a.shape}"
        )
    _, ids, grid = _positions("scatter_add", a.shape, dim, index, ("src", src.shape))
    if src.shape != ids.shape:
        src = getitem(src, tuple(slice(0, k) for k in ids.shape))
    return add(a, scatter([src], [grid], a.shape))


__all__ = names(__name__)
