"""Special functions: ``erf``, the error function (``torch.erf``, ``scipy.special.erf``),
on which the exact GELU (:func:`~.activations.gelu`) is built.

NumPy has no erf; each element is Python's ``math.erf`` (the C library's, correct to
within an ulp; PyTorch's values differ from it by at most one ulp), evaluated in
float64 and rounded to the input's dtype. Its derivative is a formula of ops, so the
one definition gives the vjp, the jvp and the tensor vjp (see :mod:`.pointwise`).
"""

from __future__ import annotations

import math

import numpy as np

from .pointwise import define_unary
from .registry import names

_M = __name__
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

_erf_objects = np.frompyfunc(math.erf, 1, 1)


def erf_values(x: np.ndarray) -> np.ndarray:
    """erf of each element of the float array ``x``, in x's dtype."""
    return np.asarray(_erf_objects(x.astype(np.float64, copy=False)), dtype=x.dtype)


erf = define_unary(
    _M,
    "erf",
    erf_values,
    lambda xp, x, y: TWO_OVER_SQRT_PI * xp.exp(-(x * x)),
    "erf(a) = 2/sqrt(pi) int_0^a e^(-t^2) dt. vjp: g 2/sqrt(pi) e^(-a^2).",
)

__all__ = names(__name__)
