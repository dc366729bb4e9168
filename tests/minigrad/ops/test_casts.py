"""Conversions and copies (minigrad/ops/casts.py): the table-driven check of every op,
then the dtypes they give, when PyTorch's spellings return the tensor itself, and the
copies ``clone`` makes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor, ops
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.casts"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every conversion in the registry against its row of tests/op_cases/."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.casts"))
def test_zero_size_dimensions(name):
    check_empty(name)


def test_cast_round_trips_the_gradient_dtype():
    x = Tensor(np.ones(3, np.float32), requires_grad=True)
    y = x.double() * 2.0
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [2, 2, 2])


@pytest.mark.parametrize(
    ("cast", "dtype"),
    [
        (lambda t: t.long(), np.int64),
        (lambda t: t.int(), np.int32),
        (lambda t: t.bool(), np.bool_),
        (lambda t: t.astype(np.int64), np.int64),
        (lambda t: ops.cast(t, np.uint8), np.uint8),
    ],
)
def test_casting_to_an_integer_dtype_gives_a_tensor_without_history(cast, dtype):
    """As PyTorch's ``.long()``: indices carry no gradient, so no error and no node."""
    x = Tensor(np.array([0.0, 1.7, 2.2]), requires_grad=True)
    ids = cast(x * 1.0)
    assert ids.dtype == dtype and not ids.requires_grad and ids.grad_fn is None
    np.testing.assert_array_equal(ids.data, np.array([0.0, 1.7, 2.2]).astype(dtype))
    with pytest.raises(TypeError, match="cast: a tensor cannot become complex128"):
        ops.cast(x, np.complex128)


@pytest.mark.parametrize(
    "convert",
    [
        lambda t: t.to(np.float64),
        lambda t: t.to("float64"),
        lambda t: t.to(dtype=np.float64),
        lambda t: t.to(minigrad.zeros(2, dtype=np.float64)),
        lambda t: t.type_as(minigrad.zeros(1, dtype=np.float64)),
        lambda t: t.type_as(np.zeros(1)),
        lambda t: t.double(),
    ],
)
def test_pytorchs_conversions_to_another_float_dtype_are_differentiable(convert):
    x = Tensor(np.array([1.5, -2.0], np.float32), requires_grad=True)
    y = convert(x)
    assert y.dtype == np.float64 and y.grad_fn.op == "cast"
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad, [3.0, -4.0])


def test_pytorchs_conversions_to_the_same_dtype_return_the_tensor_itself():
    """As PyTorch's ``to``, ``type_as``, ``float`` and ``double`` (``t.to(t.dtype) is t``);
    NumPy's ``astype`` copies, as NumPy's."""
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    assert x.to(np.float32) is x and x.float() is x and x.type_as(x) is x
    assert x.to("cpu") is x and x.to(device="cpu") is x and x.to(np.float32, device="cpu") is x
    copy = x.to(np.float32, copy=True)
    assert copy is not x and not np.shares_memory(copy.data, x.data)
    assert x.astype(np.float32) is not x
    n = Tensor(np.arange(3))
    assert n.long() is n and n.int().dtype == np.int32


def test_to_takes_pytorchs_device_dtype_form_and_non_blocking():
    # x.to(device, dtype) and x.to(device, non_blocking=True), a training loop's habits:
    # on the CPU the copy is synchronous anyway
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    y = x.to("cpu", np.float64)
    assert y.dtype == np.float64 and y.requires_grad
    assert x.to("cpu", np.float32) is x and x.to("cpu:0", "float32") is x
    assert x.to("cpu", non_blocking=True) is x
    assert x.to(np.float64, non_blocking=True, copy=True).dtype == np.float64
    assert x.to(device="cpu", dtype=np.float64).dtype == np.float64
    with pytest.raises(TypeError, match=r"^to: minigrad runs on the CPU .* 'cuda'"):
        x.to("cuda", np.float64)
    with pytest.raises(
        TypeError, match=r"^to: expected \(dtype\), \(device\), \(device, dtype\) or"
    ):
        x.to(np.float64, np.float32)


def test_to_refuses_another_device_and_type_as_a_non_tensor():
    x = Tensor(np.ones(2))
    with pytest.raises(TypeError, match=r"^to: minigrad runs on the CPU .* 'cuda'"):
        x.to("cuda")
    with pytest.raises(TypeError, match=r"'cuda:0'"):
        x.to(device="cuda:0")
    with pytest.raises(TypeError, match=r"^to: expected a dtype, a tensor .* got 'float65'"):
        x.to("float65")
    with pytest.raises(TypeError, match=r"^type_as: expected a tensor or an array, got float"):
        x.type_as(1.0)


def test_clone_is_a_copy_that_stays_in_the_graph():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = x * 2.0
    c = y.clone()
    assert c is not y and not np.shares_memory(c.data, y.data) and c.dtype == y.dtype
    assert c.requires_grad and c.grad_fn is not None
    c.data[0] = 100.0  # the copy's array is its own
    assert y.data[0] == 2.0
    (c * c).sum().backward()
    np.testing.assert_array_equal(x.grad, [400.0, 16.0, 24.0])
    assert minigrad.clone is ops.clone


def test_clone_of_a_tensor_without_gradient_is_a_plain_copy():
    for t in (Tensor(np.arange(3)), Tensor(np.array([True, False])), Tensor(np.ones(2))):
        c = minigrad.clone(t)
        assert c.dtype == t.dtype and not c.requires_grad and c.grad_fn is None
        assert not np.shares_memory(c.data, t.data)
        np.testing.assert_array_equal(c.data, t.data)
    with minigrad.no_grad():
        c = Tensor(np.ones(2), requires_grad=True).clone()
    assert not c.requires_grad


def test_clone_keeps_the_graph_under_compile():
    def f(x):
        return (x.clone() * x).sum()

    compiled = minigrad.compile(f)
    for k in range(2):
        x = Tensor(np.arange(3.0) + k, requires_grad=True)
        compiled(x).backward()
        np.testing.assert_array_equal(x.grad, 2 * (np.arange(3.0) + k))
    assert compiled.captures == 1
