"""How gradients are held and summed while backward runs.

A vjp returns, per input, an ndarray or one of two lazy records:

- :class:`Scatter`: the gradient of a slice, zero outside it. The engine adds it into
  one buffer per input, so splitting a (T, N, H) sequence into T steps costs O(T) in
  backward, not O(T^2).
- :class:`Outer`: ``a^T g``, a matmul's gradient for its right operand. A recurrent
  weight used at T steps receives T of them; :class:`Pending` sums them with a single
  matrix product once every use has reported.

Slices' gradients are kept as they come too (:class:`Pieces`) until the input's turn or
a dense gradient arrives: the T steps of a (T, N, H) sequence then fill its gradient
with one concatenation instead of T additions into a zeroed buffer.

:func:`accumulate` sums any mix of these into the engine's table of gradients, and
:func:`settle` turns what it holds into the array a vjp receives.
"""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np

__all__ = [
    "KEEPS_NOTHING",
    "TAKES_LAZY",
    "Outer",
    "Pending",
    "Pieces",
    "Scatter",
    "accumulate",
    "join_rows",
    "part_vjp",
    "settle",
    "slice_vjp",
    "watched",
]


_join = bytearray().join


def join_rows(arrays: list[np.ndarray]) -> np.ndarray:
    """``np.concatenate(arrays)`` along the first axis, for arrays the caller knows to
    have one trailing shape (rows of one width): a layer's T states, a weight's T
    gradient terms.

    Arrays of one native dtype, each C-contiguous, are joined as bytes: for T small
    arrays about half of what ``np.concatenate`` costs (it resolves dtypes and sets up
    a cast and an iterator for each one), which is most of what joining T small states
    costs. Anything else (dtypes differ, an array is strided, a trailing size is 0, a
    byte-swapped or object dtype) goes to ``np.concatenate``.
    """
    first = arrays[0]
    dtype = first.dtype
    for a in arrays:
        if a.dtype is not dtype:
            return np.concatenate(arrays)
    trailing = first.shape[1:]
    if not first.ndim or 0 in trailing or not dtype.isnative or dtype.hasobject:
        return np.concatenate(arrays)
    try:
        joined = _join(arrays)  # a TypeError for an array that is not C-contiguous
    except TypeError:
        return np.concatenate(arrays)
    return np.frombuffer(joined, dtype).reshape((-1, *trailing))


class Scatter:
    """A gradient that is zero except at ``index``: what indexing sends to its input.

    Slicing a (T, N, H) tensor into T steps would cost O(T^2) in backward if every
    step's vjp returned a dense, mostly-zero (T, N, H) array. Returning a Scatter
    instead lets the engine add each slice into one buffer per input, so splitting
    along time costs O(T) in total. ``unique`` is False for integer-array indices
    that may repeat (embedding lookups), which then accumulate with ``np.add.at``.
    """

    __slots__ = ("dtype", "index", "shape", "unique", "value")

    def __init__(
        self, index: Any, value: np.ndarray, shape: tuple[int, ...], dtype: np.dtype, unique: bool
    ) -> None:
        self.index = index
        self.value = value
        self.shape = shape
        self.dtype = dtype
        self.unique = unique

    def add_into(self, buf: np.ndarray) -> None:
        """Add the gradient into ``buf`` (of the input's full shape) in place."""
        if self.unique:
            region = buf[self.index]
            if type(region) is np.ndarray and region.base is buf:
                # A view (basic indexing): add in place, without writing it back.
                np.add(region, self.value, out=region)
            else:
                buf[self.index] += self.value
        else:
            np.add.at(buf, self.index, self.value)

    def dense(self) -> np.ndarray:
        """The gradient as a full array."""
        buf = np.zeros(self.shape, self.dtype)
        self.add_into(buf)
        return buf


def slice_vjp(g: np.ndarray, idx: Any, shape: tuple, dtype: np.dtype, unique: bool) -> tuple:
    """The vjp of ``a[idx]``: g scattered into a gradient of ``a``'s shape."""
    return (Scatter(idx, g, shape, dtype, unique),)


def part_vjp(g: np.ndarray, idx: Any, shape: tuple, dtype: np.dtype, unique: bool) -> tuple:
    """The vjp of one piece of ``split``/``chunk``/``unbind``: the same rule as
    :func:`slice_vjp`, under its own name so that the engine knows the node for a piece.

    The backward walk never visits a piece's node: what its consumers send it goes
    straight to the split tensor (always a recorded op's output: pieces of a leaf are
    ordinary slices) as a :class:`Scatter` (the piece's index, from its
    saved values), so n pieces cost n additions to one gradient, not n vjp calls. A
    piece someone watches (a hook, a retained ``.grad``; see :func:`watched`) is an
    ordinary slice again.
    """
    return (Scatter(idx, g, shape, dtype, unique),)


def watched(node: Any) -> None:
    """Make ``node`` run its own vjp in backward (a hook or a retained gradient reads
    its gradient there): a piece's node becomes an ordinary slice."""
    if node.vjp is part_vjp:
        node.vjp = slice_vjp


class Pieces:
    """Several :class:`Scatter` gradients of one input, summed when the input's turn
    comes (:meth:`value`) or into a dense gradient that arrives (:meth:`add_into`).

    When the pieces are the rows ``x[0]``, ..., ``x[T-1]`` of the input, each once (a
    sequence split into its time steps), the sum is their concatenation: one call
    instead of a zeroed buffer and T additions.
    """

    __slots__ = ("items",)

    def __init__(self, items: list[Scatter]) -> None:
        self.items = items

    def value(self) -> np.ndarray:
        first = self.items[0]
        rows = _rows(self.items, first.shape)
        if rows is not None and rows.dtype == first.dtype:
            return rows.reshape(first.shape)
        spans = _blocks(self.items)
        if spans is not None:
            return _written(self.items, spans)
        buf = np.zeros(first.shape, first.dtype)
        self.add_into(buf)
        return buf

    def add_into(self, buf: np.ndarray) -> None:
        for piece in self.items:
            piece.add_into(buf)


def _blocks(items: list[Scatter]) -> list[tuple[int, int]] | None:
    """The sorted ranges when the pieces are disjoint ranges ``x[..., a:b]`` of one
    axis, the same slices before it (the gate blocks of a recurrent cell's
    activations); else None."""
    first = items[0].index
    if type(first) is not tuple or not first:
        return None
    head = first[:-1]
    for part in head:
        if part is not Ellipsis and type(part) is not slice:
            return None  # (arrays in ``head`` would not compare as one value below)
    spans = []
    for piece in items:
        idx = piece.index
        if type(idx) is not tuple or not piece.unique or idx[:-1] != head:
            return None
        last = idx[-1]
        if type(last) is not slice or last.step is not None:
            return None
        start, stop = last.start, last.stop
        if type(start) is not int or type(stop) is not int or start < 0 or stop < start:
            return None
        spans.append((start, stop))
    spans.sort()
    end = 0
    for start, stop in spans:
        if start < end:
            return None
        end = stop
    return spans


_EVERYTHING = slice(None)
_empty = np.empty  # (a test swaps in one that fills with NaN)


def _written(items: list[Scatter], spans: list[tuple[int, int]]) -> np.ndarray:
    """Disjoint blocks (:func:`_blocks`) written into one buffer. In a large buffer whose
    slices before the blocks' axis take all of it, only the ranges the blocks leave out
    are zeroed (a cell's unused gate block); else the whole buffer (for a small one,
    zeroing all of it costs less than the extra calls)."""
    first = items[0]
    head = first.index[:-1]
    if prod(first.shape) >= 8192 and all(p is Ellipsis or p == _EVERYTHING for p in head):
        buf = _empty(first.shape, first.dtype)
        axis = len(first.shape) - 1 if any(part is Ellipsis for part in head) else len(head)
        end = 0
        for start, stop in spans:
            if start > end:
                buf[(*head, slice(end, start))] = 0
            end = stop
        if end < first.shape[axis]:
            buf[(*head, slice(end, None))] = 0
    else:
        buf = np.zeros(first.shape, first.dtype)
    for piece in items:
        buf[piece.index] = piece.value
    return buf


def _rows(items: list[Scatter], shape: tuple[int, ...]) -> np.ndarray | None:
    """The pieces concatenated in row order when they are rows ``0..n-1`` of a
    (n, ...) input, each once and of the row's shape; else None."""
    n = len(items)
    if len(shape) < 2 or shape[0] != n:
        return None
    row = shape[1:]
    order: list = [None] * n
    for piece in items:
        i = piece.index
        if type(i) is not int or not piece.unique or piece.value.shape != row:
            return None
        if order[i] is not None:
            return None
        order[i] = piece.value
    return join_rows(order)


class Outer:
    """The gradient ``a^T g`` of a matmul's right operand, left unevaluated.

    A recurrent weight used at T steps receives T of these (a (N, H), g (N, G*H)).
    The engine keeps them until every consumer has reported and then sums them with
    one (H, T*N) @ (T*N, G*H) product instead of T small ones, the way hand-written
    BPTT hoists its weight gradients out of the time loop.
    """

    __slots__ = ("a", "g")

    def __init__(self, a: np.ndarray, g: np.ndarray) -> None:
        self.a = a
        self.g = g


class Pending:
    """A sum of :class:`Outer` terms plus an optional dense part, evaluated once."""

    __slots__ = ("dense", "lefts", "rights")

    def __init__(self, term: Outer, dense: np.ndarray | None = None) -> None:
        self.lefts = [term.a]
        self.rights = [term.g]
        self.dense = dense

    def nbytes(self) -> int:
        """The size of the sum's value."""
        a, g = self.lefts[0], self.rights[0]
        return a.shape[-1] * g.shape[-1] * np.result_type(a, g).itemsize

    def transposed(self) -> Pending:
        """The sum's transpose, still unevaluated: ``(a^T g)^T = g^T a``, so a weight
        used as ``W^T`` gets its gradient computed in ``W``'s own layout (row-major, as
        ``.grad`` holds it), not computed for ``W^T`` and copied across."""
        out = Pending.__new__(Pending)
        out.lefts, out.rights = self.rights, self.lefts
        out.dense = None if self.dense is None else self.dense.T
        return out

    def value(self) -> np.ndarray:
        if len(self.lefts) == 1:
            out = self.lefts[0].T @ self.rights[0]
        else:
            out = join_rows(self.lefts).T @ join_rows(self.rights)
        if self.dense is not None:
            out += self.dense
        return out


#: vjps of views that save no values, only how to undo the view (a transpose's axes, a
#: reshape's old shape): backward leaves their nodes as they are, so a view made once and
#: used by several graphs (``Wt = W.T`` before a training loop) is backpropagated through
#: again, as in PyTorch, where an op that saved no tensors can be.
KEEPS_NOTHING: set[Any] = set()

#: vjps that take the engine's lazy records as they are (a :class:`Pending` sum stays one
#: through a transpose); the engine evaluates the records for every other vjp.
TAKES_LAZY: set[Any] = set()


def accumulate(grads: dict, owned: set, key: Any, g: Any) -> None:
    """Sum ``g`` into ``grads[key]``, in place once the buffer is our own.

    ``g`` is an ndarray, a :class:`Scatter`, an :class:`Outer` or a :class:`Pending`
    (handed on by a vjp in :data:`TAKES_LAZY`); the lazy kinds
    are what keep splitting over time O(T) and recurrent weight gradients one GEMM.
    ``grads[key]`` is an ndarray (in ``owned`` once the engine may write into it), a
    :class:`Scatter` or :class:`Pieces` (slices so far), or a :class:`Pending`.
    """
    old = grads.get(key)
    kind = type(g)
    if kind is Outer:
        if old is None:
            grads[key] = Pending(g)
        elif type(old) is Pending:
            old.lefts.append(g.a)
            old.rights.append(g.g)
        else:
            grads[key] = Pending(g, old if type(old) is np.ndarray else settle(old))
        return
    if kind is Scatter:
        _add_slice(grads, owned, key, old, g)
        return
    if kind is Pending:
        if old is None:
            grads[key] = g
            return
        g = g.value()
    elif kind is not np.ndarray:
        # A vjp on 0-d values yields a NumPy scalar, for which ``old += g`` below
        # would rebind a local instead of updating the buffer.
        g = np.asarray(g)
    okind = type(old)
    if old is None:
        grads[key] = g
    elif okind is Pending:
        old.dense = g if old.dense is None else old.dense + g
    elif okind is Scatter or okind is Pieces:
        full = old.items[0].shape if okind is Pieces else old.shape
        if g.shape == full:
            buf = g.copy()
            old.add_into(buf)
        else:
            buf = np.asarray(settle(old) + g)
        grads[key] = buf
        owned.add(key)
    elif key in owned:
        old += g
    else:
        grads[key] = np.asarray(old + g)
        owned.add(key)


def _add_slice(grads: dict, owned: set, key: Any, old: Any, g: Scatter) -> None:
    """The :class:`Scatter` case of :func:`accumulate`."""
    okind = type(old)
    if old is None:
        grads[key] = g
    elif okind is Scatter:
        grads[key] = Pieces([old, g])
    elif okind is Pieces:
        old.items.append(g)
    elif okind is Pending:
        old.dense = g.dense() if old.dense is None else old.dense + g.dense()
    elif key in owned:
        g.add_into(old)
    else:
        old = old.copy()
        g.add_into(old)
        grads[key] = old
        owned.add(key)


def settle(g: Any) -> np.ndarray:
    """What the engine holds for a gradient as the array a vjp receives: a lazy record
    evaluated, a NumPy scalar as a 0-d array."""
    kind = type(g)
    if kind is Pending or kind is Pieces:
        return g.value()
    if kind is Scatter:
        return g.dense()
    if kind is Outer:
        return g.a.T @ g.g
    return np.asarray(g)
