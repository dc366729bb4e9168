"""Tensor factories: sizes checked, the factory named in the error."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: minigrad.randn(-1), r"randn: sizes must be >= 0, got -1 in \(-1,\)"),
        (lambda: minigrad.ones(2, -3), r"ones: sizes must be >= 0, got -3 in \(2, -3\)"),
        (lambda: minigrad.eye(-1), r"eye: sizes must be >= 0, got -1"),
    ],
)
def test_negative_size(make, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: minigrad.zeros("a"), r"zeros: sizes must be integers, got 'a' in \('a',\)"),
        (lambda: minigrad.zeros((2, "x")), r"zeros: sizes must be integers, got 'x' in \(2, 'x'\)"),
        (lambda: minigrad.rand(2.5), r"rand: sizes must be integers, got 2.5 in \(2.5,\)"),
        (lambda: minigrad.full((2, True), 1.0), r"full: sizes must be integers, got True"),
    ],
)
def test_size_not_an_integer(make, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        make()


def test_sizes_as_numbers_tuples_lists_and_numpy_integers() -> None:
    assert minigrad.zeros(np.int64(2), 3).shape == (2, 3)
    assert minigrad.ones([2, 3]).shape == (2, 3)
    assert minigrad.randn((0, 4)).shape == (0, 4)
    assert minigrad.full(3, 1.5).shape == (3,)
    assert minigrad.eye(2, 3).shape == (2, 3)
    assert minigrad.zeros().shape == ()
