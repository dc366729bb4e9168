"""Conversions between dtypes and copies: ``cast`` (NumPy's ``astype``, PyTorch's
``.float()``, ``.double()``, ``.long()``...), ``to`` and ``type_as`` (PyTorch's), and
``clone``.

A cast between float dtypes is differentiable: the gradient is cast back to the
input's dtype (vjp: g as the input's dtype; jvp: the tangent as the output's). A cast to
an integer or boolean dtype gives a tensor without history, as PyTorch: indices and
masks carry no gradient. NumPy's spellings (``cast``, ``astype``) always copy; PyTorch's
(``to``, ``type_as``, ``float``, ``double``...) return the tensor itself when it already
has the dtype, as PyTorch's do.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import derived, record, to_tensor
from .registry import composite, names, primitive


def _to_dtype(dtype: Any) -> Any:
    """A Tensor method casting to ``dtype`` (``t.float()``, ``t.double()``), which
    returns the tensor itself when it has that dtype already (PyTorch's)."""

    def adapter(fn: Any) -> Any:
        def method(self: Tensor) -> Tensor:
            return to(self, dtype)

        method.__doc__ = f"Cast to {np.dtype(dtype)} (see ``to``; the tensor itself if it is one)."
        return method

    return adapter


def _cast_vjp(g: np.ndarray, src: np.dtype) -> tuple:
    return (g.astype(src),)


def _cast_jvp(dx: tuple, y: np.ndarray, src: np.dtype) -> np.ndarray:
    (da,) = dx
    return da.astype(y.dtype)


@primitive(
    _cast_vjp,
    jvp=_cast_jvp,
    tensor_vjp=_cast_vjp,
    methods=(
        "astype",
        ("float", _to_dtype(np.float32)),
        ("double", _to_dtype(np.float64)),
        ("long", _to_dtype(np.int64)),
        ("int", _to_dtype(np.int32)),
        ("bool", _to_dtype(np.bool_)),
    ),
)
def cast(a: Tensor, dtype: Any) -> Tensor:
    """Convert to ``dtype`` (a copy, as NumPy's ``astype``). vjp: g converted back to
    the input's dtype.

    A cast to an integer or boolean dtype (``t.long()``, ``t.int()``, ``t.bool()``)
    gives a tensor without history, as PyTorch: indices and masks carry no gradient.
    """
    if type(a) is not Tensor:
        a = to_tensor(a, None, "cast")
    d = np.dtype(dtype)
    if d.kind != "f":
        if d.kind not in "biu":
            raise TypeError(f"cast: a tensor cannot become {d}; expected a real number dtype")
        # an op of no gradient: a compiled replay casts each call's values anew
        return derived("cast", functools.partial(_astype, d), a)
    return record("cast", a.data.astype(d), (a,), _cast_vjp, a.dtype)


def _astype(dtype: np.dtype, x: np.ndarray) -> np.ndarray:
    return x.astype(dtype)


@composite(methods=("to",))
def to(
    a: Tensor,
    *args: Any,
    dtype: Any = None,
    device: Any = None,
    copy: bool = False,
    non_blocking: bool = False,
) -> Tensor:
    """``a`` as ``dtype`` (a NumPy dtype or its name, or a tensor whose dtype to take),
    as PyTorch's ``Tensor.to``: ``a`` itself when it has that dtype already, unless
    ``copy``; else :func:`cast`. vjp: g cast back to a's dtype.

    minigrad computes on the CPU (NumPy): the device ``"cpu"`` (as ``dtype`` or
    ``device``, or first in PyTorch's ``to(device, dtype)``) changes nothing, and any
    other device is refused; ``non_blocking`` is accepted (a copy on the CPU is
    synchronous).
    """
    a = to_tensor(a, None, "to")
    dtype = to_arguments("to", args, dtype, device)
    if isinstance(dtype, Tensor):
        dtype = dtype.dtype
    try:
        d = a.dtype if dtype is None else np.dtype(dtype)
    except TypeError:
        raise TypeError(
            f"to: expected a dtype, a tensor whose dtype to take or the device 'cpu', got {dtype!r}"
        ) from None
    if d == a.dtype and not copy:
        return a
    return cast(a, d)


# PyTorch's device names: "cpu" is where minigrad computes; the others are refused by
# name rather than read as an unknown dtype.
_DEVICES = ("cpu", "cuda", "mps", "xpu", "meta")


def to_arguments(who: str, args: tuple, dtype: Any, device: Any) -> Any:
    """The dtype asked of a ``to(...)`` call (None: none) given PyTorch's forms
    ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(tensor)``, and the keywords
    ``dtype=`` and ``device=``; the device is checked by :func:`on_cpu`."""
    given = dtype
    if len(args) == 2 and _names_device(args[0]) and device is None:
        device, dtype = args
    elif len(args) == 1 and _names_device(args[0]) and device is None:
        device = args[0]
    elif len(args) == 1:
        dtype = args[0]
    elif args:
        raise TypeError(
            f"{who}: expected (dtype), (device), (device, dtype) or (tensor) positionally, "
            f"got {args!r}"
        )
    if given is not None and dtype is not given:
        raise TypeError(f"{who}: the dtype given twice, as {dtype!r} and dtype={given!r}")
    return on_cpu(dtype, device, who)


def on_cpu(dtype: Any, device: Any, who: str) -> Any:
    """The dtype a ``to(dtype, device=...)`` call asks for (None: none), after checking
    its device: PyTorch's ``.to("cpu")``/``.to(device="cpu")`` change nothing here, where
    everything is computed on the CPU (NumPy), and any other device raises TypeError.
    A device name given in the dtype's place (``.to("cuda")``) is read as a device."""
    if _names_device(dtype):
        dtype, device = None, dtype
    if device is not None and str(device).split(":")[0] != "cpu":
        raise TypeError(f"{who}: minigrad runs on the CPU (NumPy) only; got device {device!r}")
    return dtype


def _names_device(x: Any) -> bool:
    """A device's name (``"cpu"``, ``"cuda:0"``), or a device object (``torch.device``)."""
    if not isinstance(x, str):
        if type(x).__name__ != "device":
            return False
        x = str(x)
    return x.split(":")[0] in _DEVICES


@composite(methods=("type_as",))
def type_as(a: Tensor, other: Any) -> Tensor:
    """``a`` as ``other``'s dtype (a tensor or an array), as PyTorch's ``Tensor.type_as``:
    ``a`` itself when the dtypes agree. vjp: g cast back to a's dtype."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "type_as")
    dtype = getattr(other, "dtype", None)
    if dtype is None:
        raise TypeError(f"type_as: expected a tensor or an array, got {type(other).__name__}")
    return to(a, dtype)


@composite(methods=("clone",), top_level=True)
def clone(a: Tensor) -> Tensor:
    """A copy of ``a`` with its own array that stays in the graph, as ``torch.clone``:
    gradients flow back to ``a``. vjp: g.

    Recorded as a cast to a's own dtype (which copies); a tensor without gradient
    (integers, booleans, or outside grad mode) gets a plain copy.
    """
    a = to_tensor(a, None, "clone")
    return cast(a, a.dtype)


__all__ = names(__name__)
