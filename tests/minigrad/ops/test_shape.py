"""Shape ops (minigrad/ops/shape.py): the table-driven check, then transposes,
squeezes and errors (joining: test_joins.py; indexing: test_indexing.py; splitting:
test_pieces.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty
from strategies import arrays, nonscalar

import minigrad
from minigrad import Tensor, gradcheck, ops
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.shape"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every shape op in the registry against its row of the op table (tests/op_cases/)."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.shape"))
def test_zero_size_dimensions(name):
    """Every shape op on inputs with a zero-length axis, as NumPy and PyTorch."""
    check_empty(name)


@given(data=st.data())
def test_transpose_and_swapaxes(data):
    x = data.draw(arrays(data.draw(nonscalar)))
    perm = tuple(data.draw(st.permutations(range(x.ndim))))
    np.testing.assert_array_equal(ops.transpose(Tensor(x), perm).data, x.transpose(perm))
    gradcheck(lambda t: ops.transpose(t, perm), [x])
    gradcheck(lambda t: ops.transpose(t), [x])
    gradcheck(lambda t: ops.swapaxes(t, 0, -1), [x])


def test_shape_op_errors():
    with pytest.raises(ValueError, match=r"reshape: cannot reshape \(2, 3\) into \(4,\)"):
        ops.reshape(Tensor(np.ones((2, 3))), (4,))
    with pytest.raises(ValueError, match="broadcast_to"):
        ops.broadcast_to(Tensor(np.ones(3)), (2, 4))
    with pytest.raises(ValueError, match="transpose"):
        ops.transpose(Tensor(np.ones((2, 3))), (0, 0))
    with pytest.raises(ValueError, match="squeeze"):
        ops.squeeze(Tensor(np.ones((2, 3))), 0)


def test_squeeze_unsqueeze():
    x = np.arange(6.0).reshape(1, 2, 1, 3)
    assert ops.squeeze(Tensor(x)).shape == (2, 3)
    assert ops.squeeze(Tensor(x), 2).shape == (1, 2, 3)
    assert ops.unsqueeze(Tensor(x), -1).shape == (1, 2, 1, 3, 1)
    gradcheck(lambda t: ops.unsqueeze(ops.squeeze(t), 0), [x])


def test_reshape_to_a_shape_that_is_not_integers_says_so():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"^reshape: the shape must be integers, got \(2.0, 3\)"):
        x.reshape(2.0, 3)


def test_transpose_of_two_axes_warns_or_names_swapaxes() -> None:
    """Two separate axes: NumPy's permutation, PyTorch's exchange. A 2-d (0, 1) keeps the
    axes and warns; other ranks are refused, naming swapaxes."""
    t = minigrad.ones(2, 3)
    with pytest.warns(
        UserWarning, match=r"transpose\(0, 1\) of a 2-d tensor keeps its axes.*swapaxes"
    ):
        assert t.transpose(0, 1).shape == (2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert t.transpose(1, 0).shape == (3, 2)
        assert t.transpose((0, 1)).shape == (2, 3)
        assert t.transpose().shape == (3, 2)
    with pytest.raises(
        ValueError, match=r"not a permutation of the axes of \(2, 3, 4\).*swapaxes\(0, 2\)"
    ):
        minigrad.ones(2, 3, 4).transpose(0, 2)
    assert minigrad.ones(2, 3, 4).swapaxes(0, 2).shape == (4, 3, 2)


@pytest.mark.parametrize("axes", [(0, 0), (1, 1), (-1, 1), (np.int64(0), -2)])
def test_transpose_of_one_axis_twice_names_swapaxes(axes) -> None:
    """``(0, 0)`` of a 2-d tensor is PyTorch's no-op, not a permutation: refused with the
    hint the other ranks get, the axes as given."""
    given = tuple(int(ax) for ax in axes)
    message = (
        rf"^transpose: \({given[0]}, {given[1]}\) is not a permutation of the axes of \(2, 3\); "
        rf"to exchange two axes \(PyTorch's transpose\(dim0, dim1\)\) use "
        rf"swapaxes\({given[0]}, {given[1]}\)$"
    )
    with pytest.raises(ValueError, match=message):
        minigrad.ones(2, 3).transpose(*axes)
    assert minigrad.ones(2, 3).swapaxes(*axes).shape == (2, 3)


def test_transpose_axis_out_of_range_is_refused_not_wrapped() -> None:
    # 5 of a 3-d tensor is not axis 2 (5 % 3), nor 2 of a 2-d tensor axis 0
    with pytest.raises(ValueError, match=r"^permute: axis 5 is out of range for a 3-d tensor$"):
        minigrad.ones(2, 3, 4).permute(0, 1, 5)
    with pytest.raises(ValueError, match=r"^permute: \(0, 0, 1\) is not a permutation of"):
        minigrad.ones(2, 3, 4).permute(0, 0, 1)
    with pytest.raises(ValueError, match=r"^transpose: axis 2 is out of range for a 2-d tensor$"):
        minigrad.ones(2, 3).transpose(0, 2)
    assert minigrad.ones(2, 3, 4).permute(0, -1, 1).shape == (2, 4, 3)


def test_expand_takes_minus_one_for_an_axis_kept_as_pytorch():
    """t.expand(2, -1): -1 keeps the size of the axis it stands over (it was refused as
    a shape (2, -1) to broadcast to); new leading axes need a size, as PyTorch says."""
    x = Tensor(np.arange(3.0).reshape(1, 3), requires_grad=True)
    out = x.expand(4, 2, -1)
    assert out.shape == (4, 2, 3)
    np.testing.assert_array_equal(out.data, np.broadcast_to(x.data, (4, 2, 3)))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, [[8.0, 8.0, 8.0]])
    assert x.expand((2, -1)).shape == x.expand(-1, -1).expand(2, 3).shape == (2, 3)
    with pytest.raises(ValueError, match=r"expand: -1 at axis 0 of \(-1, 2, 3\) is a new leading"):
        x.expand(-1, 2, 3)
    with pytest.raises(
        ValueError,
        match=r"expand: sizes \(3,\) are fewer than the axes of a tensor of shape \(1, 3\)",
    ):
        x.expand(3)
