"""Shared hypothesis strategies: shapes, broadcast and matmul shape pairs, float64 arrays."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

__all__ = [
    "arrays",
    "away_from_kinks",
    "broadcast_pairs",
    "distinct_arrays",
    "matmul_pairs",
    "nonscalar",
    "positive_arrays",
    "shapes",
]

# Small sizes keep full finite-difference checks cheap (two evaluations per element).
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
# Shapes with at least one axis, for ops that take an axis.
nonscalar = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


def arrays(shape, lo: float = -3.0, hi: float = 3.0):
    """float64 arrays of ``shape`` (a tuple or a strategy) with values in [lo, hi]."""
    return hnp.arrays(
        np.float64,
        shape,
        elements=st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=64),
    ).map(np.asarray)


def positive_arrays(shape, lo: float = 0.1, hi: float = 3.0):
    """float64 arrays bounded away from 0 (for log, sqrt, division, pow bases)."""
    return arrays(shape, lo, hi)


def away_from_kinks(shape, lo: float = -3.0, hi: float = 3.0, gap: float = 1e-3):
    """float64 arrays with every |x| > gap, so relu/abs/sign are smooth at each point."""
    return hnp.arrays(
        np.float64,
        shape,
        elements=st.floats(gap * 10, hi, width=64).flatmap(
            lambda v: st.sampled_from([v, -v]) if -v >= lo else st.just(v)
        ),
    ).map(np.asarray)


@st.composite
def distinct_arrays(draw, shape, gap: float = 1e-2):
    """float64 arrays whose elements are pairwise at least ``gap`` apart (no max ties),
    away from 0 as well."""
    size = int(np.prod(shape, dtype=np.int64))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    base = (np.arange(size) - size / 2 + 0.5) * (4 * gap) + rng.uniform(-gap, gap)
    rng.shuffle(base)
    return base.reshape(shape)


@st.composite
def broadcast_pairs(draw, max_dims: int = 3):
    """Two shapes that broadcast together: leading axes added and size-1 axes stretched
    on either side, including () scalars."""
    full = draw(hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=1, max_side=4))

    def variant() -> tuple[int, ...]:
        drop = draw(st.integers(0, len(full)))
        tail = full[drop:]
        return tuple(1 if draw(st.booleans()) else n for n in tail)

    return variant(), variant()


@st.composite
def matmul_pairs(draw):
    """Shapes (a, b) valid for ``a @ b``: 1-D on either side, 2-D, and batched with
    broadcast batch axes."""
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))

    def batch_variant() -> tuple[int, ...]:
        drop = draw(st.integers(0, len(batch)))
        return tuple(1 if draw(st.booleans()) else s for s in batch[drop:])

    kind_a = draw(st.sampled_from(["1d", "2d", "batched"]))
    kind_b = draw(st.sampled_from(["1d", "2d", "batched"]))
    a = (k,) if kind_a == "1d" else (n, k) if kind_a == "2d" else (*batch_variant(), n, k)
    b = (k,) if kind_b == "1d" else (k, m) if kind_b == "2d" else (*batch_variant(), k, m)
    return a, b
