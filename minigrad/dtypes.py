"""dtypes: the default floating-point dtype, and turning user data into arrays.

Python floats become the default dtype (float32 unless changed); NumPy arrays and
scalars keep theirs; anything that is not a real number is refused here, once, for
every way a tensor is made.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["as_array", "get_default_dtype", "numeric_array", "set_default_dtype"]

_default_dtype = np.dtype(np.float32)


def get_default_dtype() -> np.dtype:
    """The dtype given to tensors made from Python floats (float32 unless changed)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the dtype for tensors made from Python floats: float32 or float64."""
    global _default_dtype
    d = np.dtype(dtype)
    if d not in (np.float32, np.float64):
        raise ValueError(f"set_default_dtype: expected float32 or float64, got {d}")
    _default_dtype = d


def as_array(data: Any, dtype: Any = None, copy: bool = False) -> np.ndarray:
    """Convert ``data`` to an ndarray: Python floats take the default dtype.

    Non-numeric data (strings, objects) raises ``TypeError`` naming the type.
    """
    if type(data) is np.ndarray and dtype is None and not copy and data.dtype.kind in "biuf":
        return data  # what np.asarray would return, without the look-ups below
    if hasattr(data, "_requires_grad"):  # a Tensor: its array
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        arr = np.array(data, dtype=dtype, copy=True) if copy else np.asarray(data, dtype=dtype)
    else:
        try:
            arr = np.array(data, dtype=dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(f"cannot make a tensor from {type(data).__name__}: {e}") from None
        if dtype is None and arr.dtype == np.float64:
            arr = arr.astype(_default_dtype)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"cannot make a tensor from {type(data).__name__} with dtype {arr.dtype}; "
            "expected numbers"
        )
    return arr


def numeric_array(x: Any, op: str) -> np.ndarray:
    """``np.asarray(x)`` (NumPy's dtype: Python floats stay float64) when it holds
    numbers; anything else (a string, None, an object, a ragged list) is a TypeError
    naming ``op``."""
    kind = type(x).__name__
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{op}: cannot make a tensor from {kind}: {e}") from None
    if a.dtype.kind not in "biuf":
        raise TypeError(
            f"{op}: cannot make a tensor from {kind} with dtype {a.dtype}; expected numbers"
        )
    return a
