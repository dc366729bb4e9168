"""Finite-difference gradient checking in float64.

The one gradient checker of the project: every op test, every layer test and the
manual-BPTT reference tests go through :func:`numerical_grad` or :func:`gradcheck`.

Central differences: for a scalar function ``f`` and an input element ``x_i``,

    df/dx_i ~= (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)

with truncation error O(eps^2). In float64 with ``eps = 1e-6`` this is accurate to
about 1e-8 relative, which is why checks must run in float64 (pitfall 7).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["numerical_grad"]


def numerical_grad(
    f: Callable[..., float], arrays: Sequence[np.ndarray], eps: float = 1e-6
) -> list[np.ndarray]:
    """Central-difference gradient of a scalar function of NumPy arrays.

    ``f(*arrays)`` must return a real scalar. Each array is perturbed one element at a
    time, in place, and restored afterwards, so ``f`` sees the caller's arrays. Arrays
    must be float64 (checked), since float32 differences are dominated by rounding.

    Returns one gradient array per input, each with the input's shape.
    """
    grads = []
    for k, a in enumerate(arrays):
        if not isinstance(a, np.ndarray) or a.dtype != np.float64:
            got = a.dtype if isinstance(a, np.ndarray) else type(a).__name__
            raise TypeError(f"numerical_grad: input {k} must be a float64 ndarray, got {got}")
        g = np.zeros_like(a)
        flat, gflat = a.reshape(-1), g.reshape(-1)
        if not np.shares_memory(flat, a):
            raise ValueError(f"numerical_grad: input {k} must be contiguous to perturb in place")
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            up = float(f(*arrays))
            flat[i] = old - eps
            down = float(f(*arrays))
            flat[i] = old
            gflat[i] = (up - down) / (2.0 * eps)
        grads.append(g)
    return grads
