"""Splitting a tensor into pieces: split, chunk, unbind.

Each piece is a ``getitem`` node of the tensor: its gradient is a
:class:`~minigrad.gradients.Scatter` that the engine adds into the tensor's one gradient
buffer, so splitting into n pieces costs O(n) in backward, and capture, forward mode
and ``create_graph`` treat the pieces as the slices they are. What these ops save over
``[a[i] for i in ...]`` is the per-call work of indexing: one call checks the axis and
builds (or looks up) every index, then records the pieces in one loop.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import forward, tape
from ..axes import FIRST, axis_index, spelled
from ..gradients import part_vjp, slice_vjp
from ..modes import grad_enabled
from ..tape import _child_scope, scope, shared_shape
from ..tensor import Tensor
from . import core
from .core import next_seq, record, scope_get, to_tensor
from .indexing import getitem
from .registry import composite, names

__all__ = ["slices"]


def slices(a: Tensor, indices: Sequence[Any], scopes: Sequence[str] | None = None) -> list[Tensor]:
    """``[a[i] for i in indices]`` for basic indices that select without repeats
    (integers, slices, Ellipsis, tuples of them), each piece recorded as ``getitem``.

    ``scopes`` names, per piece, a scope the piece is recorded in under the current one
    (``"gate=r"``), as if each were sliced inside ``minigrad.scope(name)``: a cell's
    gate slices carry their gate's name for the graph drawing without entering and
    leaving a scope per slice.
    """
    if core.capturing() is not None or (scopes is not None and tape.observers):
        return _one_by_one(a, indices, scopes)
    d = a.data
    shape, dtype = shared_shape(d.shape), d.dtype
    if not (a._requires_grad and grad_enabled()) or forward._level:
        return [record("getitem", d[i], (a,), slice_vjp, i, shape, dtype, True) for i in indices]
    if a._node is None:
        # Pieces of a leaf are ordinary slices: backward passes over a piece's node only
        # to reach the node of the tensor it was cut from.
        return _one_by_one(a, indices, scopes)
    # Every piece recorded here, as ``record`` would: they share their parents, their
    # shape and their scope path, so each costs a view, a node and a tensor.
    parents = (a._node or a,)
    here = scope_get()
    paths = [here] * len(indices) if scopes is None else _paths(here, tuple(scopes))
    epoch = tape._inplace_epoch
    observers = tape.observers
    new, blank, node_class = object.__new__, tape._blank_node, tape.Node
    out = []
    last: tuple[int, ...] = ()
    for i, path in zip(indices, paths, strict=True):
        v = d[i]
        node = blank(node_class)
        node.op = "getitem"
        node.parents = parents
        node.vjp = part_vjp
        node.saved = (i, shape, dtype, True)
        s = v.shape
        node.shape = last = last if s == last else shared_shape(s)
        node.seq = next_seq()
        node.scope = path
        node.epoch = epoch
        node.hooks = node.retained = None
        t = new(Tensor)
        t.data = v
        t._node = node
        t._requires_grad = True
        if observers:
            tape.tell_recorded(node, v)
        out.append(t)
    return out


# The scope paths of pieces, by (current path, piece scope names). A layer cuts its
# gates under a path per time step, so a long sequence has thousands of these keys,
# visited in the same order at every call: a least-recently-used cache smaller than
# that would miss every time. Like the paths themselves, the table is emptied when full.
_piece_paths: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[tuple[str, ...], ...]] = {}


def _paths(here: tuple[str, ...], scopes: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """The scope path of each piece: a cell's gates are cut under the same path at every
    step of every call, so the paths are built once."""
    key = (here, scopes)
    paths = _piece_paths.get(key)
    if paths is None:
        if len(_piece_paths) >= 65536:
            _piece_paths.clear()
        paths = _piece_paths[key] = tuple(_child_scope(here, name) for name in scopes)
    return paths


def _one_by_one(a: Tensor, indices: Sequence[Any], scopes: Sequence[str] | None) -> list[Tensor]:
    """Each piece through ``getitem``, inside its scope: what a capture records (its
    guards see a primitive read the values) and what a capture or a tape observer sees
    of each node's scope is then what ops record anywhere."""
    if scopes is None:
        return [getitem(a, i) for i in indices]
    out = []
    for i, name in zip(indices, scopes, strict=True):
        with scope(name):
            out.append(getitem(a, i))
    return out


@composite(methods=("split",), top_level=True)
def split(
    a: Tensor,
    size_or_sections: int | Sequence[int],
    axis: int = FIRST,
    *,
    dim: int | None = None,
) -> list[Tensor]:
    """Split along ``axis`` (``dim`` is PyTorch's name) into pieces of ``size`` (the
    last may be smaller) or of the given sizes, as ``torch.split``: an empty axis gives
    one empty piece, and a size of 0 is allowed only there. Sizes are integers (not
    bools). vjp: the pieces' g joined along ``axis`` (each piece is a slice, so backward
    is O(n))."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "split")
    axis = axis_index("split", spelled("split", "axis", axis, "dim", dim), a.ndim)
    n = a.shape[axis]
    if _is_int(size_or_sections):
        sizes = _piece_sizes(int(size_or_sections), n, axis, a.shape)
    elif isinstance(size_or_sections, Sequence | np.ndarray) and not isinstance(
        size_or_sections, str | bytes
    ):
        bad = [s for s in size_or_sections if not _is_int(s)]
        if bad:
            raise TypeError(
                f"split: sizes must be integers, got {bad[0]!r} in {list(size_or_sections)!r}"
            )
        sizes = tuple(int(s) for s in size_or_sections)
        if min(sizes, default=0) < 0:
            raise ValueError(f"split: sizes {list(sizes)} must not be negative")
        if sum(sizes) != n:
            raise ValueError(
                f"split: sizes {list(sizes)} do not add up to {n} (axis {axis} of {a.shape})"
            )
    else:
        raise TypeError(
            "split: size_or_sections must be an integer or a sequence of integers, "
            f"got {size_or_sections!r}"
        )
    return slices(a, _split_indices(axis, sizes))


def _is_int(v: object) -> bool:
    """An integer size: Python or NumPy, not a bool (as torch refuses them)."""
    return isinstance(v, int | np.integer) and not isinstance(v, bool | np.bool_)


def _piece_sizes(size: int, n: int, axis: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Pieces of ``size`` covering n (the last may be smaller); an empty axis gives one
    empty piece, whatever the size, and only there may the size be 0 (as torch)."""
    if size < 0:
        raise ValueError(f"split: size must not be negative, got {size}")
    if size == 0 and n > 0:
        raise ValueError(
            f"split: size 0 is allowed only on an empty axis; axis {axis} of {shape} has {n}"
        )
    if n == 0:
        return (0,)
    return tuple(min(size, n - s) for s in range(0, n, size))


@functools.lru_cache(maxsize=256)
def _split_indices(axis: int, sizes: tuple[int, ...]) -> tuple[tuple[slice, ...], ...]:
    """The index of each piece. Cached: a layer splits its gates the same way at every
    step, and shared immutable indices are fewer objects for the tape to keep."""
    lead = (slice(None),) * axis
    ends = np.cumsum((0, *sizes)).tolist()
    return tuple((*lead, slice(start, end)) for start, end in itertools.pairwise(ends))


@composite(methods=("chunk",), top_level=True)
def chunk(a: Tensor, chunks: int, axis: int = FIRST, *, dim: int | None = None) -> list[Tensor]:
    """Split into ``chunks`` nearly equal pieces of ceil(n / chunks) along ``axis``
    (``dim`` is PyTorch's name), as ``torch.chunk`` (so there may be fewer pieces; an
    empty axis gives ``chunks`` empty pieces). vjp: the pieces' g joined along ``axis``."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "chunk")
    axis = axis_index("chunk", spelled("chunk", "axis", axis, "dim", dim), a.ndim)
    if not isinstance(chunks, (int, np.integer)) or isinstance(chunks, bool):
        raise TypeError(f"chunk: chunks must be an integer, got {chunks!r}")
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = a.shape[axis]
    if n == 0:
        return split(a, [0] * chunks, axis)
    return split(a, -(-n // chunks), axis)


@composite(methods=("unbind",), top_level=True)
def unbind(a: Tensor, axis: int = FIRST, *, dim: int | None = None) -> list[Tensor]:
    """The slices along ``axis`` (``dim`` is PyTorch's name) with that axis removed
    (e.g. the T steps of a (T, N, H) sequence). vjp: the slices' g stacked along
    ``axis`` (each is an integer index, so backward is O(T) in total)."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "unbind")
    axis = axis_index("unbind", spelled("unbind", "axis", axis, "dim", dim), a.ndim)
    n = a.shape[axis]
    return slices(a, range(n) if axis == 0 else _unbind_indices(axis, n))


@functools.lru_cache(maxsize=64)
def _unbind_indices(axis: int, n: int) -> tuple[tuple[Any, ...], ...]:
    """``(:, ..., :, i)`` for each i < n, ``axis`` colons (cached as the split's)."""
    lead = (slice(None),) * axis
    return tuple((*lead, i) for i in range(n))


__all__ += names(__name__)
