"""Elementwise primitives: each op's forward and its vjp side by side.

Binary ops broadcast as NumPy does; their vjps reduce each gradient to the input's
shape with :func:`unbroadcast`. Python numbers take the tensor's dtype, so a float32
graph stays float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import binary_operands, broadcast_error, record, to_tensor, unbroadcast
from .registry import names, primitive, reflected


def _apply(op: str, fn: Any, a: Tensor, b: Tensor) -> np.ndarray:
    try:
        return fn(a.data, b.data)
    except ValueError:
        raise broadcast_error(op, a.shape, b.shape) from None


def _target(t: Tensor, out: np.ndarray) -> tuple | None:
    """What an input needs from a gradient of ``out``: None (no gradient), () (the
    gradient as is: same shape and dtype) or (shape, dtype) to unbroadcast to."""
    if not t._requires_grad:
        return None
    d = t.data
    return () if d.shape == out.shape and d.dtype == out.dtype else (d.shape, d.dtype)


def _fit(g: np.ndarray, target: tuple | None) -> np.ndarray | None:
    """``g`` shaped for an input, given its :func:`_target`."""
    if target is None:
        return None
    return unbroadcast(g, *target) if target else g


# ----------------------------------------------------------------------- binary
# Each op records a module-level vjp and the values it needs. When an input already
# has the output's shape and dtype (the common case) its gradient passes on as is:
# unbroadcast runs only where broadcasting happened.


def _add_vjp(g: np.ndarray, ta: tuple | None, tb: tuple | None) -> tuple:
    return (
        g if ta == () else _fit(g, ta),
        g if tb == () else _fit(g, tb),
    )


@primitive(_add_vjp, methods=("__add__", ("__radd__", reflected)))
def add(a: Any, b: Any) -> Tensor:
    """a + b. vjp: (g, g), each reduced to its input's shape."""
    a, b = binary_operands(a, b, "add")
    out = _apply("add", np.add, a, b)
    return record("add", out, (a, b), _add_vjp, _target(a, out), _target(b, out))


def _sub_vjp(g: np.ndarray, ta: tuple | None, tb: tuple | None) -> tuple:
    return _fit(g, ta), (None if tb is None else _fit(-g, tb))


@primitive(_sub_vjp, methods=("__sub__", ("__rsub__", reflected)))
def sub(a: Any, b: Any) -> Tensor:
    """a - b. vjp: (g, -g)."""
    a, b = binary_operands(a, b, "sub")
    out = _apply("sub", np.subtract, a, b)
    return record("sub", out, (a, b), _sub_vjp, _target(a, out), _target(b, out))


def _mul_vjp(
    g: np.ndarray, x: np.ndarray, y: np.ndarray, ta: tuple | None, tb: tuple | None
) -> tuple:
    return (
        None if ta is None else _fit(g * y, ta),
        None if tb is None else _fit(g * x, tb),
    )


@primitive(_mul_vjp, methods=("__mul__", ("__rmul__", reflected)))
def mul(a: Any, b: Any) -> Tensor:
    """a * b. vjp: (g b, g a)."""
    a, b = binary_operands(a, b, "mul")
    out = _apply("mul", np.multiply, a, b)
    return record("mul", out, (a, b), _mul_vjp, a.data, b.data, _target(a, out), _target(b, out))


def _div_vjp(
    g: np.ndarray, y: np.ndarray, out: np.ndarray, ta: tuple | None, tb: tuple | None
) -> tuple:
    gy = g / y
    return _fit(gy, ta), (None if tb is None else _fit(-gy * out, tb))


@primitive(_div_vjp, methods=("__truediv__", ("__rtruediv__", reflected)))
def div(a: Any, b: Any) -> Tensor:
    """a / b. vjp: (g / b, -g a / b^2)."""
    a, b = binary_operands(a, b, "div")
    out = _apply("div", np.divide, a, b)
    return record("div", out, (a, b), _div_vjp, b.data, out, _target(a, out), _target(b, out))


def _pow_vjp(
    g: np.ndarray, x: np.ndarray, y: np.ndarray, out: np.ndarray, ta: tuple | None, tb: tuple | None
) -> tuple:
    ga = gb = None
    if ta is not None:
        ga = _fit(g * y * np.power(x, y - 1), ta)
    if tb is not None:
        pos = x > 0
        logx = np.log(np.where(pos, x, 1))
        gb = _fit(np.where(pos, g * out * logx, 0), tb)
    return ga, gb


@primitive(_pow_vjp, methods=("__pow__", ("__rpow__", reflected)))
def pow(a: Any, b: Any) -> Tensor:
    """a ** b. vjp: (g b a^(b-1), g a^b log a); the second only where a > 0."""
    a, b = binary_operands(a, b, "pow")
    out = _apply("pow", np.power, a, b)
    return record(
        "pow", out, (a, b), _pow_vjp, a.data, b.data, out, _target(a, out), _target(b, out)
    )


def _select_vjp(g: np.ndarray, share: np.ndarray, ta: tuple | None, tb: tuple | None) -> tuple:
    return (
        None if ta is None else _fit(g * share, ta),
        None if tb is None else _fit(g * (1 - share), tb),
    )


def _select(op: str, fn: Any, wins: Any, a: Any, b: Any) -> Tensor:
    a, b = binary_operands(a, b, op)
    out = _apply(op, fn, a, b)
    x, y = a.data, b.data
    share = np.where(wins(x, y), 1.0, np.where(x == y, 0.5, 0.0)).astype(out.dtype)
    return record(op, out, (a, b), _select_vjp, share, _target(a, out), _target(b, out))


@primitive(_select_vjp, methods=("maximum",), top_level=True)
def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max. vjp: g to the larger input; ties split it evenly."""
    return _select("maximum", np.maximum, np.greater, a, b)


@primitive(_select_vjp, methods=("minimum",), top_level=True)
def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min. vjp: g to the smaller input; ties split it evenly."""
    return _select("minimum", np.minimum, np.less, a, b)


def _logaddexp_vjp(
    g: np.ndarray, x: np.ndarray, out: np.ndarray, ta: tuple | None, tb: tuple | None
) -> tuple:
    w = np.exp(x - out)
    return (
        None if ta is None else _fit(g * w, ta),
        None if tb is None else _fit(g * (1 - w), tb),
    )


@primitive(_logaddexp_vjp)
def logaddexp(a: Any, b: Any) -> Tensor:
    """log(e^a + e^b), evaluated stably by NumPy. vjp: (g w, g (1 - w)), w = sigmoid(a - b).

    ``logaddexp(0, x)`` is softplus, whose derivative at the kink-free point 0 is
    exactly 1/2: composing it from relu and abs would give a wrong subgradient there.
    """
    a, b = binary_operands(a, b, "logaddexp")
    out = _apply("logaddexp", np.logaddexp, a, b)
    return record(
        "logaddexp", out, (a, b), _logaddexp_vjp, a.data, out, _target(a, out), _target(b, out)
    )


def _where_vjp(g: np.ndarray, c: np.ndarray, ta: tuple | None, tb: tuple | None) -> tuple:
    zero = g.dtype.type(0)
    return (
        None if ta is None else _fit(np.where(c, g, zero), ta),
        None if tb is None else _fit(np.where(c, zero, g), tb),
    )


@primitive(_where_vjp, top_level=True)
def where(cond: Any, a: Any, b: Any) -> Tensor:
    """Pick ``a`` where ``cond`` is true, else ``b``.

    vjp: g flows to ``a`` where cond holds and to ``b`` elsewhere; the unused
    branch gets an exact zero (selected, not multiplied by a mask, so an inf in g
    cannot turn into NaN there).
    """
    c = np.asarray(cond.data if isinstance(cond, Tensor) else cond, dtype=bool)
    if isinstance(a, Tensor) or not isinstance(b, Tensor):
        a = to_tensor(a, None, "where")
        b = to_tensor(b, a, "where")
    else:
        a = to_tensor(a, b, "where")
    try:
        out = np.where(c, a.data, b.data)
    except ValueError:
        raise broadcast_error("where", c.shape, a.shape, b.shape) from None
    return record("where", out, (a, b), _where_vjp, c, _target(a, out), _target(b, out))


# ------------------------------------------------------------------------ unary


def _neg_vjp(g: np.ndarray) -> tuple:
    return (-g,)


@primitive(_neg_vjp, methods=("__neg__",))
def neg(a: Tensor) -> Tensor:
    """-a. vjp: -g."""
    return record("neg", -a.data, (a,), _neg_vjp)


def _times_out_vjp(g: np.ndarray, out: np.ndarray) -> tuple:
    return (g * out,)


@primitive(_times_out_vjp, methods=("exp",), top_level=True)
def exp(a: Tensor) -> Tensor:
    """e^a. vjp: g e^a (the output is saved)."""
    with np.errstate(over="ignore"):
        out = np.exp(a.data)
    return record("exp", out, (a,), _times_out_vjp, out)


def _log_vjp(g: np.ndarray, x: np.ndarray) -> tuple:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (g / x,)


@primitive(_log_vjp, methods=("log",), top_level=True)
def log(a: Tensor) -> Tensor:
    """ln a (log 0 = -inf without a warning). vjp: g / a."""
    x = a.data
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(x)
    return record("log", out, (a,), _log_vjp, x)


def _sqrt_vjp(g: np.ndarray, out: np.ndarray) -> tuple:
    with np.errstate(divide="ignore"):
        return (g / (2 * out),)


@primitive(_sqrt_vjp, methods=("sqrt",), top_level=True)
def sqrt(a: Tensor) -> Tensor:
    """sqrt(a). vjp: g / (2 sqrt(a))."""
    out = np.sqrt(a.data)
    return record("sqrt", out, (a,), _sqrt_vjp, out)


def _abs_vjp(g: np.ndarray, x: np.ndarray) -> tuple:
    return (g * np.sign(x),)


@primitive(_abs_vjp, methods=("abs", "__abs__"), top_level=True)
def abs(a: Tensor) -> Tensor:
    """|a|. vjp: g sign(a) (0 at 0)."""
    x = a.data
    return record("abs", np.abs(x), (a,), _abs_vjp, x)


def _tanh_vjp(g: np.ndarray, out: np.ndarray) -> tuple:
    return (g * (1 - out * out),)


@primitive(_tanh_vjp, methods=("tanh",), top_level=True)
def tanh(a: Tensor) -> Tensor:
    """tanh(a). vjp: g (1 - tanh(a)^2), from the saved output."""
    out = np.tanh(a.data)
    return record("tanh", out, (a,), _tanh_vjp, out)


def _sigmoid_vjp(g: np.ndarray, out: np.ndarray) -> tuple:
    return (g * out * (1 - out),)


@primitive(_sigmoid_vjp, methods=("sigmoid",), top_level=True)
def sigmoid(a: Tensor) -> Tensor:
    """1 / (1 + e^-a), stable for any a. vjp: g s (1 - s).

    Evaluated as (1 + tanh(a / 2)) / 2, the same function, which never overflows
    (a = -1000 gives 0 with no warning) and costs one transcendental pass. In the far
    tails it rounds to exactly 0 or 1 where 1 / (1 + e^-a) would keep a tiny value:
    take logs through ``functional.binary_cross_entropy_with_logits`` or ``softplus``.
    """
    out = np.tanh(a.data * 0.5)
    out *= 0.5
    out += 0.5
    return record("sigmoid", out, (a,), _sigmoid_vjp, out)


def _relu_vjp(g: np.ndarray, x: np.ndarray) -> tuple:
    return (g * (x > 0),)


@primitive(_relu_vjp, methods=("relu",), top_level=True)
def relu(a: Tensor) -> Tensor:
    """max(a, 0). vjp: g where a > 0 (0 at the kink, as PyTorch)."""
    x = a.data
    return record("relu", np.maximum(x, 0), (a,), _relu_vjp, x)


def _bounds(fn: Any) -> Any:
    """The Tensor method ``t.clip(min=None, max=None)`` (also ``clamp``), as PyTorch."""

    def method(self: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
        return fn(self, min, max)

    method.__doc__ = fn.__doc__
    return method


def _clip_vjp(g: np.ndarray, keep: np.ndarray, lo: float | None, hi: float | None) -> tuple:
    # lo and hi are saved for a replay of the op (minigrad.compile), not needed here
    return (g * keep,)


@primitive(_clip_vjp, methods=(("clip", _bounds), ("clamp", _bounds)), top_level=True)
def clip(a: Tensor, lo: float | None = None, hi: float | None = None) -> Tensor:
    """Clamp into [lo, hi]. vjp: g inside the interval (bounds included), 0 outside."""
    if lo is None and hi is None:
        raise ValueError("clip: give lo, hi or both")
    x = a.data
    keep = np.ones(x.shape, dtype=bool)
    if lo is not None:
        keep &= x >= lo
    if hi is not None:
        keep &= x <= hi
    return record("clip", np.clip(x, lo, hi), (a,), _clip_vjp, keep, lo, hi)


def _to_dtype(dtype: Any) -> Any:
    """A Tensor method casting to ``dtype`` (``t.float()``, ``t.double()``)."""

    def adapter(fn: Any) -> Any:
        def method(self: Tensor) -> Tensor:
            return fn(self, dtype)

        method.__doc__ = f"Cast to {np.dtype(dtype)} (see ``cast``)."
        return method

    return adapter


def _cast_vjp(g: np.ndarray, src: np.dtype) -> tuple:
    return (g.astype(src),)


@primitive(
    _cast_vjp,
    methods=("astype", ("float", _to_dtype(np.float32)), ("double", _to_dtype(np.float64))),
)
def cast(a: Tensor, dtype: Any) -> Tensor:
    """Convert to ``dtype``. vjp: g converted back to the input's dtype."""
    d = np.dtype(dtype)
    if a.requires_grad and d.kind != "f":
        raise TypeError(f"cast: a tensor that requires grad cannot become {d}")
    return record("cast", a.data.astype(d), (a,), _cast_vjp, a.dtype)


__all__ = names(__name__)
