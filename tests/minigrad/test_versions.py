"""In-place version tracking (minigrad/versions.py): a vjp whose saved values were
changed in place, directly or through a view, is refused; other writes are not."""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad import Tensor


def leaf(values, dtype=np.float64) -> Tensor:
    return Tensor(np.asarray(values, dtype), requires_grad=True)


# ------------------------------------------------------------------------ in-place


@pytest.mark.parametrize(
    "modify",
    [
        lambda t: t.add_(1.0),
        lambda t: t.sub_(1.0),
        lambda t: t.mul_(2.0),
        lambda t: t.div_(2.0),
        lambda t: t.zero_(),
        lambda t: t.fill_(3.0),
        lambda t: t.copy_(np.ones(3)),
        lambda t: t.clamp_(0.0, 1.0),
        lambda t: t.__setitem__(0, 5.0),
    ],
    ids=["add_", "sub_", "mul_", "div_", "zero_", "fill_", "copy_", "clamp_", "setitem"],
)
def test_inplace_change_of_a_saved_leaf_is_detected_at_backward(modify):
    w = leaf([1.0, 2.0, 3.0])
    y = (w * w).sum()
    with minigrad.no_grad():
        modify(w)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_inplace_change_of_a_saved_constant_is_detected():
    w = leaf([1.0, 2.0])
    x = Tensor(np.array([3.0, 4.0]))
    y = (w * x).sum()
    x[0] = 0.0  # x does not require grad: allowed with grad on, but w's vjp needs it
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_inplace_change_of_a_saved_intermediate_is_detected():
    w = leaf([1.0, 2.0])
    h = w * 2.0
    y = (h * h).sum()
    with minigrad.no_grad():
        h.mul_(10.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()


def test_inplace_change_of_a_saved_output_is_detected():
    # tanh saves its own output for backward: modifying it corrupts tanh's vjp.
    w = leaf([0.5, -0.5])
    h = w.tanh()
    with minigrad.no_grad():
        h.mul_(0.0)
    with pytest.raises(RuntimeError, match="modified in place"):
        h.sum().backward()


def test_inplace_before_use_is_fine():
    w = leaf([1.0, 2.0])
    with minigrad.no_grad():
        w.add_(1.0)
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, [4.0, 6.0])


@pytest.mark.parametrize("method", ["add_", "mul_", "zero_", "__setitem__"])
def test_inplace_on_tensor_requiring_grad_with_grad_enabled_raises(method):
    w = leaf([1.0, 2.0])
    args = {"add_": (1.0,), "mul_": (2.0,), "zero_": (), "__setitem__": (0, 1.0)}[method]
    with pytest.raises(RuntimeError, match="no_grad"):
        getattr(w, method)(*args)
    np.testing.assert_array_equal(w.data, [1.0, 2.0])


# ------------------------------------------------------------------- through views


def test_in_place_write_through_a_view_of_a_saved_value_is_refused():
    # b's buffer is saved by b * b; writing through the slice v changes that buffer.
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1.0
    v = b[0:1]
    c = b * b
    with minigrad.no_grad():
        v.mul_(3)
    with pytest.raises(RuntimeError, match=r"mul: a value of shape \(2,\) saved for backward"):
        c.sum().backward()


def test_in_place_write_to_a_leaf_whose_view_was_saved_is_refused():
    # x.T is a view of x: the product saved it, and x.add_ rewrites its memory.
    x = minigrad.tensor(np.ones((2, 3)))
    w = minigrad.tensor(np.ones((3, 2)), requires_grad=True)
    y = x.T * w
    x.add_(1)
    with pytest.raises(RuntimeError, match="shares memory with a tensor modified in place"):
        y.sum().backward()


def test_writes_that_no_saved_value_reads_are_allowed():
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    other = minigrad.tensor([5.0, 6.0])
    c = (a * a).sum()
    other.add_(1)
    c.backward()
    np.testing.assert_array_equal(a.grad, [2.0, 4.0])


@pytest.mark.parametrize(
    ("write", "error", "message"),
    [
        (lambda t: t.__setitem__(5, 1.0), IndexError, r"setitem: index 5 is out of bounds.*\(3,\)"),
        (
            lambda t: t.__setitem__(slice(0, 2), np.ones(3)),
            ValueError,
            r"setitem: a value of shape \(3,\) does not broadcast to the shape \(2,\)",
        ),
        (lambda t: t.__setitem__((0, 0), 1.0), IndexError, "setitem: too many indices"),
        (lambda t: t.fill_("x"), TypeError, "cannot make a tensor from str"),
        (
            lambda t: t.fill_(np.ones(2)),
            ValueError,
            r"fill_: a value of shape \(2,\) does not broadcast to the tensor's shape \(3,\)",
        ),
    ],
)
def test_a_refused_write_is_no_inplace_change(write, error, message):
    """A write that fails (an index or value that does not fit) changes nothing, so a
    backward that saved the tensor still runs (it was refused as modified in place)."""
    a = Tensor(np.array([1.0, 2.0, 3.0]))
    w = leaf([1.0, 1.0, 1.0])
    y = (a * w).sum()
    with pytest.raises(error, match=message):
        write(a)
    y.backward()
    np.testing.assert_array_equal(w.grad, [1.0, 2.0, 3.0])


def test_setitem_refuses_a_value_whose_gradient_it_would_lose():
    a = Tensor(np.zeros(3))
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="setitem: the value requires grad"):
        a[:2] = w
    with minigrad.no_grad():
        a[:2] = w
    np.testing.assert_array_equal(a.data, [1.0, 2.0, 0.0])


def test_copy_refuses_a_source_whose_gradient_it_would_lose():
    a = Tensor(np.zeros(2))
    w = leaf([3.0, 4.0])
    with pytest.raises(RuntimeError, match="copy_: the value requires grad"):
        a.copy_(w)
    np.testing.assert_array_equal(a.data, [0.0, 0.0])
    with minigrad.no_grad():
        a.copy_(w)
    np.testing.assert_array_equal(a.data, [3.0, 4.0])


def test_fill_refuses_a_value_whose_gradient_it_would_lose():
    a = Tensor(np.zeros(2))
    w = leaf(3.0)
    with pytest.raises(RuntimeError, match="fill_: the value requires grad"):
        a.fill_(w)
    np.testing.assert_array_equal(a.data, [0.0, 0.0])
    with minigrad.no_grad():
        a.fill_(w)
    np.testing.assert_array_equal(a.data, [3.0, 3.0])
