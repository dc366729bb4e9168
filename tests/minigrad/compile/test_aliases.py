"""Outputs that are one tensor, or views of one another, eagerly are so after a replay."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad

W = np.arange(6.0).reshape(2, 3)


def _views(x, w):
    y = x * w
    return y, y[0], y.reshape(3, 2), y.T, y[:, ::-2], (y * 2.0)


@pytest.mark.parametrize("grad", [True, False])
def test_outputs_that_share_memory_eagerly_share_it_after_a_replay(grad: bool) -> None:
    w = minigrad.tensor(W, requires_grad=True)
    f = minigrad.compile(_views)
    for _ in range(3):  # the capture, then replays
        x = minigrad.tensor(np.ones((2, 3)))
        with minigrad.enable_grad() if grad else minigrad.no_grad():
            got, want = f(x, w), _views(x, w)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a.data, b.data)
            assert a.data.strides == b.data.strides
        for i in range(len(got)):
            for j in range(len(got)):
                shared = np.shares_memory(want[i].data, want[j].data)
                assert np.shares_memory(got[i].data, got[j].data) == shared, (i, j)
        with minigrad.no_grad():
            got[1].add_(10.0)  # y[0]: seen in y, its reshape, its transpose and its slice
            want[1].add_(10.0)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a.data, b.data)


def test_a_tensor_returned_twice_is_one_tensor_and_backward_through_both_adds() -> None:
    w = minigrad.tensor(W, requires_grad=True)

    def f(x):
        y = (x * w).tanh()
        return y, y, y[1]

    f_c = minigrad.compile(f)
    for fn in (f, f_c, f_c):
        y, again, row = fn(minigrad.tensor(np.ones((2, 3))))
        assert y is again
        w.grad = None
        (y.sum() + 2.0 * again.sum() + row.sum()).backward()
        want = (1 - np.tanh(W) ** 2) * np.array([[3.0], [4.0]])
        np.testing.assert_allclose(w.grad, want, rtol=1e-12)


def test_outputs_of_separate_ops_stay_separate() -> None:
    w = minigrad.tensor(W, requires_grad=True)
    f = minigrad.compile(lambda x: (x * w, minigrad.stack([x * w, x + w])))
    for _ in range(2):
        a, b = f(minigrad.tensor(np.ones((2, 3))))
        assert not np.shares_memory(a.data, b.data)  # eagerly, stack copies
