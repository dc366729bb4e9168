"""What the checkpoint tests share: exact equality of nested states.

Importable from any test (``pythonpath = ["tests"]``): ``from states import assert_same``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["assert_same"]


def assert_same(a, b):
    """``a`` and ``b`` are the same nested state: types, key order, dtypes, shapes and
    values (NaN equal to NaN) all match."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_same(a[k], b[k])
    elif isinstance(a, list | tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_same(x, y)
    elif isinstance(a, float) and a != a:
        assert b != b
    else:
        assert a == b
