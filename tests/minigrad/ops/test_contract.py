"""Ops of minigrad/ops/contract.py: the table-driven check of every op, then
repeated letters, ``...`` and errors."""

from __future__ import annotations

import re

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
    """Every op of the module against its row of tests/op_cases/."""
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
    with pytest.raises(ValueError, match=r"einsum: subscripts 'ij' name 1 operand\(s\), but 2"):
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


NUMPY_WORDS = ("einstein sum", "remapped shapes", "could not be broadcast", "collapsing index")


@pytest.mark.parametrize(
    ("subscripts", "shapes", "message"),
    [
        ("i1,j", [(2,), (2,)], r"subscripts 'i1,j' contain '1'; use letters"),
        ("i,j->ij->k", [(2,), (2,)], r"subscripts 'i,j->ij->k' have more than one '->'"),
        ("i-j", [(2,)], r"subscripts 'i-j' contain '-'"),
        ("i.j", [(2,)], r"subscripts 'i\.j' have a '\.' outside an ellipsis '\.\.\.' "
         r"\(in 'i\.j', for operand 0\)"),
        ("ij,jk->ik", [(2, 3)], r"subscripts 'ij,jk->ik' name 2 operand\(s\), but 1 was given"),
        ("ij", [(2, 2), (2,)], r"name 1 operand\(s\), but 2 were given \(shapes \(2, 2\), "
         r"\(2,\)\)"),
        ("ijk", [(2, 2)], r"subscripts 'ijk' name 3 axes, but operand 0 has shape \(2, 2\)"),
        ("i", [(2, 2)], r"subscripts 'i' name 1 axis, but operand 0 has shape \(2, 2\) "
         r"\(2 axes\)"),
        ("ij...", [(2,)], r"subscripts 'ij\.\.\.' name 2 axes besides '\.\.\.', but operand 0"),
        ("ij->k", [(2, 2)], r"output letter 'k' of 'ij->k' is in no input's subscripts"),
        ("ij->ii", [(2, 2)], r"output letter 'i' appears twice in 'ij->ii'"),
        ("ij,jk", [(2, 3), (4, 5)],
         r"letter 'j' has size 3 in operand 0 \(shape \(2, 3\)\) and size 4 in operand 1 "
         r"\(shape \(4, 5\)\)"),
        ("ii", [(2, 3)], r"letter 'i' is repeated in operand 0 \('ii', shape \(2, 3\)\) with "
         r"sizes 2 and 3"),
        ("...i,...i", [(2, 3), (4, 3)], r"the axes under '\.\.\.', \(2,\) and \(4,\), do not "
         r"broadcast"),
        ("ij", [], r"needs at least one operand for subscripts 'ij'"),
    ],
)  # fmt: skip
def test_einsum_errors_name_the_problem_and_the_values_in_our_words(subscripts, shapes, message):
    with pytest.raises(ValueError, match=message) as info:
        minigrad.einsum(subscripts, *[Tensor(np.ones(s)) for s in shapes])
    assert str(info.value).startswith("einsum: ")
    assert not any(w in str(info.value) for w in NUMPY_WORDS), str(info.value)


def test_contract_errors_are_in_our_words_too():
    with pytest.raises(ValueError, match=r"^contract: letter 'j' has size 3 in operand 0") as info:
        minigrad.ops.contract(Tensor(np.ones((2, 3))), Tensor(np.ones(4)), "ij,j->i")
    assert not any(w in str(info.value) for w in NUMPY_WORDS)
    with pytest.raises(TypeError, match="contract: subscripts must be a string, got int"):
        minigrad.ops.contract(Tensor(np.ones(2)), Tensor(np.ones(2)), 3)


def test_einsum_accepts_what_numpy_accepts_at_the_edges():
    """Broadcast size-1 letters across operands, '...' of zero width, scalar operands,
    and (as PyTorch) an explicit output without '...' summing the broadcast axes."""
    a, b = np.arange(3.0).reshape(1, 3), np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(
        minigrad.einsum("ij,ij->ij", Tensor(a), Tensor(b)).data, np.einsum("ij,ij->ij", a, b)
    )
    np.testing.assert_array_equal(minigrad.einsum("i->...", Tensor(a[0])).data, 3.0)
    np.testing.assert_array_equal(minigrad.einsum(",", Tensor(2.0), Tensor(3.0)).data, 6.0)
    np.testing.assert_array_equal(minigrad.einsum("...i->i", Tensor(b)).data, b.sum(0))


@pytest.mark.parametrize(
    ("axes", "message"),
    [
        (([5], [0]), "axis 5 is out of range for a, a 2-d tensor"),
        (([1], [7]), "axis 7 is out of range for b, a 2-d tensor"),
        (3, "axes=3 must be between 0 and 2 for shapes (2, 3) and (3, 4)"),
        (([0], [0]), "axis 0 of a (size 2) and axis 0 of b (size 3) differ"),
        (([1, 1], [0, 1]), "axes [1, 1] of a repeat an axis"),
        (([1], [0, 1]), "axes [1] and [0, 1] pair unequal numbers of axes"),
    ],
)
def test_tensordot_refuses_bad_axes_naming_them(axes, message):
    """Out-of-range axes are refused, as NumPy does, not wrapped around the rank."""
    a, b = minigrad.tensor(np.ones((2, 3))), minigrad.tensor(np.ones((3, 4)))
    with pytest.raises(ValueError, match=re.escape(message)):
        minigrad.tensordot(a, b, axes=axes)
    with pytest.raises((ValueError, IndexError)):
        np.tensordot(a.data, b.data, axes=axes)  # NumPy refuses each one too
