"""minigrad.set_num_threads: a limit on NumPy's BLAS threads, applied at run time."""

from __future__ import annotations

import pytest

import minigrad


def test_set_num_threads_limits_blas_and_can_be_raised_again():
    before = minigrad.get_num_threads()
    assert before is not None  # NumPy's BLAS is loaded
    try:
        minigrad.set_num_threads(1)
        assert minigrad.get_num_threads() == 1
    finally:
        minigrad.set_num_threads(before)
    assert minigrad.get_num_threads() == before


@pytest.mark.parametrize("n", [0, -2, 1.5, True, "2"])
def test_set_num_threads_refuses_what_is_not_a_positive_int(n):
    with pytest.raises(ValueError, match="positive int"):
        minigrad.set_num_threads(n)
