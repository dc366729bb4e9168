"""Shape primitives (reshape, transpose, broadcast) and the composites built on them
(swapaxes, squeeze, unsqueeze). Joining (concatenate, stack) is :mod:`.joins`; indexing
(getitem, its adjoint scatter, take) is :mod:`.indexing`; splitting into pieces (split,
chunk, unbind) is :mod:`.pieces`.

These ops are linear, so each jvp applies the op itself to the tangent (whose leading
batch axis the op leaves alone) and each tensor vjp is the adjoint op on tensors.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..axes import axis_index, reduced_axes, spelled
from ..gradients import KEEPS_NOTHING, TAKES_LAZY, Pending, Pieces, Scatter, settle
from ..tensor import Tensor
from .core import record, to_tensor, unbroadcast
from .registry import composite, names, primitive, shape_args, varargs
from .tangents import lift


def _flat(fn: Any) -> Any:
    """``t.ravel()``: ``reshape(t, (-1,))``."""

    def ravel(self: Tensor) -> Tensor:
        """The tensor as one axis (a reshape to (-1,))."""
        return fn(self, (-1,))

    return ravel


def _flatten(fn: Any) -> Any:
    """``t.flatten(start_dim=0, end_dim=-1)``, as ``torch.flatten`` (NumPy's takes none)."""

    def flatten(self: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Axes ``start_dim`` to ``end_dim`` (all by default) merged into one, as
        ``torch.flatten`` (a reshape; a 0-d tensor gives shape (1,))."""
        shape = self.shape
        first = axis_index("flatten", start_dim, len(shape) or 1, "start_dim")
        last = axis_index("flatten", end_dim, len(shape) or 1, "end_dim")
        if first > last:
            raise ValueError(
                f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                f"of a {len(shape)}-d tensor"
            )
        merged = int(np.prod(shape[first : last + 1]))
        return fn(self, (*shape[:first], merged, *shape[last + 1 :]))

    return flatten


def _permute_args(fn: Any) -> Any:
    """``t.permute(2, 0, 1)`` or ``t.permute((2, 0, 1))`` (PyTorch's spelling of
    ``transpose(t, axes)``); a refusal names ``permute``, the method called."""

    def method(self: Tensor, *dims: Any) -> Tensor:
        return fn(self, _permutation("permute", shape_args(dims), self.shape))

    method.__doc__ = fn.__doc__
    return method


def _permutation(where: str, axes: Sequence[Any], shape: tuple[int, ...]) -> tuple[int, ...]:
    """``axes`` as non-negative axes of ``shape``, refused (named ``where``) unless they
    are a permutation of them."""
    n = len(shape)
    axes = tuple(
        ax % n if type(ax) is int and -n <= ax < n else axis_index(where, ax, n) for ax in axes
    )
    if sorted(axes) != list(range(n)):
        raise ValueError(f"{where}: {axes} is not a permutation of the axes of {shape}")
    return axes


def _axes_args(fn: Any) -> Any:
    """``t.transpose()`` reverses the axes; ``t.transpose(1, 0)`` or ``((1, 0))`` permutes.

    Two separate axes are where NumPy's meaning (a permutation) and PyTorch's
    (``transpose(dim0, dim1)`` exchanges two axes) part: of a 2-d tensor, ``(0, 1)``
    keeps the axes, which a PyTorch user does not expect, so it warns; one axis twice
    (``(0, 0)``: PyTorch's no-op) and two axes of any other rank are not a
    permutation, and the error says to use ``swapaxes``.
    """

    def method(self: Tensor, *axes: Any) -> Tensor:
        if len(axes) == 2 and all(isinstance(ax, int | np.integer) for ax in axes):
            n = self.ndim
            first, second = (axis_index("transpose", ax, n) for ax in axes)
            if n != 2 or first == second:
                given = tuple(int(ax) for ax in axes)
                raise ValueError(
                    f"transpose: {given} is not a permutation of the axes of {self.shape}; "
                    f"to exchange two axes (PyTorch's transpose(dim0, dim1)) use "
                    f"swapaxes({given[0]}, {given[1]})"
                )
            if first == 0:
                warnings.warn(
                    f"transpose{tuple(axes)} of a 2-d tensor keeps its axes (NumPy's meaning: "
                    "a permutation); to exchange them, as PyTorch's transpose(dim0, dim1) does, "
                    "use swapaxes or .T",
                    stacklevel=2,
                )
        return fn(self, shape_args(axes) if axes else None)

    method.__doc__ = fn.__doc__
    return method


def _reshape_vjp(g: np.ndarray, old: tuple) -> tuple:
    return (g.reshape(old),)


KEEPS_NOTHING.add(_reshape_vjp)


def _reshape_jvp(dx: tuple, y: np.ndarray, old: tuple) -> np.ndarray:
    (da,) = dx
    return da.reshape((da.shape[0], *y.shape))


@primitive(
    _reshape_vjp,
    jvp=_reshape_jvp,
    tensor_vjp=_reshape_vjp,
    methods=(("reshape", varargs), ("view", varargs), ("flatten", _flatten), ("ravel", _flat)),
    top_level=True,
)
def reshape(a: Tensor, shape: Sequence[int]) -> Tensor:
    """Same data in a new shape (a view when NumPy can). vjp: g in the old shape."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "reshape")
    x = a.data
    try:
        out = x.reshape(shape if type(shape) is tuple else tuple(shape))
    except ValueError:
        raise ValueError(f"reshape: cannot reshape {a.shape} into {tuple(shape)}") from None
    except TypeError:
        raise TypeError(f"reshape: the shape must be integers, got {shape!r}") from None
    return record("reshape", out, (a,), _reshape_vjp, x.shape)


#: A matrix larger than this (about a core's L2 cache here) is not copied across
#: layouts, a strided pass over memory (2.3 ms for 2048 x 512 float32): backward sums a
#: large W^T's gradient as W's, and a compiled step reads a large W^T once as a view.
#: Below it the copy is cheap and the GEMM's orientation matters more (W1's 512 x 128
#: recurrent weight: 1% slower summed as W's).
LARGE_MATRIX_BYTES = 1 << 20


def _transpose_vjp(g: np.ndarray, inverse: tuple) -> tuple:
    kind = type(g)
    if kind is Pending and len(inverse) == 2 and g.nbytes() > LARGE_MATRIX_BYTES:
        # A large weight's gradient summed over its uses as W^T: summed as W's, in the
        # row-major layout .grad keeps, instead of transposed and copied across.
        return (g.transposed(),)
    if kind is Pieces or kind is Scatter or kind is Pending:
        g = settle(g)
    return (g.transpose(inverse),)


TAKES_LAZY.add(_transpose_vjp)
KEEPS_NOTHING.add(_transpose_vjp)


def _transpose_jvp(dx: tuple, y: np.ndarray, inverse: tuple) -> np.ndarray:
    (da,) = dx
    return da.transpose((0, *(int(ax) + 1 for ax in np.argsort(inverse))))


@primitive(
    _transpose_vjp,
    jvp=_transpose_jvp,
    tensor_vjp=_transpose_vjp,
    methods=(("transpose", _axes_args), ("permute", _permute_args), ("T", property)),
    top_level=True,
)
def transpose(a: Tensor, axes: Sequence[int] | None = None) -> Tensor:
    """Permute axes (reverse them by default), as a view. vjp: the inverse permutation."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "transpose")
    x = a.data
    n = x.ndim
    if axes is None:
        if n == 2:  # a matrix's transpose (W.T), its own inverse
            return record("transpose", x.transpose(_SWAP), (a,), _transpose_vjp, _SWAP)
        axes = tuple(range(n - 1, -1, -1))
    else:
        axes = _permutation("transpose", axes, x.shape)
    inverse = [0] * n
    for k, ax in enumerate(axes):
        inverse[ax] = k
    inverse = tuple(inverse)
    out = x.transpose(axes)
    return record("transpose", out, (a,), _transpose_vjp, inverse)


_SWAP = (1, 0)


@composite(methods=("swapaxes",), top_level=True)
def swapaxes(a: Tensor, a1: int, a2: int) -> Tensor:
    """Exchange two axes (a transpose). vjp: g with the two axes exchanged back."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "swapaxes")
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


def _expand(fn: Any) -> Any:
    """PyTorch's ``t.expand(2, -1)``: broadcast_to, where -1 keeps the size of the axis
    it stands over (aligned from the right, as broadcasting aligns). A new leading axis
    has no size to keep, so -1 there is refused, as PyTorch refuses it."""

    def expand(self: Tensor, *sizes: Any) -> Tensor:
        shape = tuple(shape_args(sizes))
        lead = len(shape) - self.ndim
        if lead < 0:
            raise ValueError(
                f"expand: sizes {shape} are fewer than the axes of a tensor of shape "
                f"{self.shape}; give a size for every axis"
            )
        if -1 in shape[:lead]:
            raise ValueError(
                f"expand: -1 at axis {shape.index(-1)} of {shape} is a new leading axis of a "
                f"tensor of shape {self.shape}, with no size to keep; give its size"
            )
        shape = tuple(
            self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(shape)
        )
        return fn(self, shape)

    expand.__doc__ = _expand.__doc__
    return expand


@primitive(
    _broadcast_to_vjp,
    jvp=_broadcast_to_jvp,
    tensor_vjp=_broadcast_to_vjp,
    methods=(("broadcast_to", varargs), ("expand", _expand)),
    top_level=True,
)
def broadcast_to(a: Tensor, shape: Sequence[int]) -> Tensor:
    """Broadcast to ``shape`` (a read-only view). vjp: unbroadcast."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "broadcast_to")
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
    if type(a) is not Tensor:
        a = to_tensor(a, None, "squeeze")
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
    if type(a) is not Tensor:
        a = to_tensor(a, None, "unsqueeze")
    axis = spelled("unsqueeze", "axis", axis, "dim", dim)
    if axis is None:
        raise TypeError("unsqueeze: missing the axis (axis= or dim=) where to insert")
    axis = axis_index("unsqueeze", axis, a.ndim, new=True)
    return reshape(a, (*a.shape[:axis], 1, *a.shape[axis:]))


__all__ = names(__name__)
