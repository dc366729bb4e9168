"""Indexing (minigrad/ops/indexing.py): the table-driven check of getitem, scatter and
take, then every kind of index, repeated positions, masks and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import INDICES, check_case, check_empty

import minigrad
from minigrad import Tensor, gradcheck, ops
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.indexing"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every indexing op in the registry against its row of the op table (tests/op_cases/)."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.indexing"))
def test_zero_size_dimensions(name):
    """Every indexing op on inputs with a zero-length axis, as NumPy and PyTorch."""
    check_empty(name)


@pytest.mark.parametrize("index", INDICES, ids=repr)
def test_getitem(index):
    x = np.random.default_rng(0).standard_normal((3, 4))
    np.testing.assert_array_equal(ops.getitem(Tensor(x), index).data, x[index])
    gradcheck(lambda t: ops.getitem(t, index), [x])


def test_getitem_integer_array_repeats_accumulate():
    x = Tensor(np.zeros(4), requires_grad=True)
    x[np.array([1, 1, 3, 1])].sum().backward()
    np.testing.assert_array_equal(x.grad, [0, 3, 0, 1])


def test_getitem_boolean_mask():
    data = np.array([[1.0, -2.0], [-3.0, 4.0]])
    x = Tensor(data, requires_grad=True)
    mask = data > 0
    np.testing.assert_array_equal(x[mask].data, [1.0, 4.0])
    (x[mask] * Tensor(np.array([2.0, 3.0]))).sum().backward()
    np.testing.assert_array_equal(x.grad, [[2, 0], [0, 3]])
    gradcheck(lambda t: t[Tensor(mask)], [data])


def test_getitem_of_overlapping_slices_sums():
    x = Tensor(np.ones(5), requires_grad=True)
    (x[:3].sum() + x[2:].sum() * 2 + x[2]).backward()
    np.testing.assert_array_equal(x.grad, [1, 1, 4, 2, 2])


def test_getitem_errors():
    with pytest.raises(IndexError, match=r"getitem: .*\(tensor of shape \(3,\)\)"):
        Tensor(np.ones(3))[5]
    with pytest.raises(TypeError, match="getitem: index arrays must be integer or boolean"):
        Tensor(np.ones(3))[np.array([0.5])]


def test_take_is_an_embedding_lookup():
    table = np.random.default_rng(0).standard_normal((5, 3))
    ids = np.array([[0, 4], [4, 4]])
    np.testing.assert_array_equal(ops.take(Tensor(table), ids).data, table[ids])
    gradcheck(lambda t: ops.take(t, ids), [table])
    gradcheck(lambda t: ops.take(t, np.array([2, 0, 2]), axis=1), [table])
    with pytest.raises(IndexError, match="take: index 5 is out of range"):
        ops.take(Tensor(table), np.array([5]))
    with pytest.raises(TypeError, match="take"):
        ops.take(Tensor(table), np.array([0.0]))


def test_gather_and_its_scatter_add_gradient_as_pytorchs_formula():
    x = np.arange(12.0).reshape(3, 4)
    ids = np.array([[0, 0], [3, 1], [2, 2]])
    t = Tensor(x, requires_grad=True)
    out = t.gather(1, Tensor(ids))  # out[i][j] = x[i][ids[i][j]]
    np.testing.assert_array_equal(out.data, [[0, 0], [7, 5], [10, 10]])
    out.backward(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    np.testing.assert_array_equal(x * 0 + t.grad, [[3, 0, 0, 0], [0, 4, 0, 3], [0, 0, 11, 0]])
    rows = ops.gather(Tensor(x), 0, np.array([[2, 0, 1, 2]]))  # out[0][j] = x[ids[0][j]][j]
    np.testing.assert_array_equal(rows.data, [[8, 1, 6, 11]])


def test_scatter_add_adds_src_at_the_index_and_uses_only_the_index_shaped_part():
    x = Tensor(np.zeros((2, 3)), requires_grad=True)
    src = Tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    out = x.scatter_add(0, np.array([[1, 1]]), src)  # out[ids[0][j]][j] += src[0][j]
    np.testing.assert_array_equal(out.data, [[0, 0, 0], [1, 2, 0]])
    out.backward(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(x.grad, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(src.grad, [[3, 4, 0], [0, 0, 0]])
    again = ops.scatter_add(Tensor(np.zeros(3)), 0, np.array([2, 2, 0]), np.array([1.0, 2.0, 4.0]))
    np.testing.assert_array_equal(again.data, [4.0, 0.0, 3.0])  # repeats accumulate


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda x: x.gather(0, np.array([[3, 0]])),
            IndexError,
            r"index 3 is out of range for dim 0",
        ),
        (
            lambda x: x.gather(1, np.array([[-1]])),
            IndexError,
            r"index -1 is out of range for dim 1",
        ),
        (lambda x: x.gather(0, np.array([0, 1])), ValueError, r"as many axes as the tensor"),
        (
            lambda x: x.gather(0, np.zeros((1, 4), int)),
            ValueError,
            r"larger than the tensor .* dim 1",
        ),
        (
            lambda x: x.gather(2, np.zeros((1, 1), int)),
            ValueError,
            r"^gather: dim 2 is out of range",
        ),
        (lambda x: x.gather(0, np.zeros((1, 1))), TypeError, r"index must hold integers"),
        (
            lambda x: x.scatter_add(0, np.zeros((2, 2), int), np.ones((1, 2))),
            ValueError,
            r"^scatter_add: index of shape \(2, 2\) is larger than src \(1, 2\)",
        ),
        (
            lambda x: x.scatter_add(0, np.zeros((1, 1), int), np.ones((1, 1), np.float32)),
            TypeError,
            r"src of dtype float32 must have the tensor's dtype float64",
        ),
    ],
)
def test_gather_and_scatter_add_refuse_what_pytorch_refuses(call, error, message):
    with pytest.raises(error, match=message):
        call(Tensor(np.zeros((3, 3))))


@pytest.mark.parametrize("op", ["gather", "scatter_add"])
def test_a_compiled_replay_checks_each_calls_index_as_eager_code_does(op):
    # The index is read at every call; its range was checked only while capturing, so a
    # replay wrapped a negative index (gather(w, 1, [[0, -1]]) gave w[0, 3]).
    w = minigrad.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)

    def f(i):
        if op == "gather":
            return minigrad.gather(w, 1, i).sum()
        return minigrad.scatter_add(w, 1, i, minigrad.tensor(np.ones((3, 2)))).sum()

    compiled = minigrad.compile(f)
    good = np.array([[0, 1], [2, 3], [1, 1]])
    for ids in (good, np.array([[3, 3], [0, 1], [2, 0]])):
        assert compiled(minigrad.tensor(ids)).item() == f(minigrad.tensor(ids)).item()
    for bad, said in ((-1, "index -1"), (4, "index 4")):
        ids = good.copy()
        ids[0, 1] = bad
        with pytest.raises(IndexError, match=f"{op}: {said} is out of range for dim 1 of size 4"):
            f(minigrad.tensor(ids))
        with pytest.raises(IndexError, match=f"{op}: {said} is out of range for dim 1 of size 4"):
            compiled(minigrad.tensor(ids))
    assert compiled.captures == 1
