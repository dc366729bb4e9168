"""Rearrangements: flips, rolls, repeats, tiles, diagonals, triangles, padding,
stacking and minimum ranks, all composites.

Each gather-type op asks NumPy's own function where every output element comes
from: it runs on the array of positions ``arange(a.size).reshape(a.shape)``, and the
output is ``a.reshape(-1)[positions]`` (one ``getitem``). So values follow NumPy's
semantics exactly, and the gradient is the scatter-add of ``getitem`` (repeats
accumulate). Positions -1 mark fill values (padding, off-diagonal zeros).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..axes import FIRST, Default, axis_index, spelled
from ..tensor import Tensor
from .core import to_tensor
from .indexing import getitem
from .joins import concatenate
from .operands import _as_tensors
from .reduce import sum
from .registry import composite, names
from .select import where
from .shape import reshape, transpose

SECOND = Default(1)


def _gather(a: Tensor, arrange: Callable[[np.ndarray], np.ndarray]) -> Tensor:
    """``a`` rearranged as ``arrange`` rearranges its positions; -1 gives a zero of
    ``a``'s dtype.
    Arguments that do not fit ``a`` are a ValueError naming the op, its arguments and
    ``a``'s shape."""
    try:
        pos = np.asarray(arrange(np.arange(a.size).reshape(a.shape)))
    except (ValueError, IndexError, TypeError) as e:
        caller = sys._getframe(1)
        given = ", ".join(
            f"{k}={v!r}"
            for k, v in caller.f_locals.items()
            if k not in ("a", "v", "dim", "dims", "dim1", "dim2", "shifts", "diagonal")
            and v is not None
        )
        raise ValueError(
            f"{caller.f_code.co_name}: {given or 'its arguments'} do not fit a tensor of "
            f"shape {a.shape} ({e})"
        ) from None
    out = getitem(reshape(a, (-1,)), np.maximum(pos, 0))
    if (pos < 0).any():
        out = where(pos >= 0, out, np.zeros((), a.dtype))
    return out


@composite(methods=("flip",), top_level=True)
def flip(
    a: Tensor, axis: int | Sequence[int] | None = None, *, dims: int | Sequence[int] | None = None
) -> Tensor:
    """Reverse the order along ``axis`` (all axes when None; ``dims`` is PyTorch's
    name). vjp: g flipped back."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "flip")
    axis = spelled("flip", "axis", axis, "dims", dims)
    return _gather(a, lambda p: np.flip(p, axis))


@composite(methods=("flipud",), top_level=True)
def flipud(a: Tensor) -> Tensor:
    """Reverse along axis 0. vjp: g flipped back."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "flipud")
    return _gather(a, np.flipud)


@composite(methods=("fliplr",), top_level=True)
def fliplr(a: Tensor) -> Tensor:
    """Reverse along axis 1. vjp: g flipped back."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "fliplr")
    return _gather(a, np.fliplr)


@composite(methods=("rot90",), top_level=True)
def rot90(
    a: Tensor, k: int = 1, axes: Sequence[int] | None = None, *, dims: Sequence[int] | None = None
) -> Tensor:
    """Rotate by 90 degrees k times in the plane ``axes`` ((0, 1) when not given;
    ``dims`` is PyTorch's name). vjp: g rotated back."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "rot90")
    axes = spelled("rot90", "axes", axes, "dims", dims, (0, 1))
    if not isinstance(axes, (tuple, list)) or len(axes) != 2:
        raise ValueError(f"rot90: axes must be two axes (the plane), got {axes!r}")
    plane = [axis_index("rot90", ax, a.ndim, "axis") for ax in axes]
    if plane[0] == plane[1]:
        raise ValueError(f"rot90: axes {tuple(axes)} name one axis twice; the plane needs two")
    return _gather(a, lambda p: np.rot90(p, k, tuple(plane)))


@composite(methods=("roll",), top_level=True)
def roll(
    a: Tensor,
    shift: int | Sequence[int] | None = None,
    axis: int | Sequence[int] | None = None,
    *,
    shifts: int | Sequence[int] | None = None,
    dims: int | Sequence[int] | None = None,
) -> Tensor:
    """Shift cyclically by ``shift`` along ``axis`` (flattened when None; ``shifts`` and
    ``dims`` are PyTorch's names). vjp: g rolled back."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "roll")
    shift = spelled("roll", "shift", shift, "shifts", shifts)
    if shift is None:
        raise TypeError("roll: missing the shift (shift= or shifts=)")
    axis = spelled("roll", "axis", axis, "dims", dims)
    return _gather(a, lambda p: np.roll(p, shift, axis))


@composite(methods=("repeat",), top_level=True)
def repeat(
    a: Tensor, repeats: int | Sequence[int], axis: int | None = None, *, dim: int | None = None
) -> Tensor:
    """Each element repeated ``repeats`` times along ``axis`` (flattened when None;
    NumPy's ``repeat``, PyTorch's ``repeat_interleave``, whose ``dim`` it takes). vjp:
    g summed over the copies."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "repeat")
    axis = spelled("repeat", "axis", axis, "dim", dim)
    return _gather(a, lambda p: np.repeat(p, repeats, axis))


@composite(methods=("tile",), top_level=True)
def tile(
    a: Tensor, reps: int | Sequence[int] | None = None, *, dims: int | Sequence[int] | None = None
) -> Tensor:
    """The whole tensor repeated ``reps`` times per axis (PyTorch's ``Tensor.repeat``;
    ``dims`` is ``torch.tile``'s name for reps). vjp: g summed over the tiles."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "tile")
    reps = spelled("tile", "reps", reps, "dims", dims)
    if reps is None:
        raise TypeError("tile: missing the repetitions (reps= or dims=)")
    return _gather(a, lambda p: np.tile(p, reps))


@composite(methods=("diagonal",), top_level=True)
def diagonal(
    a: Tensor,
    offset: int = 0,
    axis1: int = FIRST,
    axis2: int = SECOND,
    *,
    dim1: int | None = None,
    dim2: int | None = None,
) -> Tensor:
    """The diagonal of the (axis1, axis2) planes, as a last axis (``dim1``, ``dim2``
    are PyTorch's names). vjp: g on the diagonal, 0 elsewhere."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "diagonal")
    axis1 = spelled("diagonal", "axis1", axis1, "dim1", dim1)
    axis2 = spelled("diagonal", "axis2", axis2, "dim2", dim2)
    return _gather(a, lambda p: np.diagonal(p, offset, axis1, axis2))


_diagonal = diagonal  # for diag, whose PyTorch argument ``diagonal`` hides the op


@composite(methods=("trace",), top_level=True)
def trace(a: Tensor, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Sum of the diagonal: sum(diagonal(a)). vjp: g on the diagonal."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "trace")
    if a.ndim < 2:
        raise ValueError(f"trace: needs at least a 2-d tensor, got shape {a.shape}")
    i, j = axis_index("trace", axis1, a.ndim, "axis1"), axis_index("trace", axis2, a.ndim, "axis2")
    if i == j:
        raise ValueError(
            f"trace: axis1={axis1} and axis2={axis2} are the same axis of a {a.ndim}-d tensor"
        )
    return sum(diagonal(a, offset, i, j), -1)


@composite(top_level=True)
def diag(v: Tensor, k: int = FIRST, *, diagonal: int | None = None) -> Tensor:
    """A 1-d ``v`` on the k-th diagonal of a square matrix, or the k-th diagonal of a
    2-d ``v`` (``diagonal`` is PyTorch's name for k). vjp: the matching diagonal of g
    (or g put on it)."""
    if type(v) is not Tensor:
        v = to_tensor(v, None, "diag")
    k = spelled("diag", "k", k, "diagonal", diagonal)
    if v.ndim == 1:
        return _gather(v, lambda p: np.diag(p + 1, k) - 1)
    if v.ndim == 2:
        return _diagonal(v, k)
    raise ValueError(f"diag: needs a 1-d or 2-d tensor, got shape {v.shape}")


def _triangle(a: Tensor, keep: np.ndarray, op: str) -> Tensor:
    if a.ndim < 2:
        raise ValueError(f"{op}: needs at least a 2-d tensor, got shape {a.shape}")
    # a zero of a's own dtype: a Python 0.0 would make an integer or bool tensor float
    return where(keep, a, np.zeros((), a.dtype))


@composite(methods=("tril",), top_level=True)
def tril(a: Tensor, k: int = FIRST, *, diagonal: int | None = None) -> Tensor:
    """The lower triangle (j <= i + k) of the last two axes, 0 above (``diagonal`` is
    PyTorch's name for k). vjp: g below."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "tril")
    k = spelled("tril", "k", k, "diagonal", diagonal)
    return _triangle(a, np.tril(np.ones(a.shape[-2:], dtype=bool), k), "tril")


@composite(methods=("triu",), top_level=True)
def triu(a: Tensor, k: int = FIRST, *, diagonal: int | None = None) -> Tensor:
    """The upper triangle (j >= i + k) of the last two axes, 0 below (``diagonal`` is
    PyTorch's name for k). vjp: g above."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "triu")
    k = spelled("triu", "k", k, "diagonal", diagonal)
    return _triangle(a, np.triu(np.ones(a.shape[-2:], dtype=bool), k), "triu")


PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap")


def _pairs(value: Any, shape: tuple, what: str, integers: bool) -> np.ndarray:
    """``value`` as one (before, after) pair per axis, (ndim, 2): a number, one pair
    (before, after) for every axis, or one pair per axis (NumPy's forms)."""
    arr = np.asarray(value.data if isinstance(value, Tensor) else value)
    if arr.dtype.kind not in "biuf" or (integers and arr.dtype.kind not in "iu"):
        kind = "integers" if integers else "numbers"
        raise TypeError(f"pad: {what} must be {kind}, got {value!r}")
    try:
        return np.broadcast_to(arr, (len(shape), 2))
    except ValueError:
        raise ValueError(
            f"pad: {what} {value!r} does not give (before, after) for the {len(shape)} axes "
            f"of shape {shape}; give a number, one (before, after) pair, or one pair per axis"
        ) from None


@composite(top_level=True)
def pad(a: Tensor, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Tensor:
    """Pad as ``numpy.pad``: widths as an int, (before, after) or one pair per axis;
    mode "constant" (``constant_values`` in the same three forms, 0 by default), "edge",
    "reflect", "symmetric" or "wrap". vjp: g of the interior, plus the copies' g summed
    onto their sources (0 for constants)."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "pad")
    if mode not in PAD_MODES:
        raise ValueError(f"pad: mode {mode!r} is not one of {', '.join(map(repr, PAD_MODES))}")
    widths = _pairs(pad_width, a.shape, "pad_width", integers=True)
    if (widths < 0).any():
        raise ValueError(f"pad: widths must be >= 0, got pad_width={pad_width!r}")
    if a.ndim == 0:
        return reshape(a, ())  # no axis to pad, as NumPy
    if mode != "constant":
        if constant_values is not None:
            raise ValueError(f"pad: constant_values is for mode 'constant', not {mode!r}")
        for i, n in enumerate(a.shape):
            if n == 0 and widths[i].any():
                raise ValueError(
                    f"pad: axis {i} of shape {a.shape} is empty, so mode {mode!r} has "
                    "nothing to repeat; pad it with mode 'constant'"
                )
        return _gather(a, lambda p: np.pad(p, widths, mode=mode))
    fill = _pairs(
        0 if constant_values is None else constant_values, a.shape, "constant_values", False
    )
    pos = np.pad(np.arange(a.size).reshape(a.shape), widths, constant_values=-1)
    fills = np.pad(np.zeros(a.shape, a.dtype), widths, constant_values=fill)
    # Gather from a's elements followed by the padded array of fill values, so padding
    # an empty tensor works too and the fills carry no gradient.
    source = concatenate([reshape(a, (-1,)), Tensor._wrap(fills.reshape(-1))])
    return getitem(source, np.where(pos >= 0, pos, a.size + np.arange(pos.size).reshape(pos.shape)))


@composite(methods=("moveaxis",), top_level=True)
def moveaxis(a: Tensor, source: int | Sequence[int], destination: int | Sequence[int]) -> Tensor:
    """Axes ``source`` moved to ``destination``, the others in order (a transpose).
    vjp: g transposed back."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "moveaxis")
    src = _distinct_axes("source", source, a.ndim)
    dst = _distinct_axes("destination", destination, a.ndim)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: {len(src)} source and {len(dst)} destination axes")
    perm = [n for n in range(a.ndim) if n not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        perm.insert(d, s)
    return transpose(a, tuple(perm))


def _distinct_axes(name: str, value: Any, ndim: int) -> list[int]:
    """moveaxis's ``source`` or ``destination`` as indices, each in range, none twice."""
    items = [value] if isinstance(value, (int, np.integer)) else list(value)
    out = [axis_index("moveaxis", ax, ndim, name) for ax in items]
    if len(set(out)) != len(out):
        raise ValueError(f"moveaxis: {name} {tuple(items)} repeats an axis of a {ndim}-d tensor")
    return out


def _ranked(tensors: tuple, shapes: Callable[[tuple], tuple], op: str) -> Any:
    out = [reshape(t := to_tensor(x, None, op), shapes(t.shape)) for x in tensors]
    return out[0] if len(out) == 1 else out


@composite(top_level=True)
def atleast_1d(*tensors: Any) -> Any:
    """Each input with at least 1 axis (a 0-d one becomes shape (1,)). vjp: g reshaped back."""
    return _ranked(tensors, lambda s: s or (1,), "atleast_1d")


@composite(top_level=True)
def atleast_2d(*tensors: Any) -> Any:
    """Each input with at least 2 axes: () -> (1, 1), (n,) -> (1, n). vjp: g reshaped
    back."""
    return _ranked(tensors, lambda s: (1,) * (2 - len(s)) + s if len(s) < 2 else s, "atleast_2d")


def _three(s: tuple) -> tuple:
    return {0: (1, 1, 1), 1: (1, *s, 1), 2: (*s, 1)}.get(len(s), s)


@composite(top_level=True)
def atleast_3d(*tensors: Any) -> Any:
    """Each input with at least 3 axes: () -> (1, 1, 1), (n,) -> (1, n, 1),
    (m, n) -> (m, n, 1). vjp: g reshaped back."""
    return _ranked(tensors, _three, "atleast_3d")


def _listed(tensors: Any, op: str) -> list:
    if isinstance(tensors, Tensor) or not len(tensors):
        raise ValueError(f"{op}: needs a non-empty sequence of tensors")
    return list(_as_tensors(tensors, op))


@composite(top_level=True)
def vstack(tensors: Sequence[Any]) -> Tensor:
    """Stack rows: concatenate along axis 0 after atleast_2d. vjp: g split back."""
    return concatenate([atleast_2d(t) for t in _listed(tensors, "vstack")], 0)


@composite(top_level=True)
def hstack(tensors: Sequence[Any]) -> Tensor:
    """Stack columns: concatenate along axis 1 (axis 0 for 1-d inputs) after
    atleast_1d. vjp: g split back."""
    parts = [atleast_1d(t) for t in _listed(tensors, "hstack")]
    return concatenate(parts, 0 if parts[0].ndim == 1 else 1)


__all__ = names(__name__)
