"""What a tensor answers outside the graph: comparisons (``t > 0``, ``isclose``,
``allclose``), bitwise operators on integer and boolean tensors (``~mask``, ``a & b``),
``any``/``all``, ``argmax``/``argmin``, ``argsort`` and ``nonzero``. Each gives a new
tensor (``allclose`` a Python bool) that no gradient flows through. :class:`Logic` is a
base of :class:`~minigrad.tensor.Tensor`; the functions of the same names take tensors,
arrays or numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .axes import LAST, axis_args, axis_index, reduced_axes, spelled
from .dtypes import numeric_array

if TYPE_CHECKING:
    from .tensor import Tensor

__all__ = [
    "Logic",
    "all",
    "allclose",
    "any",
    "argmax",
    "argmin",
    "argsort",
    "isclose",
    "nonzero",
    "stable_order",
]


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

    def isclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> Tensor:
        """Where |self - other| <= atol + rtol |other|, elementwise, as ``numpy.isclose``
        and ``torch.isclose`` (the same defaults; infinities are close to equal
        infinities, NaN to NaN only with ``equal_nan``): a bool tensor of the broadcast
        shape."""
        x, y = self.data, np.asarray(_raw(other))
        try:
            return _wrap(np.asarray(np.isclose(x, y, rtol, atol, equal_nan)))
        except ValueError:
            raise ValueError(
                f"isclose: shapes {x.shape} and {y.shape} cannot be broadcast together"
            ) from None

    def allclose(
        self, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
    ) -> bool:
        """Whether :meth:`isclose` holds everywhere, as ``numpy.allclose`` and
        ``torch.allclose``: a Python bool."""
        return bool(Logic.isclose(self, other, rtol, atol, equal_nan).data.all())

    def argsort(
        self,
        axis: int | None = LAST,
        descending: bool = False,
        *,
        dim: int | None = None,
        stable: bool = False,
    ) -> Tensor:
        """The indices that sort the tensor along ``axis`` (the last by default, over the
        flattened tensor when None, as NumPy; ``dim`` is PyTorch's name; ``descending``
        as ``torch.argsort``): an int64 tensor. The sort is stable (equal values keep
        their order, in both directions), whatever PyTorch's ``stable`` says (False
        leaves the order of ties free), and NaN sort as the largest values."""
        x = self.data
        axis = spelled("argsort", "axis", axis, "dim", dim)
        if axis is None:
            x, axis = x.reshape(-1), 0
        elif x.ndim == 0:
            axis_index("argsort", axis, 1)
            return _wrap(np.zeros((), np.int64))
        else:
            axis = axis_index("argsort", axis, x.ndim)
        return _wrap(stable_order(x, axis, descending).astype(np.int64, copy=False))

    def nonzero(self, *, as_tuple: bool = False) -> Any:
        """The indices of the non-zero (true) elements in row-major order, as
        ``torch.nonzero``: an int64 tensor (n, ndim), one row per element; with
        ``as_tuple`` one int64 tensor per axis, as ``numpy.nonzero`` (a 0-d tensor
        counts as 1-d there, as PyTorch's)."""
        x = self.data
        if as_tuple:
            parts = np.nonzero(np.atleast_1d(x))
            return tuple(_wrap(i.astype(np.int64, copy=False)) for i in parts)
        return _wrap(np.argwhere(x).astype(np.int64, copy=False))

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


def _tensor(x: Any, op: str) -> Any:
    """``x`` as a tensor (a tensor itself: its methods are what a capture guards); an
    array-like of anything but numbers (a string, None, an object, a ragged list) is a
    TypeError naming ``op``."""
    if isinstance(x, Logic):
        return x
    a = numeric_array(x, op)
    return _wrap(a)


def _over_axis(name: str, what: str) -> Callable[..., Tensor]:
    """The top-level function of the method ``name`` (``any``, ``all``, ``argmax``,
    ``argmin``), for tensors, arrays and lists, as ``numpy.any`` and ``torch.argmax``."""

    def fn(
        a: Any,
        axis: Any = None,
        keepdims: bool | None = None,
        *,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        return getattr(_tensor(a, name), name)(axis, keepdims, dim=dim, keepdim=keepdim)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"{what}: ``Tensor.{name}`` of a tensor, an array or a list."
    return fn


# (they shadow the builtins any and all in this module, which does not use them)
any = _over_axis("any", "Whether any element is true")
all = _over_axis("all", "Whether every element is true")
argmax = _over_axis("argmax", "The index of the maximum")
argmin = _over_axis("argmin", "The index of the minimum")


def isclose(
    a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> Tensor:
    """Where |a - b| <= atol + rtol |b|: ``Tensor.isclose`` of tensors, arrays or numbers."""
    return _tensor(a, "isclose").isclose(b, rtol, atol, equal_nan)


def allclose(
    a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False
) -> bool:
    """Whether a and b are close everywhere: ``Tensor.allclose`` of tensors, arrays or
    numbers (a Python bool)."""
    return _tensor(a, "allclose").allclose(b, rtol, atol, equal_nan)


def argsort(
    a: Any,
    axis: int | None = LAST,
    descending: bool = False,
    *,
    dim: int | None = None,
    stable: bool = False,
) -> Tensor:
    """The indices that sort ``a`` along ``axis``: ``Tensor.argsort`` of a tensor or an
    array (always stable, also for ``stable=False``; NaN the largest)."""
    return _tensor(a, "argsort").argsort(axis, descending, dim=dim, stable=stable)


def nonzero(a: Any, *, as_tuple: bool = False) -> Any:
    """The indices of the non-zero elements: ``Tensor.nonzero`` of a tensor or an array
    (PyTorch's (n, ndim) tensor; NumPy's tuple with ``as_tuple``)."""
    return _tensor(a, "nonzero").nonzero(as_tuple=as_tuple)


def stable_order(x: np.ndarray, axis: int, descending: bool = False) -> np.ndarray:
    """The stable argsort of ``x`` along ``axis``: equal values keep their order, NaN
    sort as the largest values (last ascending, first descending), as PyTorch's
    ``sort(stable=True)`` and NumPy's ``argsort(kind="stable")``."""
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    moved = np.moveaxis(x, axis, -1)
    if moved.dtype.kind == "f":
        nan = np.isnan(moved)
        key = np.where(nan, 0, -moved)
    else:
        # integers and booleans by their rank among the distinct values: negating
        # the values themselves could wrap (unsigned, booleans, the most negative int)
        nan = np.zeros(moved.shape, bool)
        key = -np.unique(moved, return_inverse=True)[1].reshape(moved.shape)
    # lexsort takes the last key first: NaN before numbers, then larger before smaller
    return np.moveaxis(np.lexsort((key, ~nan), axis=-1), -1, axis)
