"""Definitions of elementwise primitives from their derivative alone.

An elementwise op is its NumPy function and its derivative ``d(xp, x, out)`` (one
input) or ``(da, db)(xp, a, b, out)`` (two inputs), written once against a namespace
``xp`` of functions: NumPy for the array vjp and the jvp, the registered minigrad ops
(:data:`OPS`) for the tensor vjp under ``create_graph``. One formula therefore gives
all three rules, and derivatives of derivatives follow from the ops it calls::

    define_unary(__name__, "sin", np.sin, lambda xp, x, out: xp.cos(x), "sin(a). vjp: g cos(a).")

The inputs' values and the output are saved (``saves=("a", "out")``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .core import binary_operands, broadcast_error, floating, record, to_tensor, unbroadcast
from .registry import REGISTRY, primitive
from .tangents import lift, tangent_sum

__all__ = ["OPS", "define_binary", "define_unary"]

Deriv = Callable[..., Any]


class _Ops:
    """The registered ops by NumPy name (``OPS.cos`` is minigrad's ``cos``)."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        try:
            return REGISTRY[name].forward
        except KeyError:
            raise AttributeError(f"no registered op {name!r}") from None

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        cond = cond.data if isinstance(cond, Tensor) else cond
        return REGISTRY["where"].forward(cond, a, b)


OPS = _Ops()


def _named(fn: Callable, module: str, name: str, doc: str) -> Callable:
    fn.__name__ = fn.__qualname__ = name
    fn.__module__ = module
    fn.__doc__ = doc
    return fn


def define_unary(
    module: str,
    name: str,
    compute: Callable[[np.ndarray], np.ndarray],
    deriv: Deriv,
    doc: str,
    *,
    method: bool = True,
    integers: bool = False,
) -> Callable[..., Tensor]:
    """Register the primitive ``name``: ``compute`` forward, ``g * deriv(xp, a, out)``
    backward and ``da * deriv(np, a, out)`` forward mode (a top-level op and, with
    ``method``, a Tensor method). Integer inputs become the default float dtype
    (:func:`~.core.floating`) unless ``integers`` (ops with integer results: floor)."""

    def vjp(g: Any, x: Any, out: Any) -> tuple:
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g * deriv(np, x, out),)

    def tensor_vjp(g: Any, x: Any, out: Any) -> tuple:
        return (g * deriv(OPS, x, out),)

    def jvp(dx: tuple, y: np.ndarray, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        (da,) = dx
        with np.errstate(divide="ignore", invalid="ignore"):
            return da * deriv(np, x, out)

    def forward(a: Any) -> Tensor:
        a = to_tensor(a, None, name)
        if not integers:
            a = floating(a)
        x = a.data
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = compute(x)
        return record(name, out, (a,), vjp, x, out)

    register = primitive(
        vjp,
        jvp=jvp,
        tensor_vjp=tensor_vjp,
        saves=("a", "out"),
        methods=(name,) if method else (),
        top_level=True,
    )
    return register(_named(forward, module, name, doc))


def define_binary(
    module: str,
    name: str,
    compute: Callable[[np.ndarray, np.ndarray], np.ndarray],
    da: Deriv,
    db: Deriv,
    doc: str,
    *,
    methods: tuple = (),
    integers: bool = False,
) -> Callable[..., Tensor]:
    """Register the broadcasting primitive ``name`` with partial derivatives
    ``da(xp, a, b, out)`` and ``db(xp, a, b, out)``; gradients are unbroadcast.
    Integer operands become the default float dtype unless ``integers``."""

    def vjp(g: Any, x: Any, w: Any, out: Any, ta: tuple | None, tb: tuple | None) -> tuple:
        with np.errstate(divide="ignore", invalid="ignore"):
            xp = np if isinstance(g, np.ndarray) else OPS
            return (
                None if ta is None else unbroadcast(g * da(xp, x, w, out), *ta),
                None if tb is None else unbroadcast(g * db(xp, x, w, out), *tb),
            )

    def jvp(dx: tuple, y: np.ndarray, x: Any, w: Any, out: Any, ta: Any, tb: Any) -> Any:
        ga, gb = dx
        n = y.ndim
        with np.errstate(divide="ignore", invalid="ignore"):
            return tangent_sum(
                y,
                None if ga is None else lift(ga, n) * da(np, x, w, out),
                None if gb is None else lift(gb, n) * db(np, x, w, out),
            )

    def forward(a: Any, b: Any) -> Tensor:
        a, b = binary_operands(a, b, name)
        if not integers and a.data.dtype.kind != "f":
            a, b = floating(a), floating(b)
        try:
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                out = np.asarray(compute(a.data, b.data))
        except ValueError:
            raise broadcast_error(name, a.shape, b.shape) from None
        ta = None if not a.requires_grad else (a.shape, a.dtype)
        tb = None if not b.requires_grad else (b.shape, b.dtype)
        return record(name, out, (a, b), vjp, a.data, b.data, out, ta, tb)

    register = primitive(
        vjp, jvp=jvp, tensor_vjp=vjp, saves=("a", "b", "out"), methods=methods, top_level=True
    )
    return register(_named(forward, module, name, doc))
