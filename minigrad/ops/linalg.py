"""Matrix product with NumPy's ``@`` semantics: 1-D, 2-D, batched, broadcast batches.

The product is bilinear: d(A B) = dA B + A dB, so its jvp is two products of a
tangent with a value (the tangent's batch axis rides along as one more batch axis),
and its tensor vjp is the array vjp written with matmul and transpose on tensors.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from ..differentiable import Deferred
from ..gradients import Outer
from ..tensor import Tensor
from .core import binary_operands, broadcast_error, record, to_tensor, unbroadcast
from .joins import concatenate
from .registry import composite, names, primitive, reflected
from .shape import reshape, swapaxes, transpose
from .tangents import lift, tangent_sum

_blank = object.__new__


def _matmul_vjp(g: np.ndarray, x: np.ndarray, y: np.ndarray, ra: bool, rb: bool) -> tuple:
    # dB = A^T dC is deferred, so the engine can sum a weight's uses in one GEMM. For 2-d
    # operands the ``dot`` method is the same product with less per-call overhead than
    # ``@`` or ``np.dot`` (which dispatches through ``__array_function__``).
    return (g.dot(y.T) if ra else None, Outer(x, g) if rb else None)


def _matmul_general_vjp(
    g: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    x2: np.ndarray,
    y2: np.ndarray,
    out2: tuple,
    ra: bool,
    rb: bool,
) -> tuple:
    g = g.reshape(out2)
    ga = gb = None
    if ra:
        ga = unbroadcast(g @ np.swapaxes(y2, -1, -2), x2.shape).reshape(x.shape)
    if rb:
        gb = unbroadcast(np.swapaxes(x2, -1, -2) @ g, y2.shape).reshape(y.shape)
    return ga, gb


def _left(da: np.ndarray, w: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dA B for tangent ``da`` (B, *a.shape): the product's tangent, shape (B, *y.shape)."""
    if da.ndim == 3 and w.ndim == 2:
        # A 2-D left operand: all B directions in one GEMM.
        batch, n, k = da.shape
        return (da.reshape(batch * n, k) @ w).reshape(batch, n, w.shape[1])
    a2 = da[:, None, :] if da.ndim == 2 else da  # a 1-D left operand acts as a row
    w2 = w[:, None] if w.ndim == 1 else w
    a2 = lift(a2, builtins.max(a2.ndim - 1, w2.ndim))
    return (a2 @ w2).reshape((da.shape[0], *y.shape))


def _right(x: np.ndarray, db: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A dB for tangent ``db`` (B, *b.shape): shape (B, *y.shape)."""
    x2 = x[None, :] if x.ndim == 1 else x
    d2 = db[..., None] if db.ndim == 2 else db  # a 1-D right operand acts as a column
    d2 = lift(d2, builtins.max(d2.ndim - 1, x2.ndim))
    return (x2 @ d2).reshape((db.shape[0], *y.shape))


def _matmul_jvp(dx: tuple, y: np.ndarray, x: np.ndarray, w: np.ndarray, *rest: Any) -> np.ndarray:
    da, db = dx
    return tangent_sum(
        y, None if da is None else _left(da, w, y), None if db is None else _right(x, db, y)
    )


def _shaped(t: Tensor, shape: tuple) -> Tensor:
    return t if t.shape == shape else reshape(t, shape)


def _outer_products(terms: list) -> Tensor:
    """sum_k a_k^T g_k as one product: [a_1; ...; a_T]^T [g_1; ...; g_T]."""
    if len(terms) == 1:
        a, g = terms[0]
        return matmul(transpose(a), g)
    return matmul(transpose(concatenate([a for a, _ in terms])), concatenate([g for _, g in terms]))


def _matmul_tensor_vjp(g: Tensor, x: Tensor, w: Tensor, *rest: Any) -> tuple:
    # The general rule of either case, with ops: 1-D operands promoted, batch axes
    # that were broadcast summed back. For 2-D operands the right operand's gradient
    # a^T g is deferred, so a weight used at T steps gets one product (as in ``vjp``).
    ra, rb = rest[-2:]
    if x.ndim == 2 and w.ndim == 2:
        return (
            matmul(g, transpose(w)) if ra else None,
            Deferred(_outer_products, (x, g)) if rb else None,
        )
    x2 = _shaped(x, (1, x.shape[0])) if x.ndim == 1 else x
    w2 = _shaped(w, (w.shape[0], 1)) if w.ndim == 1 else w
    out2 = (*np.broadcast_shapes(x2.shape[:-2], w2.shape[:-2]), x2.shape[-2], w2.shape[-1])
    g2 = _shaped(g, out2)
    ga = gb = None
    if ra:
        ga = _shaped(unbroadcast(matmul(g2, swapaxes(w2, -1, -2)), x2.shape), x.shape)
    if rb:
        gb = _shaped(unbroadcast(matmul(swapaxes(x2, -1, -2), g2), w2.shape), w.shape)
    return ga, gb


@primitive(
    (_matmul_vjp, _matmul_general_vjp),
    jvp=_matmul_jvp,
    tensor_vjp=_matmul_tensor_vjp,
    saves=("a", "b"),
    methods=("__matmul__", ("__rmatmul__", reflected)),
    top_level=True,
)
def matmul(a: Any, b: Any) -> Tensor:
    """a @ b. vjp: (g b^T, a^T g).

    For C = A B: dA = dC B^T, dB = A^T dC; 1-D operands are promoted to a row
    (left) or a column (right) and the gradient is shaped back; batch axes that were
    broadcast are summed by :func:`unbroadcast`.
    """
    a, b = binary_operands(a, b, "matmul")
    x, y = a.data, b.data
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"matmul: operands must be at least 1-d, got {a.shape} @ {b.shape}")
    try:
        out = x @ y
    except ValueError:
        raise ValueError(f"matmul: shapes {a.shape} @ {b.shape} do not align") from None
    ra, rb = a._requires_grad, b._requires_grad

    if x.ndim == 2 and y.ndim == 2:
        return record("matmul", out, (a, b), _matmul_vjp, x, y, ra, rb)
    x2 = x[None, :] if x.ndim == 1 else x
    y2 = y[:, None] if y.ndim == 1 else y
    out2 = (*np.broadcast_shapes(x2.shape[:-2], y2.shape[:-2]), x2.shape[-2], y2.shape[-1])
    return record("matmul", out, (a, b), _matmul_general_vjp, x, y, x2, y2, out2, ra, rb)


def _addmm_vjp(
    g: np.ndarray, x: np.ndarray, y: np.ndarray, tc: tuple | None, ra: bool, rb: bool
) -> tuple:
    dy = None
    if rb:
        # Outer(x, g), filled here: an __init__ call less at every time step.
        dy = _blank(Outer)
        dy.a, dy.g = x, g
    return (
        None if tc is None else (unbroadcast(g, *tc) if tc else g),
        g.dot(y.T) if ra else None,
        dy,
    )


def _addmm_jvp(
    dx: tuple, y: np.ndarray, x: np.ndarray, w: np.ndarray, tc: tuple | None, ra: bool, rb: bool
) -> np.ndarray | None:
    dc, da, db = dx
    return tangent_sum(
        y,
        lift(dc, 2),
        None if da is None else _left(da, w, y),
        None if db is None else _right(x, db, y),
    )


def _addmm_tensor_vjp(
    g: Tensor, x: Tensor, w: Tensor, tc: tuple | None, ra: bool, rb: bool
) -> tuple:
    return (
        None if tc is None else (unbroadcast(g, *tc) if tc else g),
        matmul(g, transpose(w)) if ra else None,
        Deferred(_outer_products, (x, g)) if rb else None,
    )


@primitive(_addmm_vjp, jvp=_addmm_jvp, tensor_vjp=_addmm_tensor_vjp, saves=("a", "b"))
def addmm(c: Any, a: Any, b: Any) -> Tensor:
    """c + a @ b for 2-D a (N, K) and b (K, M), c broadcastable to (N, M). vjp:
    (unbroadcast(g), g b^T, a^T g).

    The affine map of every layer (``x W^T + b``, ``xw_t + h W_hh^T``) as one op: the
    same value and gradients as ``add(c, matmul(a, b))`` (the test suite checks both
    against each other) with one node instead of two. The last gradient is deferred,
    as for matmul.
    """
    if type(a) is not Tensor or type(b) is not Tensor or a.data.dtype is not b.data.dtype:
        a, b = binary_operands(a, b, "addmm")
    if not isinstance(c, Tensor):
        c = to_tensor(c, a, "addmm")
    x, y = a.data, b.data
    if x.ndim != 2 or y.ndim != 2:
        raise ValueError(f"addmm: needs 2-d operands, got {a.shape} @ {b.shape}")
    try:
        out = x.dot(y)  # for 2-d operands, ``x @ y`` with less per-call overhead
    except ValueError:
        raise ValueError(f"addmm: shapes {a.shape} @ {b.shape} do not align") from None
    cd = c.data
    same = cd.shape == out.shape and cd.dtype is out.dtype
    in_place = same or (cd.dtype is out.dtype and cd.ndim <= 1)
    try:
        if in_place:
            out += cd
        else:
            full = out + cd
    except ValueError:
        raise broadcast_error("addmm", c.shape, out.shape) from None
    if not in_place:
        if full.shape != out.shape:
            # c broadcasts to a @ b's (N, M), never beyond it, as in torch.addmm.
            raise ValueError(
                f"addmm: c of shape {c.shape} would make the result {full.shape}; "
                f"it must broadcast to a @ b's shape {out.shape}"
            )
        out = full
    tc = (() if same else (cd.shape, cd.dtype)) if c._requires_grad else None
    return record("addmm", out, (c, a, b), _addmm_vjp, x, y, tc, a._requires_grad, b._requires_grad)


def _strict(op: str, a: Any, b: Any, ndim: int) -> tuple[Tensor, Tensor]:
    """The operands of ``mm`` (ndim 2) or ``bmm`` (ndim 3), checked as PyTorch checks
    them: exactly ``ndim`` axes each, equal batch sizes (no broadcasting) and inner
    sizes that agree; the error names the op and both shapes. Operands of two dtypes are
    refused, as PyTorch's (a list is converted as for any op): matmul promotes them."""
    da, db = getattr(a, "dtype", None), getattr(b, "dtype", None)
    if da is not None and db is not None and np.dtype(da) != np.dtype(db):
        raise TypeError(
            f"{op}: operands of dtypes {np.dtype(da)} and {np.dtype(db)}; {op} takes one "
            f"dtype, as torch.{op}: cast one (b.to(a.dtype)), or use matmul, which promotes"
        )
    a, b = binary_operands(a, b, op)
    kind = "2-d matrices (n, m) and (m, p)" if ndim == 2 else "3-d batches (B, n, m) and (B, m, p)"
    if a.ndim != ndim or b.ndim != ndim:
        raise ValueError(f"{op}: expects {kind}, got shapes {a.shape} and {b.shape}")
    if a.shape[:-2] != b.shape[:-2]:
        raise ValueError(
            f"{op}: batch sizes {a.shape[0]} and {b.shape[0]} differ (shapes {a.shape} and "
            f"{b.shape}); {op} does not broadcast, matmul does"
        )
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(
            f"{op}: shapes {a.shape} and {b.shape} do not align ({a.shape[-1]} columns "
            f"against {b.shape[-2]} rows)"
        )
    return a, b


@composite(methods=("mm",), top_level=True)
def mm(a: Any, b: Any) -> Tensor:
    """The product of matrices a (n, m) and b (m, p), as ``torch.mm``: 2-d operands only
    (no 1-d, no batches). vjp: (g b^T, a^T g) (matmul's)."""
    return matmul(*_strict("mm", a, b, 2))


@composite(methods=("bmm",), top_level=True)
def bmm(a: Any, b: Any) -> Tensor:
    """Batched matrix products of a (B, n, m) and b (B, m, p), as ``torch.bmm``: 3-d
    operands with the same batch size B (no broadcasting). vjp: (g b^T, a^T g) per
    batch entry (matmul's)."""
    return matmul(*_strict("bmm", a, b, 3))


__all__ = names(__name__)
