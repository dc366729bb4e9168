"""Outputs that alias one another eagerly, and alias one another after a replay.

Eagerly, a function that returns ``y`` twice returns one tensor, and one that returns
``y`` with ``y[0]``, ``y.reshape(...)`` or ``y.T`` returns arrays that share memory: an
in-place edit of one (``y0.add_(1)`` under ``no_grad``, ``y0.data[...] = 0``) shows in
the other. A replay hands out fresh arrays (the next call reuses the planned buffers),
so the layout of the eager outputs is noted at capture and rebuilt at every replay:
a tensor returned twice is one tensor again, and outputs whose arrays overlapped are
views, at the same byte offsets and strides, of one new block that holds them all.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from ..versions import root_of

__all__ = ["Aliases"]

_SLOT = Tensor.__dict__["data"].__get__


def _bounds(a: np.ndarray) -> tuple[int, int]:
    """The first and one past the last byte address a (non-empty) array reaches."""
    start = a.__array_interface__["data"][0]
    reach = [(n - 1) * s for n, s in zip(a.shape, a.strides, strict=True)]
    return start + sum(r for r in reach if r < 0), start + sum(
        r for r in reach if r > 0
    ) + a.itemsize


class Aliases:
    """The aliasing among a capture's returned tensors (``leaves``), restricted to the
    outputs in ``fresh`` (the positions a replay computes anew: op outputs and tensors
    made inside the function; an argument returned is that argument already)."""

    def __init__(self, leaves: list[Any], fresh: set[int]) -> None:
        # j -> i: the j-th leaf is the i-th, the same tensor
        self.same: dict[int, int] = {}
        # j -> (block, byte offset, shape, strides, dtype); block k's size in bytes
        self.views: dict[int, tuple[int, int, tuple, tuple, np.dtype]] = {}
        self.sizes: list[int] = []
        first: dict[int, int] = {}
        by_root: dict[int, list[int]] = {}
        for j, t in enumerate(leaves):
            if not isinstance(t, Tensor):
                continue
            i = first.setdefault(id(t), j)
            if i != j:
                self.same[j] = i
            elif j in fresh:
                by_root.setdefault(id(root_of(_SLOT(t, Tensor))), []).append(j)
        for members in by_root.values():
            for group in _overlapping([_SLOT(leaves[j], Tensor) for j in members]):
                self._block([members[k] for k in group], leaves)

    def _block(self, group: list[int], leaves: list[Any]) -> None:
        arrays = [_SLOT(leaves[j], Tensor) for j in group]
        spans = [_bounds(a) for a in arrays]
        lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
        k = len(self.sizes)
        self.sizes.append(hi - lo)
        for j, a in zip(group, arrays, strict=True):
            start = a.__array_interface__["data"][0]  # the address of a[0, ..., 0]
            self.views[j] = (k, start - lo, a.shape, a.strides, a.dtype)

    def __bool__(self) -> bool:
        return bool(self.same or self.views)

    def blocks(self) -> list[np.ndarray]:
        """New memory for one replay's aliased outputs."""
        return [np.empty(n, np.uint8) for n in self.sizes]

    def place(self, j: int, value: np.ndarray, blocks: list[np.ndarray]) -> np.ndarray:
        """Output ``j``'s array: ``value`` copied into its place in its block."""
        k, offset, shape, strides, dtype = self.views[j]
        a = np.ndarray(shape, dtype, buffer=blocks[k], offset=offset, strides=strides)
        np.copyto(a, value)
        return a


def _overlapping(arrays: list[np.ndarray]) -> list[list[int]]:
    """The groups of two or more of ``arrays`` connected by shared memory."""
    if len(arrays) < 2:
        return []
    parent = list(range(len(arrays)))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a in range(len(arrays)):
        for b in range(a + 1, len(arrays)):
            if find(a) != find(b) and np.shares_memory(arrays[a], arrays[b]):
                parent[find(b)] = find(a)
    groups: dict[int, list[int]] = {}
    for k in range(len(arrays)):
        groups.setdefault(find(k), []).append(k)
    return [g for g in groups.values() if len(g) > 1]
