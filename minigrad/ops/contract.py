"""Contractions: ``einsum`` and the products written with it.

One primitive, ``contract(a, b, "A,B->O")``, is a two-operand einsum with explicit
letters. Its vjp for ``a`` is itself: ``contract(g, b, "O,B->U")`` over the letters U
of A that g or b carry, then laid out in A's shape (broadcast along letters only A
has, placed on the diagonal where A repeats a letter, summed where A broadcast a
size-1 axis). Being written with ``contract`` and layout ops, the rule differentiates
again. ``einsum`` (any number of operands, implicit output, repeated letters, ``...``)
expands the ellipsis and folds left with ``contract``; ``tensordot``, ``inner``,
``outer``, ``dot`` and ``kron`` build their subscripts and call it.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..axes import one_axis, spelled
from ..tensor import Tensor
from .core import binary_operands, record, to_tensor
from .elementwise import mul, sub
from .indexing import getitem
from .joins import stack
from .layout import moveaxis
from .registry import composite, names, primitive
from .select import where
from .shape import broadcast_to, reshape
from .subscripts import check, explicit
from .tangents import tangent_sum
from .unary import neg


def _split(spec: str) -> tuple[str, str, str]:
    ins, out = spec.split("->")
    sa, sb = ins.split(",")
    return sa, sb, out


def _sizes(spec: str, sa_shape: tuple, sb_shape: tuple) -> dict[str, int]:
    sa, sb, _ = _split(spec)
    sizes: dict[str, int] = {}
    for letters, shape in ((sa, sa_shape), (sb, sb_shape)):
        for c, n in zip(letters, shape, strict=True):
            sizes[c] = n if sizes.get(c, 1) == 1 else sizes[c]
    return sizes


def _layout(
    g: Any, so: str, other: Any, s_other: str, s_self: str, shape: tuple, sizes: dict
) -> Any:
    """The gradient of the operand with letters ``s_self`` and ``shape``."""
    arrays = isinstance(g, np.ndarray)
    carried, seen = [], set()
    for c, n in zip(s_self, shape, strict=True):
        if c not in seen and (c in so or c in s_other) and n == sizes[c]:
            carried.append(c)
        seen.add(c)
    spec = f"{so},{s_other}->{''.join(carried)}"
    u = np.einsum(spec, g, other) if arrays else contract(g, other, spec)
    first = {c: s_self.index(c) for c in carried}
    # u's sizes, not the operand's: a letter every other operand has at size 1 stays 1
    # in u (three operands "ij,ij,ij" of shapes (2, 3), (1, 3), (2, 1)) and broadcasts.
    got = dict(zip(carried, u.shape, strict=True))
    kept = tuple(got[c] if first.get(c) == i else 1 for i, c in enumerate(s_self))
    u = u.reshape(kept) if arrays else reshape(u, kept)
    u = np.broadcast_to(u, shape) if arrays else broadcast_to(u, shape)
    if len(set(s_self)) == len(s_self):
        return u
    grid = np.indices(shape, sparse=True)
    mask = np.ones(shape, dtype=bool)
    for i, c in enumerate(s_self):
        mask = mask & (grid[i] == grid[s_self.index(c)])
    return np.where(mask, u, 0) if arrays else where(mask, u, 0.0)


def _contract_vjp(g: Any, x: Any, w: Any, spec: str) -> tuple:
    sa, sb, so = _split(spec)
    sizes = _sizes(spec, x.shape, w.shape)
    return (
        _layout(g, so, w, sb, sa, x.shape, sizes),
        _layout(g, so, x, sa, sb, w.shape, sizes),
    )


def _contract_jvp(dx: tuple, y: np.ndarray, x: np.ndarray, w: np.ndarray, spec: str) -> Any:
    da, db = dx
    sa, sb, so = _split(spec)
    z = next(c for c in string.ascii_letters if c not in spec)
    return tangent_sum(
        y,
        None if da is None else np.einsum(f"{z}{sa},{sb}->{z}{so}", da, w),
        None if db is None else np.einsum(f"{sa},{z}{sb}->{z}{so}", x, db),
    )


@primitive(_contract_vjp, jvp=_contract_jvp, tensor_vjp=_contract_vjp, saves=("a", "b"))
def contract(a: Any, b: Any, subscripts: str) -> Tensor:
    """Two-operand einsum with explicit letters, ``"ij,jk->ik"``. vjp: for a,
    contract(g, b, "O,B->A") laid out in a's shape (diagonals for repeated letters,
    broadcast for letters only a has); likewise for b."""
    a, b = binary_operands(a, b, "contract")
    try:
        out = np.einsum(subscripts, a.data, b.data)
    except (ValueError, TypeError):
        check("contract", subscripts, [a.shape, b.shape])
        raise ValueError(
            f"contract: subscripts {subscripts!r} do not fit operands of shapes {a.shape} "
            f"and {b.shape}"
        ) from None
    return record("contract", out, (a, b), _contract_vjp, a.data, b.data, subscripts)


@composite(top_level=True)
def einsum(subscripts: str, *operands: Any) -> Tensor:
    """Einstein summation as NumPy: explicit (``"ij,jk->ik"``) or implicit output,
    repeated letters (``"ii->i"``, ``"ii"``), ``...`` broadcast. A composite: a left
    fold of ``contract`` (vjp: contract of g with the other operands)."""
    ts = [to_tensor(t, None, "einsum") for t in operands]
    if not ts:
        raise ValueError(f"einsum: needs at least one operand for subscripts {subscripts!r}")
    shapes = [t.shape for t in ts]
    check("einsum", subscripts, shapes)
    terms, out = explicit(subscripts, shapes)
    if len(ts) == 1:
        return contract(ts[0], np.ones((), ts[0].dtype), f"{terms[0]},->{out}")
    acc, acc_s = ts[0], terms[0]
    for k in range(1, len(ts)):
        later = out + "".join(terms[k + 1 :])
        both = acc_s + terms[k]
        keep = out if k == len(ts) - 1 else "".join(dict.fromkeys(c for c in both if c in later))
        acc, acc_s = contract(acc, ts[k], f"{acc_s},{terms[k]}->{keep}"), keep
    return acc


def _letters(n: int, start: int = 0) -> str:
    return string.ascii_lowercase[start : start + n]


def _tensordot_axes(a: Tensor, b: Tensor, axes: Any) -> tuple[list[int], list[int]]:
    """tensordot's axes as two checked lists, with errors in the caller's terms."""
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes <= min(a.ndim, b.ndim):
            raise ValueError(
                f"tensordot: axes={axes} must be between 0 and {min(a.ndim, b.ndim)} for "
                f"shapes {a.shape} and {b.shape}"
            )
        return list(range(a.ndim - axes, a.ndim)), list(range(axes))
    if not isinstance(axes, (tuple, list)) or len(axes) != 2:
        raise TypeError(
            f"tensordot: axes must be an integer or a pair (axes of a, axes of b), got {axes!r}"
        )
    pa, pb = ([x] if isinstance(x, (int, np.integer)) else list(x) for x in axes)
    if not all(isinstance(i, (int, np.integer)) for i in pa + pb):
        raise TypeError(f"tensordot: axes must be integers, got {axes!r}")
    if len(pa) != len(pb):
        raise ValueError(f"tensordot: axes {pa} and {pb} pair unequal numbers of axes")
    for side, ax, t in (("a", pa, a), ("b", pb, b)):
        for i in ax:
            if not -t.ndim <= i < t.ndim:
                raise ValueError(
                    f"tensordot: axis {i} is out of range for {side}, a {t.ndim}-d tensor"
                )
        if len({i % t.ndim for i in ax}) != len(ax):
            raise ValueError(f"tensordot: axes {ax} of {side} repeat an axis")
    for i, j in zip(pa, pb, strict=True):
        if a.shape[i] != b.shape[j]:
            raise ValueError(
                f"tensordot: axis {i} of a (size {a.shape[i]}) and axis {j} of b "
                f"(size {b.shape[j]}) differ"
            )
    return pa, pb


@composite(top_level=True)
def tensordot(
    a: Any,
    b: Any,
    axes: int | Sequence[Sequence[int]] | None = None,
    *,
    dims: int | Sequence[Sequence[int]] | None = None,
) -> Tensor:
    """Sum over ``axes`` of a paired with ``axes`` of b (the last n of a with the first n
    of b for an integer n; 2 when not given; ``dims`` is PyTorch's name). A composite
    of contract; vjp: g contracted with the other operand over the free axes."""
    a, b = binary_operands(a, b, "tensordot")
    pa, pb = _tensordot_axes(a, b, spelled("tensordot", "axes", axes, "dims", dims, 2))
    la, lb = list(_letters(a.ndim)), list(_letters(b.ndim, a.ndim))
    for i, j in zip(pa, pb, strict=True):
        lb[j % b.ndim] = la[i % a.ndim]
    summed = {la[i % a.ndim] for i in pa}
    out = [c for c in la if c not in summed] + [c for c in lb if c not in summed]
    return contract(a, b, f"{''.join(la)},{''.join(lb)}->{''.join(out)}")


@composite(methods=("outer",), top_level=True)
def outer(a: Any, b: Any) -> Tensor:
    """a.ravel()[:, None] * b.ravel()[None, :]. A composite of contract; vjp: (g b, g^T a)."""
    a, b = binary_operands(a, b, "outer")
    return contract(reshape(a, (-1,)), reshape(b, (-1,)), "i,j->ij")


@composite(methods=("inner",), top_level=True)
def inner(a: Any, b: Any) -> Tensor:
    """Sum over the last axes of a and b (a product when either is 0-d). A composite;
    vjp: g contracted with the other operand."""
    a, b = binary_operands(a, b, "inner")
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    la, lb = _letters(a.ndim - 1), _letters(b.ndim - 1, a.ndim)
    return contract(a, b, f"{la}z,{lb}z->{la}{lb}")


@composite(methods=("dot",), top_level=True)
def dot(a: Any, b: Any) -> Tensor:
    """NumPy's dot: a product for 0-d, the sum over the last axis of a and the
    second-to-last of b (the last if b is 1-d). A composite of contract; vjp: g
    contracted with the other operand."""
    a, b = binary_operands(a, b, "dot")
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    if b.ndim == 1:
        return tensordot(a, b, ([-1], [0]))
    return tensordot(a, b, ([-1], [b.ndim - 2]))


@composite(methods=("kron",), top_level=True)
def kron(a: Any, b: Any) -> Tensor:
    """Kronecker product: blocks a[i] * b (ranks padded with leading 1s). A composite
    of contract and reshape; vjp: each block of g contracted with the other operand."""
    a, b = binary_operands(a, b, "kron")
    n = max(a.ndim, b.ndim)
    a = reshape(a, (1,) * (n - a.ndim) + a.shape)
    b = reshape(b, (1,) * (n - b.ndim) + b.shape)
    la, lb = _letters(n), _letters(n, n)
    out = contract(a, b, f"{la},{lb}->{''.join(x + y for x, y in zip(la, lb, strict=True))}")
    return reshape(out, tuple(p * q for p, q in zip(a.shape, b.shape, strict=True)))


def _vector_axis(t: Tensor, axis: int, which: str) -> Tensor:
    """``t`` with its vector axis ``axis`` moved last, checked to hold 2 or 3 components."""
    if not -t.ndim <= axis < t.ndim:
        raise ValueError(f"cross: {which}={axis} is out of range for an operand of shape {t.shape}")
    if t.shape[axis] not in (2, 3):
        raise ValueError(
            f"cross: vectors must have 2 or 3 components, but axis {axis} ({which}) of an "
            f"operand of shape {t.shape} has {t.shape[axis]}"
        )
    return moveaxis(t, axis, -1)


def _component(t: Tensor, k: int) -> Tensor | None:
    """Component k of vectors along the last axis; None for the z of a 2-vector (0)."""
    return getitem(t, (Ellipsis, k)) if k < t.shape[-1] else None


def _det(p: Tensor | None, q: Tensor | None, r: Tensor | None, s: Tensor | None) -> Tensor:
    """p q - r s, where a None factor is 0 (a missing z component)."""
    left = None if p is None or q is None else mul(p, q)
    right = None if r is None or s is None else mul(r, s)
    if right is None:
        return left
    return neg(right) if left is None else sub(left, right)


@composite(top_level=True)
def cross(
    a: Any,
    b: Any,
    axisa: int = -1,
    axisb: int = -1,
    axisc: int = -1,
    axis: int | None = None,
    *,
    dim: int | None = None,
) -> Tensor:
    """Cross product of vectors along ``axisa`` of a and ``axisb`` of b, placed along
    ``axisc`` (``axis`` sets all three; ``dim`` is PyTorch's name for it), other axes
    broadcast, as ``numpy.cross``. A 2-vector has z = 0; two 2-vectors give the z
    component alone (shape without the vector axis). A composite of getitem, mul and
    stack; vjp: (b x g, g x a).
    """
    a, b = binary_operands(a, b, "cross")
    axis = one_axis("cross", axis, dim)
    if axis is not None:
        axisa = axisb = axisc = axis
    va, vb = _vector_axis(a, axisa, "axisa"), _vector_axis(b, axisb, "axisb")
    try:
        batch = np.broadcast_shapes(va.shape[:-1], vb.shape[:-1])
    except ValueError:
        raise ValueError(
            f"cross: the axes beside the vectors, {va.shape[:-1]} and {vb.shape[:-1]}, "
            f"do not broadcast (operands {a.shape} and {b.shape})"
        ) from None
    (a0, a1, a2), (b0, b1, b2) = ([_component(v, k) for k in range(3)] for v in (va, vb))
    z = _det(a0, b1, a1, b0)
    if a2 is None and b2 is None:
        return z
    if not -(len(batch) + 1) <= axisc < len(batch) + 1:
        raise ValueError(f"cross: axisc={axisc} is out of range for a {len(batch) + 1}-d result")
    comps = [_det(a1, b2, a2, b1), _det(a2, b0, a0, b2), z]
    return moveaxis(stack([broadcast_to(c, batch) for c in comps], -1), -1, axisc)


__all__ = names(__name__)
