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

__all__ = [
    "abs",
    "add",
    "cast",
    "clip",
    "div",
    "exp",
    "log",
    "logaddexp",
    "maximum",
    "minimum",
    "mul",
    "neg",
    "pow",
    "relu",
    "sigmoid",
    "sqrt",
    "sub",
    "tanh",
    "where",
]


def _apply(op: str, fn: Any, a: Tensor, b: Tensor) -> np.ndarray:
    try:
        return fn(a.data, b.data)
    except ValueError:
        raise broadcast_error(op, a.shape, b.shape) from None


def _reshaped(t: Tensor, out: np.ndarray) -> bool:
    """Whether a gradient of ``out`` must be reduced (or cast) to fit ``t``."""
    return t.data.shape != out.shape or t.data.dtype != out.dtype


# ----------------------------------------------------------------------- binary
# When an input already has the output's shape and dtype (the common case), its
# gradient is passed on as is: unbroadcast is only called when broadcasting happened.


def add(a: Any, b: Any) -> Tensor:
    """a + b. vjp: (g, g), each reduced to its input's shape."""
    a, b = binary_operands(a, b, "add")
    out = _apply("add", np.add, a, b)
    ra, rb, sa, sb, da, db = a.requires_grad, b.requires_grad, a.shape, b.shape, a.dtype, b.dtype
    fa, fb = ra and _reshaped(a, out), rb and _reshaped(b, out)

    def vjp(g: np.ndarray) -> tuple:
        return (
            (unbroadcast(g, sa, da) if fa else g) if ra else None,
            (unbroadcast(g, sb, db) if fb else g) if rb else None,
        )

    return record("add", out, (a, b), vjp)


def sub(a: Any, b: Any) -> Tensor:
    """a - b. vjp: (g, -g)."""
    a, b = binary_operands(a, b, "sub")
    out = _apply("sub", np.subtract, a, b)
    ra, rb, sa, sb, da, db = a.requires_grad, b.requires_grad, a.shape, b.shape, a.dtype, b.dtype
    fa, fb = ra and _reshaped(a, out), rb and _reshaped(b, out)

    def vjp(g: np.ndarray) -> tuple:
        return (
            (unbroadcast(g, sa, da) if fa else g) if ra else None,
            (unbroadcast(-g, sb, db) if fb else -g) if rb else None,
        )

    return record("sub", out, (a, b), vjp)


def mul(a: Any, b: Any) -> Tensor:
    """a * b. vjp: (g b, g a)."""
    a, b = binary_operands(a, b, "mul")
    out = _apply("mul", np.multiply, a, b)
    ra, rb, x, y = a.requires_grad, b.requires_grad, a.data, b.data
    fa, fb = ra and _reshaped(a, out), rb and _reshaped(b, out)

    def vjp(g: np.ndarray) -> tuple:
        return (
            (unbroadcast(g * y, x.shape, x.dtype) if fa else g * y) if ra else None,
            (unbroadcast(g * x, y.shape, y.dtype) if fb else g * x) if rb else None,
        )

    return record("mul", out, (a, b), vjp)


def div(a: Any, b: Any) -> Tensor:
    """a / b. vjp: (g / b, -g a / b^2)."""
    a, b = binary_operands(a, b, "div")
    out = _apply("div", np.divide, a, b)
    ra, rb, x, y = a.requires_grad, b.requires_grad, a.data, b.data

    def vjp(g: np.ndarray) -> tuple:
        gy = g / y
        return (
            unbroadcast(gy, x.shape, x.dtype) if ra else None,
            unbroadcast(-gy * out, y.shape, y.dtype) if rb else None,
        )

    return record("div", out, (a, b), vjp)


def pow(a: Any, b: Any) -> Tensor:
    """a ** b. vjp: (g b a^(b-1), g a^b log a); the second only where a > 0."""
    a, b = binary_operands(a, b, "pow")
    out = _apply("pow", np.power, a, b)
    ra, rb, x, y = a.requires_grad, b.requires_grad, a.data, b.data

    def vjp(g: np.ndarray) -> tuple:
        ga = gb = None
        if ra:
            ga = unbroadcast(g * y * np.power(x, y - 1), x.shape, x.dtype)
        if rb:
            pos = x > 0
            logx = np.log(np.where(pos, x, 1))
            gb = unbroadcast(np.where(pos, g * out * logx, 0), y.shape, y.dtype)
        return ga, gb

    return record("pow", out, (a, b), vjp)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max. vjp: g to the larger input; ties split it evenly."""
    return _select("maximum", np.maximum, np.greater, a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise min. vjp: g to the smaller input; ties split it evenly."""
    return _select("minimum", np.minimum, np.less, a, b)


def _select(op: str, fn: Any, wins: Any, a: Any, b: Any) -> Tensor:
    a, b = binary_operands(a, b, op)
    out = _apply(op, fn, a, b)
    ra, rb, x, y = a.requires_grad, b.requires_grad, a.data, b.data

    def vjp(g: np.ndarray) -> tuple:
        share = np.where(wins(x, y), 1.0, np.where(x == y, 0.5, 0.0)).astype(g.dtype)
        return (
            unbroadcast(g * share, x.shape, x.dtype) if ra else None,
            unbroadcast(g * (1 - share), y.shape, y.dtype) if rb else None,
        )

    return record(op, out, (a, b), vjp)


def logaddexp(a: Any, b: Any) -> Tensor:
    """log(e^a + e^b), evaluated stably by NumPy. vjp: (g w, g (1 - w)), w = sigmoid(a - b).

    ``logaddexp(0, x)`` is softplus, whose derivative at the kink-free point 0 is
    exactly 1/2: composing it from relu and abs would give a wrong subgradient there.
    """
    a, b = binary_operands(a, b, "logaddexp")
    out = _apply("logaddexp", np.logaddexp, a, b)
    ra, rb, x, y = a.requires_grad, b.requires_grad, a.data, b.data

    def vjp(g: np.ndarray) -> tuple:
        w = np.exp(x - out)
        return (
            unbroadcast(g * w, x.shape, x.dtype) if ra else None,
            unbroadcast(g * (1 - w), y.shape, y.dtype) if rb else None,
        )

    return record("logaddexp", out, (a, b), vjp)


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
    ra, rb, sa, sb, da, db = a.requires_grad, b.requires_grad, a.shape, b.shape, a.dtype, b.dtype

    def vjp(g: np.ndarray) -> tuple:
        zero = g.dtype.type(0)
        return (
            unbroadcast(np.where(c, g, zero), sa, da) if ra else None,
            unbroadcast(np.where(c, zero, g), sb, db) if rb else None,
        )

    return record("where", out, (a, b), vjp)


# ------------------------------------------------------------------------ unary


def neg(a: Tensor) -> Tensor:
    """-a. vjp: -g."""
    return record("neg", -a.data, (a,), lambda g: (-g,))


def exp(a: Tensor) -> Tensor:
    """e^a. vjp: g e^a (the output is saved)."""
    with np.errstate(over="ignore"):
        out = np.exp(a.data)
    return record("exp", out, (a,), lambda g: (g * out,))


def log(a: Tensor) -> Tensor:
    """ln a (log 0 = -inf without a warning). vjp: g / a."""
    x = a.data
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(x)

    def vjp(g: np.ndarray) -> tuple:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / x,)

    return record("log", out, (a,), vjp)


def sqrt(a: Tensor) -> Tensor:
    """sqrt(a). vjp: g / (2 sqrt(a))."""
    out = np.sqrt(a.data)

    def vjp(g: np.ndarray) -> tuple:
        with np.errstate(divide="ignore"):
            return (g / (2 * out),)

    return record("sqrt", out, (a,), vjp)


def abs(a: Tensor) -> Tensor:
    """|a|. vjp: g sign(a) (0 at 0)."""
    x = a.data
    return record("abs", np.abs(x), (a,), lambda g: (g * np.sign(x),))


def tanh(a: Tensor) -> Tensor:
    """tanh(a). vjp: g (1 - tanh(a)^2), from the saved output."""
    out = np.tanh(a.data)
    return record("tanh", out, (a,), lambda g: (g * (1 - out * out),))


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
    return record("sigmoid", out, (a,), lambda g: (g * out * (1 - out),))


def relu(a: Tensor) -> Tensor:
    """max(a, 0). vjp: g where a > 0 (0 at the kink, as PyTorch)."""
    x = a.data
    out = np.maximum(x, 0)
    return record("relu", out, (a,), lambda g: (g * (x > 0),))


def clip(a: Tensor, lo: float | None = None, hi: float | None = None) -> Tensor:
    """Clamp into [lo, hi]. vjp: g inside the interval (bounds included), 0 outside."""
    if lo is None and hi is None:
        raise ValueError("clip: give lo, hi or both")
    x = a.data
    out = np.clip(x, lo, hi)

    def vjp(g: np.ndarray) -> tuple:
        keep = np.ones(x.shape, dtype=bool)
        if lo is not None:
            keep &= x >= lo
        if hi is not None:
            keep &= x <= hi
        return (g * keep,)

    return record("clip", out, (a,), vjp)


def cast(a: Tensor, dtype: Any) -> Tensor:
    """Convert to ``dtype``. vjp: g converted back to the input's dtype."""
    d = np.dtype(dtype)
    src = a.dtype
    if a.requires_grad and d.kind != "f":
        raise TypeError(f"cast: a tensor that requires grad cannot become {d}")
    return record("cast", a.data.astype(d), (a,), lambda g: (g.astype(src),))
