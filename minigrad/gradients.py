"""How gradients are held and summed while backward runs.

A vjp returns, per input, an ndarray or one of two lazy records:

- :class:`Scatter`: the gradient of a slice, zero outside it. The engine adds it into
  one buffer per input, so splitting a (T, N, H) sequence into T steps costs O(T) in
  backward, not O(T^2).
- :class:`Outer`: ``a^T g``, a matmul's gradient for its right operand. A recurrent
  weight used at T steps receives T of them; :class:`Pending` sums them with a single
  matrix product once every use has reported.

:func:`accumulate` sums any mix of these into the engine's table of gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Outer", "Pending", "Scatter", "accumulate"]


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

    def value(self) -> np.ndarray:
        if len(self.lefts) == 1:
            out = self.lefts[0].T @ self.rights[0]
        else:
            out = np.concatenate(self.lefts).T @ np.concatenate(self.rights)
        if self.dense is not None:
            out += self.dense
        return out


def accumulate(grads: dict, owned: set, key: Any, g: Any) -> None:
    """Sum ``g`` into ``grads[key]``, in place once the buffer is our own.

    ``g`` is an ndarray, a :class:`Scatter` or an :class:`Outer`; the two lazy kinds
    are what keep splitting over time O(T) and recurrent weight gradients one GEMM.
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
            grads[key] = Pending(g, old.dense() if type(old) is Scatter else old)
        return
    if type(old) is Pending:
        dense = g.dense() if kind is Scatter else g
        old.dense = dense if old.dense is None else old.dense + dense
        return
    if kind is Scatter:
        if old is None:
            grads[key] = g.dense()
        elif key in owned:
            g.add_into(old)
            return
        else:
            old = old.copy()
            g.add_into(old)
            grads[key] = old
        owned.add(key)
        return
    if type(g) is not np.ndarray:
        # A vjp on 0-d values yields a NumPy scalar, for which ``old += g`` below
        # would rebind a local instead of updating the buffer.
        g = np.asarray(g)
    if old is None:
        grads[key] = g
    elif key in owned:
        old += g
    else:
        grads[key] = np.asarray(old + g)
        owned.add(key)
