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

from ..tensor import Tensor
from .core import binary_operands, record, to_tensor
from .elementwise import mul, sub, where
from .registry import composite, names, primitive
from .shape import broadcast_to, getitem, reshape, stack
from .tangents import tangent_sum


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
    pairs = enumerate(zip(s_self, shape, strict=True))
    kept = tuple(n if first.get(c) == i else 1 for i, (c, n) in pairs)
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
    except ValueError as e:
        raise ValueError(
            f"contract: {subscripts!r} on shapes {a.shape} and {b.shape}: {e}"
        ) from None
    return record("contract", out, (a, b), _contract_vjp, a.data, b.data, subscripts)


def _normalise(subscripts: str, shapes: list[tuple]) -> tuple[list[str], str]:
    """Explicit letters for every operand and the output (``...`` expanded)."""
    s = subscripts.replace(" ", "")
    ins, arrow, out = s.partition("->")
    terms = ins.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} subscripts for {len(shapes)} operands")
    spare = [c for c in string.ascii_letters if c not in s]
    widths = [len(sh) - len(t.replace("...", "")) for t, sh in zip(terms, shapes, strict=True)]
    ell = "".join(spare[: max([w for t, w in zip(terms, widths, strict=True) if "..." in t] + [0])])
    explicit = []
    for t, w, sh in zip(terms, widths, shapes, strict=True):
        t = t.replace("...", ell[len(ell) - w :] if w else "")
        if len(t) != len(sh):
            raise ValueError(f"einsum: subscripts {t!r} for an operand of shape {sh}")
        explicit.append(t)
    if arrow:
        return explicit, out.replace("...", ell)
    letters = "".join(explicit)
    once = sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell)
    return explicit, ell + "".join(once)


@composite(top_level=True)
def einsum(subscripts: str, *operands: Any) -> Tensor:
    """Einstein summation as NumPy: explicit (``"ij,jk->ik"``) or implicit output,
    repeated letters (``"ii->i"``, ``"ii"``), ``...`` broadcast. A composite: a left
    fold of ``contract`` (vjp: contract of g with the other operands)."""
    ts = [to_tensor(t, None, "einsum") for t in operands]
    if not ts:
        raise ValueError("einsum: needs at least one operand")
    terms, out = _normalise(subscripts, [t.shape for t in ts])
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


@composite(top_level=True)
def tensordot(a: Any, b: Any, axes: int | Sequence[Sequence[int]] = 2) -> Tensor:
    """Sum over ``axes`` of a paired with ``axes`` of b (the last n of a with the first n
    of b for an integer). A composite of contract; vjp: g contracted with the other
    operand over the free axes."""
    a, b = binary_operands(a, b, "tensordot")
    if isinstance(axes, (int, np.integer)):
        pa, pb = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        pa, pb = ([x] if isinstance(x, int) else list(x) for x in axes)
    la, lb = list(_letters(a.ndim)), list(_letters(b.ndim, a.ndim))
    for i, j in zip(pa, pb, strict=True):
        lb[j % b.ndim] = la[i % a.ndim]
    summed = {la[i % a.ndim] for i in pa}
    out = [c for c in la if c not in summed] + [c for c in lb if c not in summed]
    return contract(a, b, f"{''.join(la)},{''.join(lb)}->{''.join(out)}")


@composite(top_level=True)
def outer(a: Any, b: Any) -> Tensor:
    """a.ravel()[:, None] * b.ravel()[None, :]. A composite of contract; vjp: (g b, g^T a)."""
    a, b = binary_operands(a, b, "outer")
    return contract(reshape(a, (-1,)), reshape(b, (-1,)), "i,j->ij")


@composite(top_level=True)
def inner(a: Any, b: Any) -> Tensor:
    """Sum over the last axes of a and b (a product when either is 0-d). A composite;
    vjp: g contracted with the other operand."""
    a, b = binary_operands(a, b, "inner")
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    la, lb = _letters(a.ndim - 1), _letters(b.ndim - 1, a.ndim)
    return contract(a, b, f"{la}z,{lb}z->{la}{lb}")


@composite(top_level=True)
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


@composite(top_level=True)
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


@composite(top_level=True)
def cross(a: Any, b: Any, axis: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``axis`` (broadcasting the rest). A composite
    of getitem, mul, sub and stack; vjp: (b x g, g x a)."""
    a, b = binary_operands(a, b, "cross")
    if a.shape[axis] != 3 or b.shape[axis] != 3:
        raise ValueError(f"cross: needs 3-vectors along axis {axis}, got {a.shape} and {b.shape}")

    def part(t: Tensor, k: int) -> Tensor:
        return getitem(t, (slice(None),) * (axis % t.ndim) + (k,))

    (a0, a1, a2), (b0, b1, b2) = ([part(t, k) for k in range(3)] for t in (a, b))
    comps = [sub(mul(a1, b2), mul(a2, b1)), sub(mul(a2, b0), mul(a0, b2))]
    comps.append(sub(mul(a0, b1), mul(a1, b0)))
    return stack(comps, axis)


__all__ = names(__name__)
