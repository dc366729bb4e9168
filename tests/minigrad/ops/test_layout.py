"""Ops of minigrad/ops/layout.py: the table-driven check of every op, then repeats,
padding modes, zero-size and 0-d inputs."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor
from minigrad.ops.registry import REGISTRY, names


@pytest.mark.parametrize("name", names("minigrad.ops.layout"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every op of the module against its row of tests/op_cases/."""
    check_case(name, data.draw)


# var/std of nothing are NaN with NumPy's warnings; partition needs a kth in range.
_NO_EMPTY = set()


@pytest.mark.parametrize("name", [n for n in names("minigrad.ops.layout") if n not in _NO_EMPTY])
def test_zero_size_dimensions(name):
    """Every op on inputs with a zero-length axis, as NumPy."""
    check_empty(name)


def test_all_layout_ops_are_composites():
    assert not any(REGISTRY[n].is_primitive for n in names("minigrad.ops.layout"))


def test_repeats_accumulate_gradient():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    minigrad.repeat(x, 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])
    y = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    minigrad.pad(y, 2, mode="reflect").sum().backward()  # [3 2 | 1 2 3 | 2 1]
    np.testing.assert_array_equal(y.grad, [2.0, 3.0, 2.0])
    z = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    out = minigrad.pad(z, 1, constant_values=7.0)
    np.testing.assert_array_equal(out.data, [7.0, 1.0, 2.0, 7.0])
    out.sum().backward()
    np.testing.assert_array_equal(z.grad, [1.0, 1.0])


def test_zero_size_0d_and_negative_axes():
    e = Tensor(np.zeros((0, 3)), requires_grad=True)
    minigrad.flip(e, -1).sum().backward()
    assert e.grad.shape == (0, 3)
    assert minigrad.atleast_2d(Tensor(np.array(2.0))).shape == (1, 1)
    assert minigrad.atleast_3d(Tensor(np.zeros(4))).shape == (1, 4, 1)
    x = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.roll(1, -1).data, np.roll(x.data, 1, -1))
    np.testing.assert_array_equal(x.moveaxis(-1, 0).data, np.moveaxis(x.data, -1, 0))
    np.testing.assert_array_equal(minigrad.diag(minigrad.diag(x)).data, np.diag(np.diag(x.data)))
    with pytest.raises(ValueError, match="pad: mode 'mean' is not one of 'constant', 'edge'"):
        minigrad.pad(x, 1, mode="mean")
    with pytest.raises(ValueError, match="tril"):
        minigrad.tril(Tensor(np.zeros(3)))


def test_pad_constant_values_in_numpy_forms_with_gradients():
    """A number, (before, after) for every axis, or a pair per axis: corners take the
    last axis' value, as NumPy; the constants get no gradient, the interior g."""
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    for fill in (3.5, (1.0, 2.0), ((1.0, 2.0), (3.0, 4.0))):
        out = minigrad.pad(x, ((1, 2), (2, 1)), constant_values=fill)
        np.testing.assert_array_equal(
            out.data, np.pad(x.data, ((1, 2), (2, 1)), constant_values=fill)
        )
    weights = np.arange(out.size, dtype=float).reshape(out.shape)
    (out * weights).sum().backward()
    np.testing.assert_array_equal(x.grad, weights[1:3, 2:5])


@pytest.mark.parametrize("mode", ["edge", "reflect", "symmetric", "wrap"])
@pytest.mark.parametrize("width", [1, (2, 0), ((0, 1), (3, 2)), ((4, 4), (1, 5))])
def test_pad_modes_and_width_forms_match_numpy_with_gradients(mode, width):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3))
    out = minigrad.pad(Tensor(x), width, mode)
    np.testing.assert_array_equal(out.data, np.pad(x, width, mode=mode))
    minigrad.gradcheck(lambda t: minigrad.pad(t, width, mode), [x])


def test_pad_empty_and_0d_tensors():
    e = Tensor(np.zeros((0, 2)), requires_grad=True)
    out = minigrad.pad(e, ((1, 1), (0, 1)), constant_values=((5.0, 6.0), (0.0, 7.0)))
    expected = np.pad(e.data, ((1, 1), (0, 1)), constant_values=((5.0, 6.0), (0.0, 7.0)))
    np.testing.assert_array_equal(out.data, expected)
    out.sum().backward()
    assert e.grad.shape == (0, 2)
    s = Tensor(np.array(2.0), requires_grad=True)
    assert minigrad.pad(s, 3).shape == () and minigrad.pad(s, 1, "edge").data == 2.0
    np.testing.assert_array_equal(minigrad.pad(e, ((0, 0), (1, 1)), "edge").shape, (0, 4))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"pad_width": -1}, ValueError, r"widths must be >= 0, got pad_width=-1"),
        (
            {"pad_width": ((1, -2), (0, 0))},
            ValueError,
            r"widths must be >= 0, got pad_width=\(\(1, -2\), \(0, 0\)\)",
        ),
        ({"pad_width": 1.5}, TypeError, r"pad_width must be integers, got 1\.5"),
        (
            {"pad_width": ((1, 2), (3, 4), (5, 6))},
            ValueError,
            r"pad_width \(\(1, 2\), \(3, 4\), \(5, 6\)\) does not give \(before, after\) "
            r"for the 2 axes of shape \(2, 3\)",
        ),
        ({"pad_width": (1, 2, 3)}, ValueError, r"pad_width \(1, 2, 3\) does not give"),
        (
            {"pad_width": 1, "constant_values": (1.0, 2.0, 3.0)},
            ValueError,
            r"constant_values \(1\.0, 2\.0, 3\.0\) does not give",
        ),
        ({"pad_width": 1, "constant_values": "x"}, TypeError, r"constant_values must be numbers"),
        (
            {"pad_width": 1, "mode": "edge", "constant_values": 1.0},
            ValueError,
            r"constant_values is for mode 'constant', not 'edge'",
        ),
    ],
)
def test_pad_errors_name_the_problem_and_the_values(kwargs, error, message):
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(error, match="pad: " + message) as info:
        minigrad.pad(x, **kwargs)
    assert "index can't" not in str(info.value) and "must be of integral" not in str(info.value)
    with pytest.raises(
        ValueError, match=r"pad: axis 0 of shape \(0, 3\) is empty, so mode 'reflect'"
    ):
        minigrad.pad(Tensor(np.zeros((0, 3))), 1, "reflect")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda a: minigrad.roll(a, 1, axis=4),
            "roll: shift=1, axis=4 do not fit a tensor of shape",
        ),
        (lambda a: minigrad.tile(a, -1), "tile: reps=-1 do not fit a tensor of shape (3, 4)"),
        (lambda a: minigrad.repeat(a, [1, 2], axis=1), "repeat: repeats=[1, 2], axis=1 do not fit"),
        (
            lambda a: minigrad.diagonal(a, 0, 0, 5),
            "diagonal: offset=0, axis1=0, axis2=5",
        ),
    ],
)
def test_arguments_that_do_not_fit_name_the_op_and_the_values(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call(minigrad.tensor(np.ones((3, 4))))


@pytest.mark.parametrize(
    "axes, message",
    [
        ((0, 2), "rot90: axis 2 is out of range for a 2-d tensor"),
        ((0, -2), r"rot90: axes \(0, -2\) name one axis twice"),
        ((0,), r"rot90: axes must be two axes \(the plane\), got \(0,\)"),
    ],
)
def test_rot90_planes_that_do_not_fit_are_named(axes, message):
    with pytest.raises(ValueError, match=f"^{message}"):
        minigrad.rot90(Tensor(np.ones((2, 3))), 1, axes)


def test_vstack_and_hstack_name_themselves_when_shapes_do_not_fit():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"^vstack: shapes \[\(2, 3\), \(1, 4\)\] do not fit"):
        minigrad.vstack([x, Tensor(np.ones(4))])
    with pytest.raises(ValueError, match=r"^hstack: shapes \[\(2, 3\), \(3, 1\)\] do not fit"):
        minigrad.hstack([x, Tensor(np.ones((3, 1)))])


@pytest.mark.parametrize("dtype", [np.int64, np.uint8, np.bool_, np.float32])
def test_triangles_and_diag_keep_the_dtype_as_numpy(dtype):
    """The zeros tril, triu and diag write are of the input's dtype (a float 0 made an
    integer or bool tensor float32)."""
    m = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    for got, want in [
        (minigrad.tril(Tensor(m), -1), np.tril(m, -1)),
        (minigrad.triu(Tensor(m), 1), np.triu(m, 1)),
        (minigrad.diag(Tensor(m[0]), 1), np.diag(m[0], 1)),
    ]:
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got.data, want)
