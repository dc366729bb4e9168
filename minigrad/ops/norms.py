"""Vector and matrix norms, as NumPy's ``linalg.norm``.

Over one axis (or a 1-d tensor without ``axis``) ``norm`` is a vector p-norm,
(sum |a|^p)^(1/p), with its limits inf and -inf and NumPy's count of nonzero elements
at p = 0; over two axes (or a 2-d tensor without ``axis``) a matrix norm: "fro", and
the induced 1- and inf-norms max_j sum_i |a_ij| and max_i sum_j |a_ij| (-1 and -inf
take the min). All are composites of abs, sum, max/min, pow and the root of
:mod:`.stats`, so their derivatives are those ops' (PyTorch's at zeros and ties:
docs/ops.md). The norms of singular values (2, -2, "nuc") are not offered: see
:func:`norm`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..axes import axis_args
from ..tensor import Tensor
from .core import to_tensor
from .elementwise import mul, pow
from .piecewise import sign
from .reduce import _axes, max, min, sum
from .registry import composite, names
from .select import where
from .shape import reshape
from .stats import _root
from .unary import abs

Axis = int | Sequence[int] | None


@composite(methods=("norm",), top_level=True)
def norm(
    a: Tensor,
    ord: Any = None,
    axis: Axis = None,
    keepdims: bool | None = None,
    *,
    dim: Axis = None,
    keepdim: bool | None = None,
) -> Tensor:
    """NumPy's ``linalg.norm``: a vector norm over one axis (a 1-d tensor without
    axis; ord p: (sum |a|^p)^(1/p), 0 the count of nonzeros, inf and -inf the max and
    min of |a|), a matrix norm over two (a 2-d tensor without axis; ord "fro", 1, -1,
    inf, -inf); ord None is sqrt(sum(a^2)) over any axes (all when None). A composite;
    vjp: g a |a|^(p-2) / norm^(p-1) for the p-norm, 0 at a zero vector (PyTorch); the
    matrix 1- and inf-norms' are those of max(sum(|a|)).

    Shapes: ``a`` (..., m, n) with ``axis=(-2, -1)`` gives (...); ``keepdims`` keeps
    the reduced axes as 1s. The spectral norms (ord 2, -2) and the nuclear norm
    ("nuc") need singular values, which minigrad has no primitive for: they raise
    NotImplementedError (docs/ops.md says why).
    """
    if type(a) is not Tensor:
        a = to_tensor(a, None, "norm")
    axis, keepdims = axis_args("norm", axis, keepdims, dim, keepdim)
    axes = _axes(axis, a.ndim, "norm")
    if ord is None:
        return _root(sum(mul(a, a), axes, keepdims))
    if len(axes) == 2:
        pair = (0, 1) if axis is None else tuple(int(ax) % a.ndim for ax in axis)
        return _matrix_norm(a, ord, pair, keepdims)
    if len(axes) > 2:
        over = f"a {a.ndim}-d tensor without axis" if axis is None else f"axes {axis}"
        raise ValueError(
            f"norm: ord={ord!r} of {over}: a vector norm takes one axis and a matrix norm "
            "two, as NumPy (ord=None is the 2-norm of all the axes given)"
        )
    return _vector_norm(a, ord, axes, keepdims)


def _vector_norm(a: Tensor, ord: Any, axes: tuple, keepdims: bool) -> Tensor:
    """(sum |a|^p)^(1/p) over ``axes`` (one axis), its limits inf and -inf, and for
    p = 0 the count of nonzero elements (NumPy's)."""
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.integer, np.floating)):
        matrix = "a matrix norm: give two axes" if ord == "nuc" else "not a vector norm"
        raise ValueError(f"norm: ord {ord!r} is {matrix} (vector norms: any number, inf, -inf)")
    if ord == 2:
        return _root(sum(mul(a, a), axes, keepdims))
    if ord == math.inf:
        return _extreme(max, abs(a), axes, keepdims, ord, a.shape)
    if ord == -math.inf:
        return _extreme(min, abs(a), axes, keepdims, ord, a.shape)
    if ord == 1:
        return sum(abs(a), axes, keepdims)
    if ord == 0:
        return sum(sign(abs(a)), axes, keepdims)  # flat: gradient 0, as PyTorch
    if math.isnan(ord):
        raise ValueError(f"norm: ord must be a number, inf or -inf, got {ord}")
    if ord < 0:
        return _negative_norm(a, float(ord), axes, keepdims)
    if ord < 1:
        # |a|^p has an infinite slope at 0 for p < 1: PyTorch's gradient is 0 there.
        zero = a.data == 0
        powers = where(zero, 0.0, pow(abs(where(zero, 1.0, a)), float(ord)))
    else:
        powers = pow(abs(a), float(ord))
    return _root(sum(powers, axes, keepdims), ord)


def _extreme(pick: Any, t: Tensor, axes: tuple, keepdims: bool, ord: Any, shape: tuple) -> Tensor:
    """max or min of ``t`` >= 0 over ``axes``; over nothing the max is 0 (NumPy's norms
    of empty tensors), and the min, which has no value, is refused in norm's words
    (``shape``: the norm's input)."""
    empty = [ax for ax in axes if t.shape[ax] == 0]
    if not empty:
        return pick(t, axes, keepdims)
    if pick is min:
        raise ValueError(
            f"norm: ord={ord!r} takes a minimum over axis {empty[0]}, which is empty "
            f"(shape {shape}); an empty axis has no minimum"
        )
    return sum(t, axes, keepdims)  # 0, of the reduced shape


def _negative_norm(a: Tensor, p: float, axes: tuple, keepdims: bool) -> Tensor:
    """(sum |a|^p)^(1/p) for p < 0: 0 where the group holds a zero (|0|^p = inf), with
    gradient 0 there, as PyTorch."""
    zero = a.data == 0
    hit = zero.any(axis=axes, keepdims=keepdims)
    powers = pow(abs(where(zero, 1.0, a)), p)
    return where(hit, 0.0, pow(sum(powers, axes, keepdims), 1.0 / p))


def _matrix_norm(a: Tensor, ord: Any, pair: tuple[int, int], keepdims: bool) -> Tensor:
    """The matrix norm ``ord`` of the matrices along ``pair`` = (row axis, column
    axis): 1 is the largest column sum of |a| (sum over rows, max over columns), inf
    the largest row sum, -1 and -inf the smallest; "fro" sqrt(sum(a^2))."""
    rows, cols = pair
    if ord == "fro":
        out = _root(sum(mul(a, a), pair, True))
    elif ord in (1, -1, math.inf, -math.inf):
        inner, outer = (rows, cols) if ord in (1, -1) else (cols, rows)
        pick, sums = (max if ord > 0 else min), sum(abs(a), inner, True)
        out = _extreme(pick, sums, (outer,), True, ord, a.shape)
    elif ord in (2, -2, "nuc"):
        raise NotImplementedError(
            f"norm: ord={ord!r} over axes {pair} is a norm of singular values, and minigrad "
            "has no singular value decomposition; the matrix norms it has are 'fro', 1, -1, "
            "inf and -inf"
        )
    else:
        raise ValueError(
            f"norm: ord={ord!r} is not a matrix norm (over axes {pair}); matrix norms are "
            "'fro', 'nuc', 1, -1, 2, -2, inf and -inf"
        )
    return out if keepdims else reshape(out, [n for i, n in enumerate(out.shape) if i not in pair])


__all__ = names(__name__)
