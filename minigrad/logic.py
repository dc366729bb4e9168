"""What a tensor answers outside the graph: comparisons (``t > 0``), bitwise operators
on integer and boolean tensors (``~mask``, ``a & b``), ``any``/``all`` and
``argmax``/``argmin``. Each gives a new tensor that no gradient flows through.
:class:`Logic` is a base of :class:`~minigrad.tensor.Tensor`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .axes import axis_args, axis_index, reduced_axes

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = ["Logic"]


def _wrap(data: np.ndarray) -> Tensor:
    """A tensor holding ``data``: ``Tensor._wrap``, put here by minigrad.tensor once the
    class exists (it derives from :class:`Logic`)."""
    raise RuntimeError("minigrad.logic is used through minigrad.Tensor")


class Logic:
    """The comparison, bitwise, logical and arg-extreme methods of
    :class:`~minigrad.tensor.Tensor`."""

    __slots__ = ()

    # Comparisons give boolean tensors outside the graph.
    def __lt__(self, o: Any) -> Tensor:
        return _wrap(self.data < _raw(o))

    def __le__(self, o: Any) -> Tensor:
        return _wrap(self.data <= _raw(o))

    def __gt__(self, o: Any) -> Tensor:
        return _wrap(self.data > _raw(o))

    def __ge__(self, o: Any) -> Tensor:
        return _wrap(self.data >= _raw(o))

    def __eq__(self, o: Any) -> Tensor:  # type: ignore[override]
        return _wrap(self.data == _raw(o))

    def __ne__(self, o: Any) -> Tensor:  # type: ignore[override]
        return _wrap(self.data != _raw(o))

    # Bitwise operators on integer and boolean tensors (mask algebra: ``~mask``,
    # ``a & b``) give tensors outside the graph, as comparisons do.
    def __and__(self, o: Any) -> Tensor:
        return _bitwise("&", np.bitwise_and, self, o)

    def __rand__(self, o: Any) -> Tensor:
        return _bitwise("&", np.bitwise_and, o, self)

    def __or__(self, o: Any) -> Tensor:
        return _bitwise("|", np.bitwise_or, self, o)

    def __ror__(self, o: Any) -> Tensor:
        return _bitwise("|", np.bitwise_or, o, self)

    def __xor__(self, o: Any) -> Tensor:
        return _bitwise("^", np.bitwise_xor, self, o)

    def __rxor__(self, o: Any) -> Tensor:
        return _bitwise("^", np.bitwise_xor, o, self)

    def __invert__(self) -> Tensor:
        return _bitwise("~", np.invert, self)

    def any(
        self,
        axis: Any = None,
        keepdims: bool | None = None,
        *,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Whether any element is true (non-zero), over ``axis`` (``dim``/``keepdim`` are
        PyTorch's names): a bool tensor."""
        return self._logical_reduce("any", axis, keepdims, dim, keepdim)

    def all(
        self,
        axis: Any = None,
        keepdims: bool | None = None,
        *,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Whether every element is true (non-zero), over ``axis`` (``dim``/``keepdim``
        are PyTorch's names): a bool tensor."""
        return self._logical_reduce("all", axis, keepdims, dim, keepdim)

    def _logical_reduce(self, op: str, axis: Any, keepdims: Any, dim: Any, keepdim: Any) -> Tensor:
        axis, keepdims = axis_args(op, axis, keepdims, dim, keepdim)
        if axis is not None:
            axis = reduced_axes(axis, self.ndim, op)
        return _wrap(np.asarray(getattr(self.data, op)(axis=axis, keepdims=keepdims)))

    def argmax(
        self,
        axis: int | None = None,
        keepdims: bool | None = None,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """The index of the maximum over ``axis`` (of the flattened tensor when None;
        ``dim``/``keepdim`` are PyTorch's names): an int64 tensor."""
        axis, keepdims = axis_args("argmax", axis, keepdims, dim, keepdim)
        return self._arg_extreme("argmax", axis, keepdims)

    def argmin(
        self,
        axis: int | None = None,
        keepdims: bool | None = None,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """The index of the minimum over ``axis`` (of the flattened tensor when None;
        ``dim``/``keepdim`` are PyTorch's names): an int64 tensor."""
        axis, keepdims = axis_args("argmin", axis, keepdims, dim, keepdim)
        return self._arg_extreme("argmin", axis, keepdims)

    def _arg_extreme(self, op: str, axis: Any, keepdims: bool) -> Tensor:
        """argmax/argmin with the axis checked (a 0-d tensor takes 0 or -1, as
        PyTorch) and an empty one refused, in the op's words."""
        x = self.data
        if axis is not None:
            axis = axis_index(op, axis, max(x.ndim, 1))
            if x.ndim == 0:
                axis = None
        if (x.size if axis is None else x.shape[axis]) == 0:
            where = "the tensor" if axis is None else f"axis {axis}"
            raise ValueError(
                f"{op}: {where} of shape {x.shape} is empty, and an empty axis has no "
                f"{op[3:]}imum to index"
            )
        return _wrap(np.asarray(getattr(x, op)(axis=axis, keepdims=keepdims)))


def _raw(o: Any) -> Any:
    return o.data if isinstance(o, Logic) else o


def _bitwise(op: str, fn: Callable[..., Any], *operands: Any) -> Tensor:
    """``fn`` (a NumPy bitwise ufunc) of integer or boolean operands, as NumPy and
    PyTorch; a float operand is refused, naming the operator and the dtypes."""
    arrays = [_raw(o) for o in operands]
    try:
        return _wrap(np.asarray(fn(*arrays)))
    except TypeError:
        kinds = ", ".join(str(np.asarray(a).dtype) for a in arrays)
        raise TypeError(
            f"{op}: bitwise operators take integer or boolean tensors, got {kinds}"
        ) from None
