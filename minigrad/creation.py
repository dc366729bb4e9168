"""Tensor factories: ``tensor``, ``zeros``, ``ones``, ``full``, ``arange``, ``randn``, ``rand``,
and the ``*_like`` ones that take another tensor's shape and dtype."""

from __future__ import annotations

from typing import Any

import numpy as np

from .dtypes import numeric_array
from .rng import generator as random_generator
from .size import shape_args
from .tensor import Tensor, as_array, get_default_dtype

__all__ = [
    "arange",
    "eye",
    "full",
    "full_like",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randn",
    "randn_like",
    "tensor",
    "zeros",
    "zeros_like",
]


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """A new leaf tensor holding a copy of ``data``.

    Python floats become the default dtype (float32); NumPy arrays keep theirs.
    """
    return Tensor(as_array(data, dtype, copy=True), requires_grad=requires_grad)


def _float_dtype(dtype: Any) -> np.dtype:
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def _size(op: str, shape: Any) -> tuple[int, ...]:
    """``shape`` (a tuple of sizes) checked for a new tensor: non-negative integers."""
    for n in shape:
        if isinstance(n, bool) or not isinstance(n, int | np.integer):
            raise TypeError(f"{op}: sizes must be integers, got {n!r} in {shape!r}")
        if n < 0:
            raise ValueError(f"{op}: sizes must be >= 0, got {n} in {shape!r}")
    return tuple(int(n) for n in shape)


def _allocate(op: str, make: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """``make(shape, dtype)`` (``np.zeros``, ``np.ones``, ``np.empty``); a size NumPy
    cannot allocate is its own error (ValueError or MemoryError) naming ``op``."""
    try:
        return make(shape, dtype)
    except (ValueError, MemoryError) as e:
        raise _too_large(op, shape, dtype, e) from None


def _too_large(
    op: str, shape: tuple[int, ...], dtype: Any, e: Exception, drawn: Any = None
) -> Exception:
    """NumPy's refusal to allocate (``Maximum allowed dimension exceeded``, ``Unable to
    allocate 36.4 TiB ...``), same type, with the factory, the shape and the dtype.
    ``drawn``: the dtype random samples are drawn in before the cast to ``dtype`` (NumPy's
    message then names that dtype and its size, not the tensor's)."""
    kind = MemoryError if isinstance(e, MemoryError) else ValueError
    how = (
        ""
        if drawn is None or np.dtype(drawn) == dtype
        else f" (drawn as {np.dtype(drawn)}, then cast)"
    )
    return kind(f"{op}: cannot allocate a tensor of shape {shape} and dtype {dtype}{how}: {e}")


def zeros(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros: ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    shape = _size("zeros", shape_args(shape))
    return Tensor(_allocate("zeros", np.zeros, shape, _float_dtype(dtype)), requires_grad)


def ones(*shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    shape = _size("ones", shape_args(shape))
    return Tensor(_allocate("ones", np.ones, shape, _float_dtype(dtype)), requires_grad)


def full(shape: Any, value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``value``. Without ``dtype`` it is the value's, as in NumPy and
    PyTorch: a bool gives bool, an integer int64 (a NumPy integer its own), a float the
    default float dtype. An integer dtype refuses a value it cannot hold (NaN, inf, 300
    for uint8), as PyTorch does."""
    shape = _size("full", (shape,) if isinstance(shape, int | np.integer) else tuple(shape))
    if dtype is None:
        kind = np.asarray(value).dtype
        dtype = kind if kind.kind in "biu" else None
    data = _allocate("full", np.empty, shape, _float_dtype(dtype))
    _fill("full", data, value)
    return Tensor(data, requires_grad)


def _fill(op: str, data: np.ndarray, value: Any) -> None:
    """``data`` filled with ``value`` cast to its dtype, as NumPy's and PyTorch's factories
    cast (2.7 fills an integer tensor with 2); for an integer dtype, a value it cannot
    hold (NaN, inf, 300 for uint8) is refused, as PyTorch refuses it, not wrapped."""
    if data.dtype.kind in "iu":
        try:
            value = np.asarray(value.data if isinstance(value, Tensor) else value, data.dtype)
        except (OverflowError, ValueError) as e:
            raise type(e)(f"{op}: value {value!r} does not fit dtype {data.dtype} ({e})") from None
    np.copyto(data, value, casting="unsafe")  # a value of another shape is its own error


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix."""
    n, m = _size("eye", (n, n if m is None else m))
    try:
        data = np.eye(n, m, dtype=_float_dtype(dtype))
    except (ValueError, MemoryError) as e:
        raise _too_large("eye", (n, m), _float_dtype(dtype), e) from None
    return Tensor(data, requires_grad)


def _model(op: str, t: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    """The shape of ``t`` and its dtype unless ``dtype`` is given: all a ``*_like``
    factory takes from its model (not its values, so a compiled function may call one
    on the tensors it traces). A model of anything but numbers (a string, None, an
    object, a ragged list) is a TypeError naming ``op``, whatever ``dtype`` says."""
    if not isinstance(t, Tensor):
        t = numeric_array(t, op)
    return tuple(t.shape), np.dtype(dtype or t.dtype)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with the shape (and dtype, unless given) of ``t``."""
    shape, d = _model("zeros_like", t, dtype)
    return Tensor(_allocate("zeros_like", np.zeros, shape, d), requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with the shape (and dtype, unless given) of ``t``."""
    shape, d = _model("ones_like", t, dtype)
    return Tensor(_allocate("ones_like", np.ones, shape, d), requires_grad)


def full_like(t: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` in the shape (and dtype, unless given) of ``t``, as
    ``torch.full_like`` and ``numpy.full_like`` (the value is cast to the dtype: 2.7
    fills an integer tensor with 2)."""
    shape, d = _model("full_like", t, dtype)
    data = _allocate("full_like", np.empty, shape, d)
    _fill("full_like", data, fill_value)
    return Tensor(data, requires_grad)


def _like(op: str, t: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and float dtype of a random tensor like ``t``; integer and boolean
    dtypes are refused, as PyTorch's ``rand_like`` refuses them."""
    shape, d = _model(op, t, dtype)
    if d.kind != "f":
        raise TypeError(
            f"{op}: random samples are floats; the tensor's dtype is {d}: give a float "
            "dtype (dtype=...)"
        )
    return shape, d


def rand_like(
    t: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Uniform samples in [0, 1) in the shape (and float dtype, unless given) of ``t``,
    as ``torch.rand_like``; the same draws as ``rand(t.shape)`` from the same generator."""
    shape, d = _like("rand_like", t, dtype)
    return rand(*shape, dtype=d, requires_grad=requires_grad, generator=generator)


def randn_like(
    t: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Standard normal samples in the shape (and float dtype, unless given) of ``t``, as
    ``torch.randn_like``; the same draws as ``randn(t.shape)`` from the same generator."""
    shape, d = _like("randn_like", t, dtype)
    return randn(*shape, dtype=d, requires_grad=requires_grad, generator=generator)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop), as ``np.arange``."""
    if stop is None:
        start, stop = 0, start
    if step == 0:  # NumPy: a bare "division by zero", or for a NumPy zero a size error
        raise ZeroDivisionError(f"arange: from {start} to {stop} by {step}: the step must not be 0")
    try:
        arr = np.arange(start, stop, step)
    except (ValueError, MemoryError) as e:  # too many values, or a NaN or infinite bound
        kind = MemoryError if isinstance(e, MemoryError) else ValueError
        message = str(e).removeprefix("arange: ")
        raise kind(f"arange: from {start} to {stop} by {step}: {message}") from None
    if dtype is not None:
        arr = arr.astype(dtype)
    elif arr.dtype == np.float64:
        arr = arr.astype(get_default_dtype())
    return Tensor(arr)


def randn(
    *shape: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Standard normal samples, from ``generator`` or the default one."""
    rng = random_generator(generator)
    return Tensor(_draw("randn", rng.standard_normal, shape, dtype), requires_grad)


def rand(
    *shape: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    generator: np.random.Generator | None = None,
) -> Tensor:
    """Uniform samples in [0, 1), from ``generator`` or the default one."""
    rng = random_generator(generator)
    return Tensor(_draw("rand", rng.random, shape, dtype), requires_grad)


def _draw(op: str, draw: Any, shape: Any, dtype: Any) -> np.ndarray:
    """``draw(shape)`` in float64 (the same stream whatever the dtype), cast to
    ``dtype``; a size NumPy cannot allocate is :func:`_too_large`'s error."""
    shape, dtype = _size(op, shape_args(shape)), _float_dtype(dtype)
    try:
        return draw(shape).astype(dtype)
    except (ValueError, MemoryError) as e:
        raise _too_large(op, shape, dtype, e, np.float64) from None
