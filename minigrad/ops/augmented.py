"""Augmented assignment on tensors: ``a += b``, ``-=``, ``*=``, ``/=``, ``//=``, ``%=``, ``**=``.

As in PyTorch, an augmented assignment changes the tensor itself, so the usual
hand-written update works on every parameter a loop visits::

    with minigrad.no_grad():
        for p in model.parameters():
            p -= lr * p.grad

The update is in place when nothing needs recording (grad mode off, or no operand
requires grad): it keeps ``a``'s shape and dtype (``b`` must broadcast to ``a``'s shape,
and the result must be storable in ``a``'s dtype, as NumPy's ``casting="same_kind"``;
a Python int must fit ``a``'s dtype, as NumPy requires; all checked before anything is
written), and it counts as an in-place change, so a backward that saved ``a`` refuses
the stale value. When the graph needs the result (grad mode on and an operand requires grad):

- ``a`` a leaf that requires grad (a parameter): an error, as in PyTorch; update it
  under ``no_grad``;
- otherwise (``loss += term``, a running sum of recorded terms) the result is a new
  recorded tensor, ``a = a + b``, with the same rules: ``a``'s shape and dtype kept (a
  float result cast back to ``a``'s float dtype). The name is rebound, other references
  to the old tensor keep its value (PyTorch would record an in-place op; the values and
  gradients are the same).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..modes import grad_enabled
from ..tensor import Tensor
from . import core, elementwise, piecewise

__all__: list[str] = []  # installs Tensor's augmented assignment operators

# The leaf's error, with the operator in place of the op's name.
_LEAF = (
    "a {symbol} b: in-place update of a leaf tensor that requires grad (a parameter) would "
    "corrupt the recorded graph; do it inside `with minigrad.no_grad():`, or write "
    "`a = a {op} b` for a new tensor"
)


# The in-place ufuncs whose recorded ops raise no warning for a zero divisor.
_QUIET = (np.floor_divide, np.remainder)


def _augmented(
    name: str, symbol: str, ufunc: np.ufunc, recorded: Callable[[Any, Any], Tensor]
) -> Any:
    op = symbol[:-1]
    quiet = {"divide": "ignore", "invalid": "ignore"} if ufunc in _QUIET else {}

    def method(self: Tensor, other: Any) -> Tensor:
        other_tensor = isinstance(other, Tensor)
        value = other.data if other_tensor else other
        if not isinstance(value, np.ndarray | np.generic | bool | int | float):
            try:
                value = np.asarray(value)
            except (TypeError, ValueError):
                return NotImplemented
            if value.dtype == object:
                return NotImplemented
        if grad_enabled() and (self._requires_grad or (other_tensor and other._requires_grad)):
            if _is_parameter(self):
                raise RuntimeError(_LEAF.format(symbol=symbol, op=op))
            _check(symbol, self, value, ufunc)
            out = recorded(self, other)
            # a keeps its dtype, as in place (float32 += float64 stays float32)
            return out if out.dtype == self.dtype else out.astype(self.dtype)
        _check(symbol, self, value, ufunc)
        self._begin_inplace(f"a {symbol} b")
        # NumPy's warnings as the recorded ops give them: // and % by zero are quiet (as
        # minigrad's floor_divide and remainder), / by zero, overflow (float32 += 4e38)
        # and invalid values warn.
        with np.errstate(**quiet):
            ufunc(self.data, value, out=self.data, casting="same_kind")
        return self

    method.__name__ = name
    method.__qualname__ = f"Tensor.{name}"
    method.__doc__ = (
        f"``a {symbol} b``: in place when nothing needs recording (a keeps its shape and "
        f"dtype), else ``a {op} b`` recorded; a parameter that requires grad is refused "
        "outside ``no_grad`` (see :mod:`minigrad.ops.augmented`)."
    )
    return method


def _is_parameter(t: Tensor) -> bool:
    """Whether ``t`` is a leaf that requires grad (under a compile trace, the tracer
    knows which tensors ops produced: their nodes are not on the tape)."""
    if not t._requires_grad:
        return False
    tracer = core.capturing()
    if tracer is not None:
        return not tracer.produced(t)
    return t._node is None


def _check(symbol: str, a: Tensor, value: Any, ufunc: np.ufunc) -> None:
    """The in-place update keeps a's shape and dtype: refuse what would change either,
    before anything is written."""
    shape = np.shape(value)
    try:
        fits = np.broadcast_shapes(shape, a.shape) == a.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"a {symbol} b: b of shape {shape} does not broadcast to a's shape {a.shape} "
            "(an in-place update keeps a's shape)"
        )
    try:
        result = ufunc.resolve_dtypes((a.data.dtype, _operand_dtype(value), None))[-1]
    except TypeError:
        raise TypeError(
            f"a {symbol} b: unsupported operand of dtype {_operand_dtype(value)} "
            f"for a of dtype {a.data.dtype}"
        ) from None
    if not np.can_cast(result, a.data.dtype, "same_kind"):
        raise TypeError(
            f"a {symbol} b: the result would be {result}, which a of dtype {a.data.dtype} "
            "cannot hold in place"
        )
    if type(value) is int:
        _check_fits(symbol, a.data.dtype, value)
    if ufunc is np.power and result.kind in "iu" and np.any(np.less(value, 0)):
        raise ValueError(
            f"a {symbol} b: integers to negative integer powers are not allowed "
            f"(b = {_number(np.min(value))}, a of dtype {a.data.dtype}); use a float tensor"
        )


def _check_fits(symbol: str, dtype: np.dtype, value: int) -> None:
    """A Python int operand is converted to a's dtype (NumPy's weak promotion), which
    NumPy refuses with an OverflowError when it does not fit: refused here first, with
    the op's name, since the update has not begun (nothing written, no version bump)."""
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise OverflowError(
                f"a {symbol} b: b = {_number(value)} does not fit a's dtype {dtype} "
                f"({info.min}..{info.max}; an in-place update keeps a's dtype)"
            )
    elif dtype.kind in "fc":
        try:
            float(value)
        except OverflowError:
            raise OverflowError(
                f"a {symbol} b: b = {_number(value)} does not fit a's dtype {dtype} "
                "(nor any float; an in-place update keeps a's dtype)"
            ) from None


def _number(value: Any) -> str:
    """An integer as written, or with more than 20 digits as ``d.ddde+N`` (truncated)."""
    digits = str(abs(int(value)))
    if len(digits) <= 20:
        return str(value)
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[0]}.{digits[1:4]}e+{len(digits) - 1}"


def _operand_dtype(value: Any) -> Any:
    """The dtype, or for a Python number its type (NumPy's weak promotion: a Python
    float does not make a float32 tensor float64)."""
    if isinstance(value, np.ndarray | np.generic):
        return value.dtype
    if type(value) is bool:
        return np.dtype(bool)
    return type(value) if type(value) in (int, float) else np.asarray(value).dtype


for _name, _symbol, _ufunc, _op in (
    ("__iadd__", "+=", np.add, elementwise.add),
    ("__isub__", "-=", np.subtract, elementwise.sub),
    ("__imul__", "*=", np.multiply, elementwise.mul),
    ("__itruediv__", "/=", np.true_divide, elementwise.div),
    ("__ifloordiv__", "//=", np.floor_divide, piecewise.floor_divide),
    ("__imod__", "%=", np.remainder, piecewise.remainder),
    ("__ipow__", "**=", np.power, elementwise.pow),
):
    setattr(Tensor, _name, _augmented(_name, _symbol, _ufunc, _op))
