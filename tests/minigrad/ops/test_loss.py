"""The cross-entropy primitive (minigrad/ops/loss.py): the table-driven check, then the
one node against its composition ``nll_loss(log_softmax(z))`` (values and gradients, every
reduction, ignore_index, spatial and unbatched shapes, float32), stability and errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

from minigrad import Tensor, no_grad, ops
from minigrad import functional as F
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.loss"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    """Every loss op in the registry against its row of tests/op_cases/."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.loss"))
def test_zero_size_dimensions(name):
    """Every loss op on zero rows, as NumPy (a sum over nothing is 0)."""
    check_empty(name)


def composition(z: Tensor, t, ignore_index=-100, reduction="mean") -> Tensor:
    return F.nll_loss(F.log_softmax(z, axis=1 if z.ndim > 1 else 0), t, ignore_index, reduction)


def value_and_grad(fn, z: np.ndarray, g: np.ndarray | None = None):
    x = Tensor(z, requires_grad=True)
    out = fn(x)
    out.backward(None if out.size == 1 else g)
    return out.data, x.grad


SHAPES = [((6, 5), (6,)), ((5,), ()), ((2, 5, 3), (2, 3)), ((3, 5, 2, 2), (3, 2, 2))]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("ignore", [None, -100, 3])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("zshape", "tshape"), SHAPES)
def test_one_node_equals_its_composition(zshape, tshape, reduction, ignore, dtype):
    rng = np.random.default_rng(7)
    z = (rng.standard_normal(zshape) * 3).astype(dtype)
    t = rng.integers(0, zshape[1] if len(zshape) > 1 else zshape[0], tshape)
    index = -100 if ignore is None else ignore
    if ignore is not None and t.size > 1:
        t.reshape(-1)[1::2] = ignore  # every other target ignored
    g = rng.standard_normal(tshape).astype(dtype)

    def one(x):
        return F.cross_entropy(x, t, index, reduction)

    def many(x):
        return composition(x, t, index, reduction)

    (v1, g1), (v2, g2) = value_and_grad(one, z, g), value_and_grad(many, z, g)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert v1.dtype == g1.dtype == dtype and v1.shape == v2.shape and g1.shape == z.shape
    np.testing.assert_allclose(v1, v2, rtol=tol, atol=tol)
    np.testing.assert_allclose(g1, g2, rtol=tol, atol=tol)


def test_records_one_node():
    z = Tensor(np.zeros((4, 3)), requires_grad=True)
    loss = F.cross_entropy(z, np.array([0, 1, 2, 0]))
    assert loss.grad_fn.op == "cross_entropy"
    assert all(p is z for p in loss.grad_fn.parents)
    with no_grad():
        assert F.cross_entropy(z, np.array([0, 1, 2, 0])).grad_fn is None


def test_every_target_ignored_gives_nan_mean_and_zero_gradient():
    z = Tensor(np.ones((2, 3)), requires_grad=True)
    loss = F.cross_entropy(z, np.array([-100, -100]))
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(z.grad, 0.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_stay_finite(dtype):
    z = np.array([[1000.0, -1000.0, 0.0], [-np.inf, -np.inf, -np.inf]], dtype)
    loss, grad = value_and_grad(lambda x: ops.cross_entropy(x, np.array([1, -100])), z)
    np.testing.assert_allclose(loss, 2000.0, rtol=1e-6)
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad, [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]], atol=1e-6)


@pytest.mark.parametrize(
    ("z", "t", "kw", "err", "match"),
    [
        (np.zeros((2, 3)), np.array([0, 3]), {}, ValueError, "target 3 is out of range"),
        (np.zeros((2, 3)), np.array([0.0, 1.0]), {}, TypeError, "integer class indices"),
        (np.zeros((2, 3)), np.array([0, 1, 2]), {}, ValueError, r"targets of shape \(2,\)"),
        (np.zeros((2, 3)), np.array([0, 1]), {"reduction": "avg"}, ValueError, "reduction"),
        (np.zeros((2, 3, 4)), np.zeros((2, 4), int), {}, ValueError, r"\(C,\) or \(N, C\)"),
        # PyTorch's third positional argument (class weights) given as ignore_index
        (np.zeros((3, 3)), np.array([0, 1, 2]), {"ignore_index": np.array([1.0, 2.0, 1.0])},
         TypeError, "ignore_index must be an integer, got ndarray"),
        (np.zeros((2, 3)), np.array([0, 1]), {"ignore_index": 1.0}, TypeError, "got float"),
    ],
)  # fmt: skip
def test_errors_name_the_problem(z, t, kw, err, match):
    with pytest.raises(err, match=match):
        ops.cross_entropy(Tensor(z), t, **kw)
