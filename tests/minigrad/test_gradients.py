"""How gradients are held and summed (minigrad/gradients.py): joining rows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad.gradients import Outer, Pending, join_rows

DTYPES = [np.float16, np.float32, np.float64, np.int64, np.dtype(">f8"), np.complex128]


@given(
    rows=st.lists(st.integers(0, 3), min_size=1, max_size=6),
    trailing=st.lists(st.integers(0, 3), max_size=2),
    dtype=st.sampled_from(DTYPES),
)
def test_join_rows_equals_concatenate(rows, trailing, dtype):
    rng = np.random.default_rng(len(rows))
    arrays = [(rng.standard_normal((n, *trailing)) * 10).astype(dtype) for n in rows]
    got, want = join_rows(arrays), np.concatenate(arrays)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    got[...] = 0  # the result is a writable array of its own
    assert all(not np.shares_memory(got, a) for a in arrays)


@pytest.mark.parametrize(
    "arrays",
    [
        [np.ones((2, 3), np.float32), np.ones((1, 3), np.float64)],  # dtypes differ
        [np.arange(6.0).reshape(3, 2).T, np.ones((1, 3))],  # a strided array
        [np.arange(12.0).reshape(3, 4)[:, ::2], np.ones((2, 2))],  # a strided view
        [np.ones((2, 0)), np.ones((1, 0))],  # nothing in a row
        [np.arange(3.0), np.arange(2.0)],  # 1-d
        [np.array([[None, 1]], object), np.array([[2, 3]], object)],  # objects
    ],
)
def test_join_rows_of_mixed_or_strided_arrays_equals_concatenate(arrays):
    got, want = join_rows(arrays), np.concatenate(arrays)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_a_weight_gradient_from_terms_of_two_dtypes_is_summed_in_the_wider_one():
    rng = np.random.default_rng(0)
    a32, g32 = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal((2, 4))
    a64, g64 = rng.standard_normal((1, 3)), rng.standard_normal((1, 4))
    pending = Pending(Outer(a32, g32))
    pending.lefts.append(a64)
    pending.rights.append(g64)
    want = a32.astype(np.float64).T @ g32 + a64.T @ g64
    np.testing.assert_allclose(pending.value(), want, rtol=1e-6)


def test_stacking_states_of_one_shape_joins_them_and_other_shapes_are_refused():
    xs = [minigrad.tensor(np.full((2, 3), float(i)), requires_grad=True) for i in range(4)]
    y = minigrad.stack(xs)
    np.testing.assert_array_equal(y.data, np.stack([x.data for x in xs]))
    (y * minigrad.tensor(np.arange(24.0).reshape(4, 2, 3))).sum().backward()
    for i, x in enumerate(xs):
        np.testing.assert_array_equal(x.grad, np.arange(24.0).reshape(4, 2, 3)[i])
    with pytest.raises(ValueError, match="must all be equal"):
        minigrad.stack([minigrad.ones(2, 3), minigrad.ones(2, 2)])
    with pytest.raises(ValueError, match="must all be equal"):
        minigrad.stack([minigrad.ones(1, 6), minigrad.ones(2, 3)])


@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize("terms", [1, 3])
def test_a_pending_sum_transposed_is_the_transpose_of_its_value(terms, dense):
    rng = np.random.default_rng(terms)
    pending = Pending(Outer(rng.standard_normal((2, 4)), rng.standard_normal((2, 3))))
    for _ in range(terms - 1):
        pending.lefts.append(rng.standard_normal((1, 4)))
        pending.rights.append(rng.standard_normal((1, 3)))
    if dense:
        pending.dense = rng.standard_normal((4, 3))
    flipped = pending.transposed().value()
    np.testing.assert_allclose(flipped, pending.value().T, rtol=1e-13)
    assert flipped.shape == (3, 4) and flipped.flags.c_contiguous
