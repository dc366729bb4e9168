"""Shape primitives (reshape, transpose, broadcast, index and its adjoint scatter,
concatenate, stack) and the composites built on them (swapaxes, squeeze, unsqueeze,
take). Splitting into pieces (split, chunk, unbind) is :mod:`.pieces`.

These ops are linear, so each jvp applies the op itself to the tangent (whose leading
batch axis the op leaves alone) and each tensor vjp is the adjoint op on tensors.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..axes import FIRST, axis_index, reduced_axes, spelled
from ..differentiable import Deferred
from ..gradients import slice_vjp
from ..tape import shared_shape
from ..tensor import Tensor
from .core import record, to_tensor, unbroadcast
from .registry import calling_op, composite, names, primitive, shape_args, varargs
from .tangents import lift


def _flat(fn: Any) -> Any:
    """``t.flatten()``: ``reshape(t, (-1,))``."""

    def flatten(self: Tensor) -> Tensor:
        """The tensor as one axis (a reshape to (-1,))."""
        return fn(self, (-1,))

    return flatten


def _axes_args(fn: Any) -> Any:
    """``t.transpose()`` reverses the axes; ``t.transpose(1, 0)`` or ``((1, 0))`` permutes."""

    def method(self: Tensor, *axes: Any) -> Tensor:
        return fn(self, shape_args(axes) if axes else None)

    method.__doc__ = fn.__doc__
    return method


def _reshape_vjp(g: np.ndarray, old: tuple) -> tuple:
    return (g.reshape(old),)


def _reshape_jvp(dx: tuple, y: np.ndarray, old: tuple) -> np.ndarray:
    (da,) = dx
    return da.reshape((da.shape[0], *y.shape))


@primitive(
    _reshape_vjp,
    jvp=_reshape_jvp,
    tensor_vjp=_reshape_vjp,
    methods=(("reshape", varargs), ("view", varargs), ("flatten", _flat), ("ravel", _flat)),
    top_level=True,
)
def reshape(a: Tensor, shape: Sequence[int]) -> Tensor:
    """Same data in a new shape (a view when NumPy can). vjp: g in the old shape."""
    try:
        out = a.data.reshape(tuple(shape))
    except ValueError:
        raise ValueError(f"reshape: cannot reshape {a.shape} into {tuple(shape)}") from None
    except TypeError:
        raise TypeError(f"reshape: the shape must be integers, got {shape!r}") from None
    return record("reshape", out, (a,), _reshape_vjp, a.shape)


def _transpose_vjp(g: np.ndarray, inverse: tuple) -> tuple:
    return (g.transpose(inverse),)


def _transpose_jvp(dx: tuple, y: np.ndarray, inverse: tuple) -> np.ndarray:
    (da,) = dx
    return da.transpose((0, *(int(ax) + 1 for ax in np.argsort(inverse))))


@primitive(
    _transpose_vjp,
    jvp=_transpose_jvp,
    tensor_vjp=_transpose_vjp,
    methods=(("transpose", _axes_args), ("permute", varargs), ("T", property)),
    top_level=True,
)
def transpose(a: Tensor, axes: Sequence[int] | None = None) -> Tensor:
    """Permute axes (reverse them by default), as a view. vjp: the inverse permutation."""
    n = a.data.ndim
    if axes is None:
        axes = tuple(range(n - 1, -1, -1))
    else:
        axes = tuple(int(ax) % max(n, 1) for ax in axes)
        if sorted(axes) != list(range(n)):
            raise ValueError(
                f"transpose: {tuple(axes)} is not a permutation of the axes of {a.shape}"
            )
    inverse = [0] * n
    for k, ax in enumerate(axes):
        inverse[ax] = k
    inverse = tuple(inverse)
    out = a.data.transpose(axes)
    return record("transpose", out, (a,), _transpose_vjp, inverse)


@composite(methods=("swapaxes",), top_level=True)
def swapaxes(a: Tensor, a1: int, a2: int) -> Tensor:
    """Exchange two axes (a transpose). vjp: g with the two axes exchanged back."""
    a1 = axis_index("swapaxes", a1, a.ndim, "first axis")
    a2 = axis_index("swapaxes", a2, a.ndim, "second axis")
    axes = list(range(a.ndim))
    axes[a1], axes[a2] = axes[a2], axes[a1]
    return transpose(a, axes)


def _broadcast_to_vjp(g: np.ndarray, old: tuple) -> tuple:
    return (unbroadcast(g, old),)


def _broadcast_to_jvp(dx: tuple, y: np.ndarray, old: tuple) -> np.ndarray:
    (da,) = dx
    return np.broadcast_to(lift(da, y.ndim), (da.shape[0], *y.shape))


@primitive(
    _broadcast_to_vjp,
    jvp=_broadcast_to_jvp,
    tensor_vjp=_broadcast_to_vjp,
    methods=(("broadcast_to", varargs), ("expand", varargs)),
    top_level=True,
)
def broadcast_to(a: Tensor, shape: Sequence[int]) -> Tensor:
    """Broadcast to ``shape`` (a read-only view). vjp: unbroadcast."""
    shape = tuple(shape)
    try:
        out = np.broadcast_to(a.data, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast {a.shape} to {shape}") from None
    return record("broadcast_to", out, (a,), _broadcast_to_vjp, a.shape)


@composite(methods=("squeeze",), top_level=True)
def squeeze(
    a: Tensor, axis: int | Sequence[int] | None = None, *, dim: int | Sequence[int] | None = None
) -> Tensor:
    """Drop size-1 axes (all, or the given ones; ``dim`` is PyTorch's name): a reshape.
    vjp: g reshaped back."""
    axis = spelled("squeeze", "axis", axis, "dim", dim)
    if axis is None:
        shape = tuple(n for n in a.shape if n != 1)
    else:
        axes = reduced_axes(axis, a.ndim, "squeeze")
        for ax in axes:
            if a.shape[ax] != 1:
                raise ValueError(f"squeeze: axis {ax} of {a.shape} has size {a.shape[ax]}, not 1")
        shape = tuple(n for i, n in enumerate(a.shape) if i not in axes)
    return reshape(a, shape)


@composite(methods=("unsqueeze",), top_level=True)
def unsqueeze(a: Tensor, axis: int | None = None, *, dim: int | None = None) -> Tensor:
    """Insert a size-1 axis at ``axis`` (``dim`` is PyTorch's name): a reshape. vjp: g
    reshaped back."""
    axis = spelled("unsqueeze", "axis", axis, "dim", dim)
    if axis is None:
        raise TypeError("unsqueeze: missing the axis (axis= or dim=) where to insert")
    axis = axis_index("unsqueeze", axis, a.ndim, new=True)
    return reshape(a, (*a.shape[:axis], 1, *a.shape[axis:]))


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


def _is_basic(idx: Any) -> bool:
    parts = idx if isinstance(idx, tuple) else (idx,)
    return all(p is None or p is Ellipsis or type(p) in (int, slice) for p in parts)


def _getitem_jvp(
    dx: tuple, y: np.ndarray, idx: Any, shape: tuple, dtype: np.dtype, unique: bool
) -> np.ndarray:
    # A basic index takes a leading ':' for the batch axis. Advanced indices may move
    # the axes they index to the front, so they index the tangent with its batch axis
    # last instead, where no index reaches it.
    (da,) = dx
    if _is_basic(idx):
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


def _concatenate_vjp(g: np.ndarray, ax: int, ends: np.ndarray, needs: list) -> list:
    return [p if r else None for p, r in zip(np.split(g, ends, axis=ax), needs, strict=True)]


def _concatenate_jvp(
    dx: tuple, y: np.ndarray, ax: int, ends: np.ndarray, needs: list
) -> np.ndarray:
    batch = next(d for d in dx if d is not None).shape[0]
    sizes = np.diff([0, *ends, y.shape[ax]])
    pieces = [
        np.zeros((batch, *y.shape[:ax], int(n), *y.shape[ax + 1 :]), y.dtype) if d is None else d
        for d, n in zip(dx, sizes, strict=True)
    ]
    return np.concatenate(pieces, axis=ax + 1)


def _concatenate_tensor_vjp(g: Tensor, ax: int, ends: np.ndarray, needs: list) -> list:
    bounds = [0, *ends.tolist(), g.shape[ax]]
    lead = (slice(None),) * ax
    return [
        getitem(g, (*lead, slice(start, stop))) if r else None
        for start, stop, r in zip(bounds[:-1], bounds[1:], needs, strict=True)
    ]


@primitive(
    _concatenate_vjp, jvp=_concatenate_jvp, tensor_vjp=_concatenate_tensor_vjp, top_level=True
)
def concatenate(
    tensors: Sequence[Any], axis: int | None = FIRST, *, dim: int | None = None
) -> Tensor:
    """Join along an existing axis (``dim`` is PyTorch's name; None joins the
    flattened tensors, as NumPy). vjp: g split back into views, one per input."""
    ts = _as_tensors(tensors, "concatenate")
    if axis is None and dim is None:
        ts, axis = tuple(reshape(t, (-1,)) for t in ts), 0
    axis = axis_index("concatenate", spelled("concatenate", "axis", axis, "dim", dim), ts[0].ndim)
    try:
        out = np.concatenate([t.data for t in ts], axis=axis)
    except ValueError:
        raise ValueError(
            f"{calling_op() or 'concatenate'}: shapes {[t.shape for t in ts]} do not fit "
            f"along axis {axis}"
        ) from None
    ax = axis % out.ndim
    ends = np.cumsum([t.shape[ax] for t in ts])[:-1]
    needs = [t.requires_grad for t in ts]
    return record("concatenate", out, ts, _concatenate_vjp, ax, ends, needs)


def _stack_vjp(g: np.ndarray, lead: tuple, needs: list) -> list:
    return [g[(*lead, i)] if r else None for i, r in enumerate(needs)]


def _stack_jvp(dx: tuple, y: np.ndarray, lead: tuple, needs: list) -> np.ndarray:
    batch = next(d for d in dx if d is not None).shape[0]
    axis = len(lead)
    shape = y.shape[:axis] + y.shape[axis + 1 :]
    pieces = [np.zeros((batch, *shape), y.dtype) if d is None else d for d in dx]
    return np.stack(pieces, axis=axis + 1)


@primitive(_stack_vjp, jvp=_stack_jvp, tensor_vjp=_stack_vjp, top_level=True)
def stack(tensors: Sequence[Any], axis: int = FIRST, *, dim: int | None = None) -> Tensor:
    """Join along a new axis (``dim`` is PyTorch's name). vjp: one view of g per input
    (O(T) for T inputs)."""
    ts = _as_tensors(tensors, "stack")
    axis = axis_index("stack", spelled("stack", "axis", axis, "dim", dim), ts[0].ndim, new=True)
    arrays = [t.data for t in ts]
    first = arrays[0].shape
    if axis == 0 and first and len({a.shape for a in arrays}) == 1:
        # Along the first axis, stacking equal shapes is joining them: one concatenate,
        # without np.stack's per-array checks and views (a layer stacks T states).
        out = np.concatenate(arrays).reshape(len(arrays), *first)
    else:
        try:
            out = np.stack(arrays, axis=axis)
        except ValueError:
            raise ValueError(
                f"{calling_op() or 'stack'}: shapes {[t.shape for t in ts]} must all be equal"
            ) from None
    lead = (slice(None),) * (axis % out.ndim)
    needs = [t._requires_grad for t in ts]
    return record("stack", out, ts, _stack_vjp, lead, needs)


def _as_tensors(tensors: Sequence[Any], op: str) -> tuple[Tensor, ...]:
    ts = tuple(t if type(t) is Tensor else to_tensor(t, None, op) for t in tensors)
    if not ts:
        raise ValueError(f"{op}: needs at least one tensor")
    return ts


__all__ = names(__name__)
