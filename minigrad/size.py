"""Sizes and shapes as a user writes and reads them.

``Tensor.size`` answers with a :class:`Size` (an ``int`` that, called, gives the shape,
as PyTorch's); :func:`shape_args` lets factories and ``reshape``-like methods take a
shape as separate numbers or as one tuple. Imports nothing from minigrad.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Size", "shape_args"]


class Size(int):
    """``Tensor.size``: the element count (an ``int``, as it has always been here),
    which called gives the shape (``t.size()``) or one axis (``t.size(dim)``), as
    PyTorch's ``Tensor.size``."""

    shape: tuple[int, ...]

    def __new__(cls, data: np.ndarray) -> Size:
        self = super().__new__(cls, data.size)
        self.shape = data.shape
        return self

    def __call__(self, dim: int | None = None) -> Any:
        if dim is None:
            return self.shape
        try:
            return self.shape[dim]
        except (IndexError, TypeError):
            raise IndexError(
                f"size({dim!r}): dimension out of range for a tensor of shape {self.shape}"
            ) from None


def shape_args(args: tuple) -> tuple:
    """Accept both ``t.reshape(2, 3)`` and ``t.reshape((2, 3))``."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)
