"""Splitting into pieces (minigrad/ops/pieces.py): the table-driven check, then split,
chunk and unbind against NumPy and PyTorch, and what each piece records (backward through
the pieces against plain indexing: test_pieces_backward.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty
from strategies import arrays, nonscalar

import minigrad
from minigrad import Tensor, gradcheck, ops
from minigrad.ops.pieces import slices
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.pieces"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every splitting op in the registry against its row of tests/op_cases/."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.pieces"))
def test_zero_size_dimensions(name):
    """Every splitting op on inputs with a zero-length axis, as NumPy and PyTorch."""
    check_empty(name)


@given(data=st.data())
def test_split_chunk_unbind(data):
    shape = data.draw(nonscalar)
    x = data.draw(arrays(shape))
    axis = data.draw(st.integers(0, len(shape) - 1))
    size = data.draw(st.integers(1, shape[axis]))
    pieces = ops.split(Tensor(x), size, axis)
    ref = np.split(x, range(size, shape[axis], size), axis=axis)
    assert len(pieces) == len(ref)
    for p, r in zip(pieces, ref, strict=True):
        np.testing.assert_array_equal(p.data, r)
    weights = [float(k + 1) for k in range(len(pieces))]

    def weighted(fn):
        # Each piece gets a different weight, so a piece's gradient landing in the
        # wrong place would be caught.
        return lambda t: ops.concatenate(
            [ops.mul(p, w) for p, w in zip(fn(t), weights, strict=False)], axis
        )

    gradcheck(weighted(lambda t: ops.split(t, size, axis)), [x])
    chunks = data.draw(st.integers(1, shape[axis]))
    assert sum(c.shape[axis] for c in ops.chunk(Tensor(x), chunks, axis)) == shape[axis]
    gradcheck(lambda t: ops.stack(ops.chunk(t, 1, axis)[0:1]), [x])
    unbound = ops.unbind(Tensor(x), axis)
    assert len(unbound) == shape[axis] and unbound[0].shape == shape[:axis] + shape[axis + 1 :]
    weights = [float(k + 1) for k in range(shape[axis])]
    gradcheck(
        lambda t: ops.stack(
            [ops.mul(u, w) for u, w in zip(ops.unbind(t, axis), weights, strict=True)], axis
        ),
        [x],
    )


def test_split_with_sections_and_errors():
    x = np.arange(10.0)
    assert [p.shape for p in ops.split(Tensor(x), [3, 7])] == [(3,), (7,)]
    assert [p.shape for p in ops.chunk(Tensor(x), 3)] == [(4,), (4,), (2,)]
    gradcheck(lambda t: ops.split(t, [3, 7])[1], [x])
    with pytest.raises(ValueError, match=r"split: sizes \[3, 3\] do not add up to 10"):
        ops.split(Tensor(x), [3, 3])
    with pytest.raises(ValueError, match=r"split: size 0 is allowed only on an empty axis"):
        ops.split(Tensor(x), 0)
    with pytest.raises(ValueError, match="split: size must not be negative, got -2"):
        ops.split(Tensor(x), -2)
    with pytest.raises(ValueError, match=r"split: sizes \[-1, 11\] must not be negative"):
        ops.split(Tensor(x), [-1, 11])


BAD_SIZES = [
    (2.0, "size_or_sections must be an integer or a sequence of integers, got 2.0"),
    (True, "size_or_sections must be an integer or a sequence of integers, got True"),
    ("ab", "size_or_sections must be an integer or a sequence of integers, got 'ab'"),
    ([1.0, 3.0], r"sizes must be integers, got 1.0 in \[1.0, 3.0\]"),
    ([True, False, True, True], r"sizes must be integers, got True in \[True, False"),
]


@pytest.mark.parametrize(("size", "message"), BAD_SIZES, ids=repr)
def test_split_refuses_sizes_that_are_not_integers(size, message):
    """A float or a bool (as a size or among the sizes) is a TypeError naming split and
    the value, not an error from deep inside nor a bool taken as 1."""
    with pytest.raises(TypeError, match="split: " + message):
        ops.split(Tensor(np.zeros((3, 4))), size, 1)


@pytest.mark.torch
@pytest.mark.parametrize(("size", "message"), BAD_SIZES, ids=repr)
def test_torch_refuses_the_same_sizes(size, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        torch.split(torch.zeros(3, 4), size, 1)


def test_split_takes_numpy_integers():
    x = Tensor(np.arange(12.0).reshape(3, 4))
    assert [p.shape for p in ops.split(x, np.int64(3), 1)] == [(3, 3), (3, 1)]
    assert [p.shape for p in ops.split(x, np.array([1, 3]), 1)] == [(3, 1), (3, 3)]


EMPTY_SPLITS = [
    ((0,), "split", 2, 0, [(0,)]),
    ((0, 3), "split", 2, 0, [(0, 3)]),
    ((3, 0), "split", 2, 1, [(3, 0)]),
    ((0,), "split", 0, 0, [(0,)]),
    ((3, 0), "split", 0, 1, [(3, 0)]),
    ((0,), "chunk", 3, 0, [(0,), (0,), (0,)]),
    ((0, 3), "chunk", 2, 0, [(0, 3), (0, 3)]),
    ((3, 0), "chunk", 2, 1, [(3, 0), (3, 0)]),
    ((0, 2), "unbind", None, 0, []),
]


@pytest.mark.parametrize(("shape", "how", "arg", "axis", "pieces"), EMPTY_SPLITS, ids=repr)
def test_splitting_an_empty_axis_gives_pytorchs_pieces(shape, how, arg, axis, pieces):
    """split gives one empty piece; chunk gives one per requested chunk (as torch)."""
    x = Tensor(np.zeros(shape), requires_grad=True)
    args = (axis,) if arg is None else (arg, axis)
    got = getattr(x, how)(*args)
    assert [p.shape for p in got] == pieces
    if got:
        ops.stack(got).sum().backward()
        assert x.grad.shape == shape


@pytest.mark.torch
@pytest.mark.parametrize(("shape", "how", "arg", "axis", "pieces"), EMPTY_SPLITS, ids=repr)
def test_splitting_an_empty_axis_against_torch(shape, how, arg, axis, pieces):
    torch = pytest.importorskip("torch")
    args = (axis,) if arg is None else (arg, axis)
    expected = [tuple(p.shape) for p in getattr(torch.zeros(shape), how)(*args)]
    assert [p.shape for p in getattr(Tensor(np.zeros(shape)), how)(*args)] == expected


def test_each_piece_is_a_slice_node_whose_gradient_lands_in_one_buffer():
    """T pieces of one tensor: T getitem nodes, all children of the tensor's node, and a
    backward that sums their parts into the tensor's one gradient."""
    x = Tensor(np.arange(24.0).reshape(4, 2, 3), requires_grad=True)
    y = x * 1.0
    pieces = ops.unbind(y)
    assert [p.grad_fn.op for p in pieces] == ["getitem"] * 4
    assert all(p.grad_fn.parents == (y.grad_fn,) for p in pieces)
    sum(p * float(k + 1) for k, p in enumerate(pieces)).sum().backward()
    np.testing.assert_array_equal(x.grad, np.arange(1.0, 5.0)[:, None, None] * np.ones((4, 2, 3)))


def test_pieces_of_a_tensor_without_gradient_record_nothing():
    pieces = ops.split(Tensor(np.ones((2, 6))), 2, 1)
    assert [p.shape for p in pieces] == [(2, 2)] * 3
    assert all(p.grad_fn is None and not p.requires_grad for p in pieces)
    with minigrad.no_grad():
        x = Tensor(np.ones(4), requires_grad=True)
        assert all(p.grad_fn is None for p in ops.chunk(x, 2))


def test_slices_record_each_piece_in_its_own_scope():
    """The gate labels of a cell: one call, each piece in scope <current>/<its name>,
    and the scope outside is left as it was."""
    x = Tensor(np.ones((2, 6)), requires_grad=True)
    index = [(Ellipsis, slice(0, 3)), (Ellipsis, slice(3, 6))]
    with minigrad.scope("t=0"):
        a, b = slices(x, index, ("gate=r", "gate=z"))
        c = a + b
    assert a.grad_fn.scope == ("t=0", "gate=r") and b.grad_fn.scope == ("t=0", "gate=z")
    assert c.grad_fn.scope == ("t=0",)
    np.testing.assert_array_equal(a.data, x.data[:, :3])
    c.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones((2, 6)))


def test_slices_in_scopes_under_capture_and_forward_mode():
    """A capture sees each piece in its scope too; forward mode gets each piece's
    tangent (the slice of the input's)."""
    x = np.arange(6.0).reshape(2, 3)
    index = [(Ellipsis, slice(0, 1)), (Ellipsis, slice(1, 3))]

    def f(t):
        a, b = slices(t, index, ("gate=a", "gate=b"))
        return (a * 2.0).sum() + (b * 3.0).sum()

    step = minigrad.compile(f)
    t = Tensor(x, requires_grad=True)
    for _ in range(2):
        t.grad = None
        step(t).backward()
        np.testing.assert_array_equal(t.grad, [[2.0, 3.0, 3.0]] * 2)
    _, tangent = minigrad.func.jvp(f, (Tensor(x),), (Tensor(np.ones((2, 3))),))
    assert float(tangent.data) == 2.0 * 2 + 3.0 * 4
