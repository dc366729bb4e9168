"""Elementwise arithmetic of two operands (add, sub, mul, div, pow, logaddexp): each
op's forward and its derivative rules side by side. The selection ops of two operands
(maximum, minimum, where) are :mod:`.select`.

Every op has a vjp (reverse mode, on arrays), a jvp (forward mode: tangents carry a
leading batch axis, lifted with :func:`~.tangents.lift` so they broadcast as the
values did) and a tensor vjp for ``create_graph``, which is the array vjp itself
wherever that is written only with operators and methods that tensors share.

They broadcast as NumPy does; their vjps reduce each gradient to the input's shape
with :func:`unbroadcast` (through :func:`~.operands._fit`). Python numbers take the
tensor's dtype, so a float32 graph stays float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import binary_operands, broadcast_error, floating, record
from .operands import _apply, _fit, _target
from .registry import names, primitive, reflected
from .select import where
from .tangents import lift, tangent_sum
from .unary import log, sigmoid, sigmoid_pair


def _binary(op: str, fn: Any, a: Any, b: Any) -> tuple[Tensor, Tensor, np.ndarray, Any, Any]:
    """``fn`` of two operands: both as tensors, the output, and each operand's
    :func:`~.operands._target`. Two tensors of one dtype (every op of a recurrent cell)
    skip the operand conversion."""
    if type(a) is not Tensor or type(b) is not Tensor or a.data.dtype is not b.data.dtype:
        a, b = binary_operands(a, b, op)
    x, y = a.data, b.data
    try:
        out = fn(x, y)
    except ValueError:
        raise broadcast_error(op, a.shape, b.shape) from None
    ta = tb = None
    if a._requires_grad or b._requires_grad:
        shape, dtype = out.shape, out.dtype
        if a._requires_grad:
            ta = () if x.shape == shape and x.dtype == dtype else (x.shape, x.dtype)
        if b._requires_grad:
            tb = () if y.shape == shape and y.dtype == dtype else (y.shape, y.dtype)
    return a, b, out, ta, tb


# ----------------------------------------------------------------------- binary
# Each op records a module-level vjp and the values it needs. When an input already
# has the output's shape and dtype (the common case) its gradient passes on as is:
# unbroadcast runs only where broadcasting happened.


def _add_vjp(g: np.ndarray, ta: tuple | None, tb: tuple | None) -> tuple:
    return (
        g if ta == () else _fit(g, ta),
        g if tb == () else _fit(g, tb),
    )


def _add_jvp(dx: tuple, y: np.ndarray, ta: tuple | None, tb: tuple | None) -> np.ndarray | None:
    da, db = dx
    return tangent_sum(y, lift(da, y.ndim), lift(db, y.ndim))


@primitive(
    _add_vjp,
    jvp=_add_jvp,
    tensor_vjp=_add_vjp,
    methods=("__add__", ("__radd__", reflected)),
    top_level=True,
)
def add(a: Any, b: Any) -> Tensor:
    """a + b. vjp: (g, g), each reduced to its input's shape."""
    a, b, out, ta, tb = _binary("add", np.add, a, b)
    return record("add", out, (a, b), _add_vjp, ta, tb)


def _sub_vjp(g: np.ndarray, ta: tuple | None, tb: tuple | None) -> tuple:
    return (
        g if ta == () else _fit(g, ta),
        None if tb is None else (-g if tb == () else _fit(-g, tb)),
    )


def _sub_jvp(dx: tuple, y: np.ndarray, ta: tuple | None, tb: tuple | None) -> np.ndarray | None:
    da, db = dx
    return tangent_sum(y, lift(da, y.ndim), None if db is None else -lift(db, y.ndim))


@primitive(
    _sub_vjp,
    jvp=_sub_jvp,
    tensor_vjp=_sub_vjp,
    methods=("__sub__", ("__rsub__", reflected)),
    top_level=True,
)
def sub(a: Any, b: Any) -> Tensor:
    """a - b. vjp: (g, -g)."""
    a, b, out, ta, tb = _binary("sub", np.subtract, a, b)
    return record("sub", out, (a, b), _sub_vjp, ta, tb)


def _mul_vjp(
    g: np.ndarray, x: np.ndarray, y: np.ndarray, ta: tuple | None, tb: tuple | None
) -> tuple:
    return (
        None if ta is None else (g * y if ta == () else _fit(g * y, ta)),
        None if tb is None else (g * x if tb == () else _fit(g * x, tb)),
    )


def _mul_jvp(
    dx: tuple, y: np.ndarray, x: np.ndarray, w: np.ndarray, ta: tuple | None, tb: tuple | None
) -> np.ndarray | None:
    da, db = dx
    n = y.ndim
    return tangent_sum(
        y, None if da is None else lift(da, n) * w, None if db is None else x * lift(db, n)
    )


@primitive(
    _mul_vjp,
    jvp=_mul_jvp,
    tensor_vjp=_mul_vjp,
    saves=("a", "b"),
    methods=("__mul__", ("__rmul__", reflected)),
    top_level=True,
)
def mul(a: Any, b: Any) -> Tensor:
    """a * b. vjp: (g b, g a)."""
    a, b, out, ta, tb = _binary("mul", np.multiply, a, b)
    return record("mul", out, (a, b), _mul_vjp, a.data, b.data, ta, tb)


def _div_vjp(
    g: np.ndarray, y: np.ndarray, out: np.ndarray, ta: tuple | None, tb: tuple | None
) -> tuple:
    gy = g / y
    return _fit(gy, ta), (None if tb is None else _fit(-gy * out, tb))


def _div_jvp(
    dx: tuple, y: np.ndarray, w: np.ndarray, out: np.ndarray, ta: tuple | None, tb: tuple | None
) -> np.ndarray | None:
    # d(a / b) = da / b - (a / b) db / b
    da, db = dx
    n = y.ndim
    return tangent_sum(
        y, None if da is None else lift(da, n) / w, None if db is None else -lift(db, n) * out / w
    )


@primitive(
    _div_vjp,
    jvp=_div_jvp,
    tensor_vjp=_div_vjp,
    saves=("b", "out"),
    methods=("__truediv__", ("__rtruediv__", reflected)),
    top_level=True,
)
def div(a: Any, b: Any) -> Tensor:
    """a / b. vjp: (g / b, -g a / b^2).

    True division: integer or boolean operands give the default float dtype (float32
    unless changed), as PyTorch; NumPy gives float64.
    """
    a, b = binary_operands(a, b, "div")
    if a.data.dtype.kind != "f":
        a, b = floating(a), floating(b)
    out = _apply("div", np.divide, a, b)
    return record("div", out, (a, b), _div_vjp, b.data, out, _target(a, out), _target(b, out))


def _pow_vjp(
    g: np.ndarray, x: np.ndarray, y: np.ndarray, out: np.ndarray, ta: tuple | None, tb: tuple | None
) -> tuple:
    # d/dx = y x^(y-1) and d/dy = x^y ln x, except where a zero factor meets an infinite
    # one: at y = 0 the base's derivative is 0 (x^0 = 1, even at x = 0, where 0 * 0^-1
    # would be nan), and at x = 0 with y >= 0 the exponent's is 0 (0^y ln 0 would be
    # 0 * -inf). Elsewhere the formula stands, nan for a negative base, as PyTorch.
    ga = gb = None
    with np.errstate(divide="ignore", invalid="ignore"):
        if ta is not None:
            if y.ndim == 0:  # a constant exponent (x ** 2): no select needed
                d = g * y * np.power(x, y - 1) if y != 0 else np.zeros_like(g)
            else:
                d = np.where((y == 0) & (x == 0), 0, g * y * np.power(x, y - 1))
            ga = _fit(d.astype(g.dtype, copy=False), ta)
        if tb is not None:
            d = np.where((x == 0) & (y >= 0), 0, g * out * np.log(x))
            gb = _fit(d.astype(g.dtype, copy=False), tb)
    return ga, gb


def _pow_jvp(
    dx: tuple,
    y: np.ndarray,
    x: np.ndarray,
    w: np.ndarray,
    out: np.ndarray,
    ta: tuple | None,
    tb: tuple | None,
) -> np.ndarray | None:
    # The vjp's partial derivatives, with the same zeros at the boundary.
    da, db = dx
    n = y.ndim
    ga = gb = None
    with np.errstate(divide="ignore", invalid="ignore"):
        if da is not None:
            ga = lift(da, n) * np.where((w == 0) & (x == 0), 0, w * np.power(x, w - 1))
        if db is not None:
            gb = lift(db, n) * np.where((x == 0) & (w >= 0), 0, out * np.log(x))
    return tangent_sum(y, ga, gb)


def _pow_tensor_vjp(
    g: Tensor, x: Tensor, w: Tensor, out: Tensor, ta: tuple | None, tb: tuple | None
) -> tuple:
    # The array rule with ops and its zeros at the boundary (only at x = 0, so that
    # derivatives in y at y = 0 survive). Where a derivative is 0 the formula is
    # evaluated at a safe base (1): differentiating it again then does not meet 0 * inf
    # in the branch the select drops.
    ga = gb = None
    if ta is not None:
        flat = (w.data == 0) & (x.data == 0)
        safe = where(flat, 1.0, x)
        ga = _fit(where(flat, 0.0, g * w * safe ** (w - 1)), ta)
    if tb is not None:
        edge = (x.data == 0) & (w.data >= 0)
        safe = where(edge, 1.0, x)
        gb = _fit(where(edge, 0.0, g * out * log(safe)), tb)
    return ga, gb


@primitive(
    _pow_vjp,
    jvp=_pow_jvp,
    tensor_vjp=_pow_tensor_vjp,
    saves=("a", "b", "out"),
    methods=("__pow__", ("__rpow__", reflected), "pow"),
    top_level=True,
)
def pow(a: Any, b: Any) -> Tensor:
    """a ** b. vjp: (g b a^(b-1), g a^b ln a), with PyTorch's zeros at the boundary:
    the first is 0 where b = 0, the second 0 where a = 0 and b >= 0."""
    a, b = binary_operands(a, b, "pow")
    _integer_powers(a.data, b.data)
    out = _apply("pow", np.power, a, b)
    return record(
        "pow", out, (a, b), _pow_vjp, a.data, b.data, out, _target(a, out), _target(b, out)
    )


def _integer_powers(x: np.ndarray, y: np.ndarray) -> None:
    """NumPy's rule: an integer power of an integer is an integer, so a negative
    integer exponent (a fraction) is refused; said here with the values."""
    if x.dtype.kind in "biu" and y.dtype.kind in "iu" and (y < 0).any():
        shown = np.unique(y[y < 0])[:5].tolist()
        raise ValueError(
            f"pow: integers to negative integer powers are not allowed: base of dtype "
            f"{x.dtype} (shape {x.shape}) to exponent(s) {shown} of dtype {y.dtype}; make "
            "the base floating first (x.float() ** -1, or x ** -1.0)"
        )


def logaddexp_weights(x: np.ndarray, y: np.ndarray) -> tuple:
    """d logaddexp(a, b) / (da, db) = (sigmoid(a - b), sigmoid(b - a)), each to a few
    ulps (:func:`~.unary.sigmoid_pair`), as PyTorch's 1 / (1 + e^(b - a)).

    Not e^(a - out): out rounds, so for large operands e^(a - out) is 1 (1e20 and 1e20
    would give (1, 0), not (1/2, 1/2)), and at a = +inf it is e^(inf - inf), NaN where
    PyTorch gives (1, 0)."""
    return sigmoid_pair(x - y)


def _logaddexp_vjp(
    g: np.ndarray, x: np.ndarray, y: np.ndarray, ta: tuple | None, tb: tuple | None
) -> tuple:
    wa, wb = logaddexp_weights(x, y)
    return (
        None if ta is None else _fit(g * wa, ta),
        None if tb is None else _fit(g * wb, tb),
    )


def _logaddexp_jvp(
    dx: tuple, out: np.ndarray, x: np.ndarray, y: np.ndarray, ta: tuple | None, tb: tuple | None
) -> np.ndarray | None:
    da, db = dx
    n = out.ndim
    wa, wb = logaddexp_weights(x, y)
    return tangent_sum(
        out, None if da is None else lift(da, n) * wa, None if db is None else lift(db, n) * wb
    )


def _logaddexp_tensor_vjp(
    g: Tensor, x: Tensor, y: Tensor, ta: tuple | None, tb: tuple | None
) -> tuple:
    # sigmoid's own derivative s (1 - s) is finite at infinite operands (e^(b - a) / (1 +
    # e^(b - a))^2, PyTorch's, is inf / inf there)
    return (
        None if ta is None else _fit(g * sigmoid(x - y), ta),
        None if tb is None else _fit(g * sigmoid(y - x), tb),
    )


@primitive(
    _logaddexp_vjp,
    jvp=_logaddexp_jvp,
    tensor_vjp=_logaddexp_tensor_vjp,
    saves=("a", "b"),
    top_level=True,
)
def logaddexp(a: Any, b: Any) -> Tensor:
    """log(e^a + e^b), evaluated stably by NumPy. vjp: (g w, g (1 - w)), w = sigmoid(a - b).

    ``logaddexp(0, x)`` is softplus, whose derivative at the kink-free point 0 is
    exactly 1/2: composing it from relu and abs would give a wrong subgradient there.
    """
    a, b = binary_operands(a, b, "logaddexp")
    if a.data.dtype.kind != "f":
        a, b = floating(a), floating(b)
    out = _apply("logaddexp", np.logaddexp, a, b)
    return record(
        "logaddexp", out, (a, b), _logaddexp_vjp, a.data, b.data, _target(a, out), _target(b, out)
    )


__all__ = names(__name__)
