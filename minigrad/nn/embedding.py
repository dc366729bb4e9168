"""``Embedding``: a lookup table of vectors, one row per id."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import ops
from ..ops.core import derived
from ..tensor import Tensor
from . import init
from .module import Module, Parameter, float_dtype

__all__ = ["Embedding"]


class Embedding(Module):
    """out[..., :] = weight[ids[...], :], with ``weight`` ``(num_embeddings, embedding_dim)``
    drawn from N(0, 1).

    Shapes: ids ``(*)`` (integers in [0, num_embeddings); -1 is refused, as PyTorch)
    -> out ``(*, embedding_dim)``. An id used several times receives the sum of its
    gradients. With ``padding_idx``, that row starts at
    zero and never receives a gradient (its current value is still returned).
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        dtype: Any = None,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx {padding_idx} is out of range for "
                    f"{num_embeddings} embeddings"
                )
            padding_idx %= num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        d = float_dtype(dtype, "Embedding")
        self.weight = Parameter(np.empty((num_embeddings, embedding_dim), d))
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """Redraw the table from N(0, 1); the padding row is zero."""
        init.normal_(self.weight, generator=generator)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, ids: Any) -> Tensor:
        # The ids are checked, and the padding rows found, by ops of no gradient
        # (``derived``): a compiled replay does both again on each call's ids, instead
        # of keeping the mask of the ids it saw at capture.
        check = functools.partial(_checked, self.num_embeddings, self.extra_repr())
        if isinstance(ids, Tensor):
            ids = derived("embedding ids", check, ids)
        else:
            ids = Tensor._wrap(check(np.asarray(ids)))
        out = ops.take(self.weight, ids)
        if self.padding_idx is None:
            return out
        # The padding rows are read from a detached copy, so their gradient is zero.
        is_pad = derived("embedding padding", functools.partial(_is_pad, self.padding_idx), ids)
        return ops.where(is_pad, ops.take(self.weight.detach(), ids), out)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s


def _checked(n: int, what: str, ids: np.ndarray) -> np.ndarray:
    """``ids`` if they are integers in [0, n), else a TypeError or IndexError."""
    if ids.dtype.kind not in "iu":
        raise TypeError(f"Embedding({what}): ids must be integers, got {ids.dtype}")
    bad = ids[(ids < 0) | (ids >= n)]
    if bad.size:
        # take() would wrap -1 around to the last row; PyTorch refuses it.
        raise IndexError(
            f"Embedding({what}): id {int(bad.flat[0])} is out of range; ids must be in [0, {n})"
        )
    return ids


def _is_pad(padding_idx: int, ids: np.ndarray) -> np.ndarray:
    """Where ``ids`` are the padding row, shaped to select whole embedding vectors."""
    return (ids == padding_idx)[..., None]
