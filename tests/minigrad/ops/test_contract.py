"""Ops of minigrad/ops/contract.py: the table-driven check of every op, then
repeated letters, ``...`` and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor, func
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.contract"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every op of the module against its row of tests/op_cases.py."""
    check_case(name, data.draw)


# var/std of nothing are NaN with NumPy's warnings; partition needs a kth in range.
_NO_EMPTY = set()


@pytest.mark.parametrize("name", [n for n in names("minigrad.ops.contract") if n not in _NO_EMPTY])
def test_zero_size_dimensions(name):
    """Every op on inputs with a zero-length axis, as NumPy."""
    check_empty(name)


def test_einsum_trace_diagonal_and_ellipsis_gradients():
    a = Tensor(np.arange(9.0).reshape(3, 3), requires_grad=True)
    minigrad.einsum("ii", a).backward()
    np.testing.assert_array_equal(a.grad, np.eye(3))
    b = Tensor(np.ones((1, 3)), requires_grad=True)
    c = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = minigrad.einsum("...i,...i->...", b, c)
    np.testing.assert_array_equal(out.data, [3.0, 12.0])
    out.sum().backward()
    np.testing.assert_array_equal(b.grad, [[3.0, 5.0, 7.0]])  # summed over the broadcast axis


def test_einsum_second_derivative_of_a_quadratic_form():
    m = np.array([[2.0, 1.0], [0.0, 3.0]])
    h = func.hessian(lambda x: minigrad.einsum("i,ij,j", x, m, x))(Tensor(np.ones(2)))
    np.testing.assert_allclose(h.data, m + m.T)


def test_dot_of_0d_and_nd():
    s = Tensor(np.array(2.0), requires_grad=True)
    minigrad.dot(s, Tensor(np.ones((2, 2)))).sum().backward()
    assert s.grad == 4.0


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="einsum: 1 subscripts for 2 operands"):
        minigrad.einsum("ij", Tensor(np.ones((2, 2))), Tensor(np.ones(2)))
    with pytest.raises(
        ValueError, match=r"cross: vectors must have 2 or 3 components, but axis -1"
    ):
        minigrad.cross(Tensor(np.ones(4)), Tensor(np.ones(3)))


def test_cross_of_2_vectors_and_mixed_2_and_3_vectors_as_numpy():
    """Two 2-vectors give the z component (no vector axis); a 2-vector with a 3-vector
    is a 3-vector with z = 0; the gradients are those of the 3-d formula."""
    a = Tensor(np.array([[1.0, 2.0], [3.0, -1.0]]), requires_grad=True)
    b = Tensor(np.array([4.0, 5.0]), requires_grad=True)
    out = minigrad.cross(a, b)
    assert out.shape == (2,)
    np.testing.assert_array_equal(out.data, [1 * 5 - 2 * 4, 3 * 5 - (-1) * 4])
    out.sum().backward()
    np.testing.assert_array_equal(a.grad, [[5.0, -4.0], [5.0, -4.0]])  # d(a0 b1 - a1 b0)/da
    np.testing.assert_array_equal(b.grad, [-(2.0 - 1.0), 1.0 + 3.0])
    c = Tensor(np.array([0.0, 0.0, 2.0]), requires_grad=True)
    mixed = minigrad.cross(Tensor(np.array([1.0, 0.0])), c)
    np.testing.assert_array_equal(mixed.data, [0.0, -2.0, 0.0])
    gradcheck = minigrad.gradcheck
    gradcheck(
        lambda x, y: minigrad.cross(x, y), [np.array([1.5, -0.5]), np.array([0.3, 2.0, -1.0])]
    )


def test_cross_axis_arguments_as_numpy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 3))
    ours = minigrad.cross(Tensor(a), Tensor(b), axisa=0, axisc=0)
    np.testing.assert_allclose(ours.data, np.cross(a, b, axisa=0, axisc=0), rtol=1e-14)
    a, b = rng.normal(size=(3, 5)), rng.normal(size=(3, 1))
    for kw in ({"axis": 0}, {"dim": 0}):
        ours = minigrad.cross(Tensor(a), Tensor(b), **kw)
        np.testing.assert_allclose(ours.data, np.cross(a, b, axis=0), rtol=1e-14)
    torch = pytest.importorskip("torch")
    ref = torch.linalg.cross(torch.tensor(a), torch.tensor(b), dim=0).numpy()
    np.testing.assert_allclose(minigrad.cross(Tensor(a), Tensor(b), dim=0).data, ref, rtol=1e-14)


@pytest.mark.parametrize(
    ("shapes", "kwargs", "message"),
    [
        (
            ((4,), (3,)),
            {},
            r"vectors must have 2 or 3 components, but axis -1 \(axisa\) of "
            r"an operand of shape \(4,\) has 4",
        ),
        (((3,), (3, 1)), {}, r"axis -1 \(axisb\) of an operand of shape \(3, 1\) has 1"),
        (((3,), (3,)), {"axisa": 1}, r"axisa=1 is out of range for an operand of shape \(3,\)"),
        (((), (3,)), {}, r"axisa=-1 is out of range for an operand of shape \(\)"),
        (
            ((2, 3), (4, 3)),
            {},
            r"the axes beside the vectors, \(2,\) and \(4,\), do not "
            r"broadcast",
        ),
        (((3,), (3,)), {"axisc": 1}, r"axisc=1 is out of range for a 1-d result"),
        (((3,), (3,)), {"axis": 0, "dim": 0}, r"got axis=0 and dim=0"),
    ],
)
def test_cross_errors_name_the_problem_and_the_values(shapes, kwargs, message):
    sa, sb = shapes
    with pytest.raises((ValueError, TypeError), match="cross: .*" + message):
        minigrad.cross(Tensor(np.ones(sa)), Tensor(np.ones(sb)), **kwargs)
