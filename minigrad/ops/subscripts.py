"""Einsum subscripts: checked against the operands, then made explicit.

``check`` finds the first thing wrong with a call (a character that is not a letter, a
stray '.', operands and terms that do not pair up, a term naming more or fewer axes
than its operand has, an output letter no input has, a letter whose sizes disagree) and
raises with the subscripts and shapes in question. ``explicit`` then writes every
term and the output with letters only (``...`` expanded, the implicit output made
explicit).

Sizes follow NumPy: a letter repeated within one operand takes a diagonal, so its
sizes there must be equal; across operands a size-1 axis broadcasts.
"""

from __future__ import annotations

import string

import numpy as np

__all__ = ["check", "explicit"]

ELLIPSIS = "..."


def _axes(n: int) -> str:
    return f"{n} axis" if n == 1 else f"{n} axes"


def _terms(op: str, subscripts: str) -> tuple[list[str], str | None]:
    """The input terms and the output term (None when implicit), syntax checked."""
    s = subscripts.replace(" ", "")
    if s.count("->") > 1:
        raise ValueError(f"{op}: subscripts {subscripts!r} have more than one '->'")
    ins, arrow, out = s.partition("->")
    for c in ins + out:
        if c not in string.ascii_letters and c not in ",.":
            raise ValueError(
                f"{op}: subscripts {subscripts!r} contain {c!r}; use letters (a-z, A-Z), "
                "',' between operands, '->' before the output and '...' for broadcast axes"
            )
    terms = ins.split(",")
    for k, t in enumerate([*terms, out] if arrow else terms):
        rest = t.replace(ELLIPSIS, "", 1)
        where = "the output" if arrow and k == len(terms) else f"operand {k}"
        if "." in rest:
            raise ValueError(
                f"{op}: subscripts {subscripts!r} have a '.' outside an ellipsis '...' "
                f"(in {t!r}, for {where})"
            )
    if arrow and "," in out:
        raise ValueError(f"{op}: subscripts {subscripts!r} name more than one output")
    return terms, (out if arrow else None)


def _ranks(op: str, subscripts: str, terms: list[str], shapes: list[tuple]) -> None:
    if len(terms) != len(shapes):
        given = f"{len(shapes)} {'was' if len(shapes) == 1 else 'were'} given"
        listed = ", ".join(map(str, shapes)) or "none"
        raise ValueError(
            f"{op}: subscripts {subscripts!r} name {len(terms)} operand(s), but {given} "
            f"(shapes {listed})"
        )
    for k, (t, shape) in enumerate(zip(terms, shapes, strict=True)):
        named = len(t.replace(ELLIPSIS, ""))
        if ELLIPSIS in t and named > len(shape):
            raise ValueError(
                f"{op}: subscripts {t!r} name {_axes(named)} besides '...', but operand {k} "
                f"has shape {shape} ({_axes(len(shape))})"
            )
        if ELLIPSIS not in t and named != len(shape):
            raise ValueError(
                f"{op}: subscripts {t!r} name {_axes(named)}, but operand {k} has shape "
                f"{shape} ({_axes(len(shape))}); use '...' for axes the subscripts do not name"
            )


def _sizes(op: str, terms: list[str], shapes: list[tuple]) -> None:
    """Each letter's sizes: equal within an operand, equal or 1 across operands; the
    axes under '...' broadcast."""
    seen: dict[str, tuple[int, int, tuple]] = {}  # letter -> (size, operand, shape)
    for k, (t, shape) in enumerate(zip(terms, shapes, strict=True)):
        head, _, tail = t.partition(ELLIPSIS)
        axes = list(zip(head, shape, strict=False))
        if tail:
            axes += list(zip(tail, shape[len(shape) - len(tail) :], strict=True))
        mine: dict[str, int] = {}
        for c, n in axes:
            if c in mine and mine[c] != n:
                raise ValueError(
                    f"{op}: letter {c!r} is repeated in operand {k} ({t!r}, shape {shape}) "
                    f"with sizes {mine[c]} and {n}; a repeated letter takes a diagonal, "
                    "which needs equal sizes"
                )
            mine[c] = n
        for c, n in mine.items():
            size, j, other = seen.get(c, (1, k, shape))
            if n != size and 1 not in (n, size):
                raise ValueError(
                    f"{op}: letter {c!r} has size {size} in operand {j} (shape {other}) "
                    f"and size {n} in operand {k} (shape {shape})"
                )
            if size == 1:
                seen[c] = (n, k, shape)


def _broadcast_axes(op: str, terms: list[str], shapes: list[tuple]) -> None:
    under = [
        shape[len(t.partition(ELLIPSIS)[0]) : len(shape) - len(t.partition(ELLIPSIS)[2])]
        for t, shape in zip(terms, shapes, strict=True)
        if ELLIPSIS in t
    ]
    try:
        np.broadcast_shapes(*under)
    except ValueError:
        raise ValueError(
            f"{op}: the axes under '...', {' and '.join(map(str, under))}, do not broadcast"
        ) from None


def check(op: str, subscripts: str, shapes: list[tuple]) -> None:
    """Raise ``ValueError`` naming the first problem of ``subscripts`` for operands of
    ``shapes``; return None when NumPy's einsum accepts them."""
    if not isinstance(subscripts, str):
        raise TypeError(f"{op}: subscripts must be a string, got {type(subscripts).__name__}")
    terms, out = _terms(op, subscripts)
    _ranks(op, subscripts, terms, shapes)
    if out is not None:
        letters = "".join(terms)
        for c in out.replace(ELLIPSIS, ""):
            if c not in letters:
                raise ValueError(
                    f"{op}: output letter {c!r} of {subscripts!r} is in no input's subscripts"
                )
            if out.count(c) > 1:
                raise ValueError(f"{op}: output letter {c!r} appears twice in {subscripts!r}")
    _sizes(op, terms, shapes)
    _broadcast_axes(op, terms, shapes)


def explicit(subscripts: str, shapes: list[tuple]) -> tuple[list[str], str]:
    """Letters for every operand and the output: ``...`` expanded into spare letters
    (right-aligned, as broadcasting), the implicit output made explicit (the broadcast
    axes, then the letters used once, in alphabetical order). An explicit output
    without ``...`` sums the broadcast axes, as PyTorch (NumPy refuses). Assumes
    ``check`` passed."""
    s = subscripts.replace(" ", "")
    ins, arrow, out = s.partition("->")
    terms = ins.split(",")
    spare = [c for c in string.ascii_letters if c not in s]
    widths = [len(sh) - len(t.replace(ELLIPSIS, "")) for t, sh in zip(terms, shapes, strict=True)]
    ell = "".join(
        spare[: max([w for t, w in zip(terms, widths, strict=True) if ELLIPSIS in t] + [0])]
    )
    letters = [
        t.replace(ELLIPSIS, ell[len(ell) - w :] if w else "")
        for t, w in zip(terms, widths, strict=True)
    ]
    if arrow:
        return letters, out.replace(ELLIPSIS, ell)
    joined = "".join(letters)
    once = sorted(c for c in set(joined) if joined.count(c) == 1 and c not in ell)
    return letters, ell + "".join(once)
