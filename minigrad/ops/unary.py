"""Elementwise primitives of one tensor: each op's forward, vjp, jvp and tensor vjp
side by side.

The derivative of each is a function of its input or output times the incoming
gradient (reverse) or tangent (forward), so the array vjp is also the tensor vjp:
what it saves that depends on the input is declared in ``saves`` and arrives as a
tensor under ``create_graph``; masks and signs are constants (their derivative is 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import floating, record, to_tensor
from .registry import names, primitive


def _neg_vjp(g: np.ndarray) -> tuple:
    return (-g,)


def _neg_jvp(dx: tuple, y: np.ndarray) -> np.ndarray:
    (da,) = dx
    return -da


@primitive(_neg_vjp, jvp=_neg_jvp, tensor_vjp=_neg_vjp, methods=("__neg__",), top_level=True)
def neg(a: Tensor) -> Tensor:
    """-a. vjp: -g."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "neg")
    return record("neg", -a.data, (a,), _neg_vjp)


def _times_out_vjp(g: np.ndarray, out: np.ndarray) -> tuple:
    return (g * out,)


def _exp_jvp(dx: tuple, y: np.ndarray, out: np.ndarray) -> np.ndarray:
    (da,) = dx
    return da * out


@primitive(
    _times_out_vjp,
    jvp=_exp_jvp,
    tensor_vjp=_times_out_vjp,
    saves=("out",),
    methods=("exp",),
    top_level=True,
)
def exp(a: Tensor) -> Tensor:
    """e^a. vjp: g e^a (the output is saved)."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "exp")
    a = floating(a)
    with np.errstate(over="ignore"):
        out = np.exp(a.data)
    return record("exp", out, (a,), _times_out_vjp, out)


def _log_vjp(g: np.ndarray, x: np.ndarray) -> tuple:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (g / x,)


def _log_jvp(dx: tuple, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    (da,) = dx
    return da / x


@primitive(
    _log_vjp, jvp=_log_jvp, tensor_vjp=_log_vjp, saves=("a",), methods=("log",), top_level=True
)
def log(a: Tensor) -> Tensor:
    """ln a (log 0 = -inf without a warning). vjp: g / a."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "log")
    a = floating(a)
    x = a.data
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(x)
    return record("log", out, (a,), _log_vjp, x)


def _sqrt_vjp(g: np.ndarray, out: np.ndarray) -> tuple:
    with np.errstate(divide="ignore"):
        return (g / (2 * out),)


def _sqrt_jvp(dx: tuple, y: np.ndarray, out: np.ndarray) -> np.ndarray:
    (da,) = dx
    return da / (2 * out)


@primitive(
    _sqrt_vjp,
    jvp=_sqrt_jvp,
    tensor_vjp=_sqrt_vjp,
    saves=("out",),
    methods=("sqrt",),
    top_level=True,
)
def sqrt(a: Tensor) -> Tensor:
    """sqrt(a). vjp: g / (2 sqrt(a))."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "sqrt")
    a = floating(a)
    out = np.sqrt(a.data)
    return record("sqrt", out, (a,), _sqrt_vjp, out)


def _abs_vjp(g: np.ndarray, x: np.ndarray) -> tuple:
    return (g * np.sign(x),)


def _abs_jvp(dx: tuple, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    (da,) = dx
    return da * np.sign(x)


@primitive(_abs_vjp, jvp=_abs_jvp, tensor_vjp=_abs_vjp, methods=("abs", "__abs__"), top_level=True)
def abs(a: Tensor) -> Tensor:
    """|a|. vjp: g sign(a) (0 at 0)."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "abs")
    x = a.data
    return record("abs", np.abs(x), (a,), _abs_vjp, x)


# A 0-d array 1 of each float dtype: as an operand it costs a ufunc less than the Python
# number 1 (which is converted on every call), with the same values bit for bit.
_ONE = {np.dtype(t): np.ones((), t) for t in (np.float16, np.float32, np.float64)}


def _tanh_vjp(g: np.ndarray, out: np.ndarray) -> tuple:
    # g (1 - out^2) computed in one buffer: three passes, one allocation.
    d = out * out
    if type(d) is not np.ndarray or d.dtype is not g.dtype:  # 0-d (a NumPy scalar), or mixed
        return (g * (1 - d),)
    np.subtract(_ONE.get(d.dtype, 1), d, d)  # out positional: no keyword to parse
    d *= g
    return (d,)


def _tanh_tensor_vjp(g: Tensor, out: Tensor) -> tuple:
    return (g * (1 - out * out),)


def _tanh_jvp(dx: tuple, y: np.ndarray, out: np.ndarray) -> np.ndarray:
    (da,) = dx
    return da * (1 - out * out)


@primitive(
    _tanh_vjp,
    jvp=_tanh_jvp,
    tensor_vjp=_tanh_tensor_vjp,
    saves=("out",),
    methods=("tanh",),
    top_level=True,
)
def tanh(a: Tensor) -> Tensor:
    """tanh(a). vjp: g (1 - tanh(a)^2), from the saved output."""
    if type(a) is not Tensor or a.data.dtype.kind != "f":  # (tested here: a call less per step)
        a = floating(to_tensor(a, None, "tanh"))
    out = np.tanh(a.data)
    return record("tanh", out, (a,), _tanh_vjp, out)


def _sigmoid_vjp(g: np.ndarray, out: np.ndarray) -> tuple:
    # g s (1 - s) computed in one buffer: three passes, one allocation.
    d = np.subtract(_ONE.get(out.dtype, 1), out)
    if type(d) is not np.ndarray or d.dtype is not g.dtype:  # 0-d (a NumPy scalar), or mixed
        return (g * out * d,)
    d *= out
    d *= g
    return (d,)


def _sigmoid_tensor_vjp(g: Tensor, out: Tensor) -> tuple:
    return (g * out * (1 - out),)


def _sigmoid_jvp(dx: tuple, y: np.ndarray, out: np.ndarray) -> np.ndarray:
    (da,) = dx
    return da * (out * (1 - out))


@primitive(
    _sigmoid_vjp,
    jvp=_sigmoid_jvp,
    tensor_vjp=_sigmoid_tensor_vjp,
    saves=("out",),
    methods=("sigmoid",),
    top_level=True,
)
def sigmoid(a: Tensor) -> Tensor:
    """1 / (1 + e^-a), stable for any a. vjp: g s (1 - s).

    Evaluated as (1 + tanh(a / 2)) / 2, the same function, which never overflows
    (a = -1000 gives 0 with no warning) and costs one transcendental pass. In the far
    tails it rounds to exactly 0 or 1 where 1 / (1 + e^-a) would keep a tiny value:
    take logs through ``functional.binary_cross_entropy_with_logits`` or ``softplus``.
    """
    if type(a) is not Tensor or a.data.dtype.kind != "f":  # (tested here: a call less per gate)
        a = floating(to_tensor(a, None, "sigmoid"))
    out = np.tanh(a.data * 0.5)
    out *= 0.5
    out += 0.5
    return record("sigmoid", out, (a,), _sigmoid_vjp, out)


def sigmoid_pair(d: np.ndarray) -> tuple:
    """(sigmoid(d), sigmoid(-d)) of an array, each to a few ulps however far in a tail:
    with z = e^-|d|, 1 / (1 + z) for the larger and z / (1 + z) for the smaller (the
    tanh form of :func:`sigmoid` rounds the smaller to 0 for |d| > 17 in float32, 37 in
    float64). No overflow; (1, 0) at d = inf, NaN at NaN. The weights of logaddexp."""
    z = np.exp(-np.abs(d))
    up = d >= 0
    den = 1 + z
    return np.where(up, 1.0, z) / den, np.where(up, z, 1.0) / den


# The mask is "not a <= 0", not "a > 0": a NaN input passes g on (PyTorch's
# threshold_backward, and maximum(a, 0)'s rule at a NaN operand) instead of hiding it.
def _relu_vjp(g: np.ndarray, x: np.ndarray) -> tuple:
    return (g * ~(x <= 0),)


def _relu_jvp(dx: tuple, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    (da,) = dx
    return da * ~(x <= 0)


@primitive(_relu_vjp, jvp=_relu_jvp, tensor_vjp=_relu_vjp, methods=("relu",), top_level=True)
def relu(a: Tensor) -> Tensor:
    """max(a, 0). vjp: g where a > 0 or a is NaN, else 0 (0 at the kink, as PyTorch)."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "relu")
    x = a.data
    return record("relu", np.maximum(x, 0), (a,), _relu_vjp, x)


def _bounds(fn: Any) -> Any:
    """The Tensor method ``t.clip(min=None, max=None)`` (also ``clamp``), as PyTorch."""

    def method(self: Tensor, min: float | None = None, max: float | None = None) -> Tensor:
        return fn(self, min, max)

    method.__doc__ = fn.__doc__
    return method


def _one_bound(*spellings: tuple[str, Any]) -> Any:
    """The one bound given among its spellings (None: none was); two is a TypeError."""
    given = [(name, v) for name, v in spellings if v is not None]
    if len(given) > 1:
        listed = " and ".join(f"{name}={v!r}" for name, v in given)
        raise TypeError(f"clip: got {listed}; give one of them (they name one bound)")
    return given[0][1] if given else None


def _mask_vjp(g: np.ndarray, keep: np.ndarray, *bounds: float | None) -> tuple:
    # the bounds are saved for a replay of the op (minigrad.compile), not needed here
    return (g * keep,)


def _clip_jvp(dx: tuple, y: np.ndarray, keep: np.ndarray, *bounds: float | None) -> np.ndarray:
    (da,) = dx
    return da * keep


@primitive(
    _mask_vjp,
    jvp=_clip_jvp,
    tensor_vjp=_mask_vjp,
    methods=(("clip", _bounds), ("clamp", _bounds)),
    top_level=True,
)
def clip(
    a: Tensor,
    lo: float | None = None,
    hi: float | None = None,
    *,
    min: float | None = None,
    max: float | None = None,
    a_min: float | None = None,
    a_max: float | None = None,
) -> Tensor:
    """Clamp into [lo, hi] (by keyword also NumPy's ``a_min``/``a_max`` and NumPy's
    and PyTorch's ``min``/``max``). vjp: g inside the interval (bounds included), 0
    outside."""
    if type(a) is not Tensor:
        a = to_tensor(a, None, "clip")
    if min is not None or max is not None or a_min is not None or a_max is not None:
        lo = _one_bound(("lo", lo), ("min", min), ("a_min", a_min))
        hi = _one_bound(("hi", hi), ("max", max), ("a_max", a_max))
    if lo is None and hi is None:
        raise ValueError("clip: give lo, hi or both (a_min/a_max or min/max by keyword)")
    if isinstance(lo, Tensor) or isinstance(hi, Tensor):
        raise TypeError(
            "clip: the bounds are numbers or arrays (constants); for tensor bounds, which "
            "get gradients, use maximum(minimum(a, hi), lo)"
        )
    if a.data.dtype.kind != "f" and any(np.asarray(v).dtype.kind == "f" for v in (lo, hi)):
        a = floating(a)  # integers clipped to a float bound: the default float dtype
    x = a.data
    keep = np.ones(x.shape, dtype=bool)
    if lo is not None:
        keep &= x >= lo
    if hi is not None:
        keep &= x <= hi
    out = np.clip(x, lo, hi)
    if out.dtype != x.dtype and x.dtype.kind == "f":
        out = out.astype(x.dtype)  # a float64 bound does not promote a float32 tensor
    return record("clip", out, (a,), _mask_vjp, keep, lo, hi)


__all__ = names(__name__)
