"""minigrad/softmax.py: logsumexp, log_softmax and softmax against NumPy references,
finite differences and their rows of the op table."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from op_cases import check_case, check_empty
from strategies import arrays

import minigrad
from minigrad import Tensor, gradcheck
from minigrad import functional as F
from minigrad.ops.registry import names


def np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def np_log_softmax(x, axis=-1):
    return x - np_logsumexp(x, axis, keepdims=True)


matrices = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@given(data=st.data())
def test_softmax_family_forward_and_gradient(data):
    shape = data.draw(matrices)
    x = data.draw(arrays(shape, -5.0, 5.0))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    np.testing.assert_allclose(F.log_softmax(Tensor(x), axis).data, np_log_softmax(x, axis))
    np.testing.assert_allclose(F.softmax(Tensor(x), axis).data, np.exp(np_log_softmax(x, axis)))
    np.testing.assert_allclose(F.logsumexp(Tensor(x), axis).data, np_logsumexp(x, axis))
    np.testing.assert_allclose(F.logsumexp(Tensor(x)).data, np_logsumexp(x))
    gradcheck(lambda t: F.softmax(t, axis), [x])
    gradcheck(lambda t: F.log_softmax(t, axis), [x])
    gradcheck(lambda t: F.logsumexp(t, axis, keepdims=True), [x])
    gradcheck(lambda t: F.logsumexp(t), [x])


def test_softmax_of_a_slice_holding_plus_inf_is_nan_throughout_as_pytorch():
    """inf - inf is NaN at the +inf, so the slice is NaN throughout (PyTorch's, SciPy's);
    the other entries were exact zeros (-inf for log_softmax). A -inf entry, or a
    slice of -inf only, and logsumexp (inf) are as before."""
    x = np.array([[np.inf, 0.0, 1.0], [np.inf, np.inf, 0.0], [-np.inf, 0.0, 1.0], [-np.inf] * 3])
    with np.errstate(invalid="ignore", divide="ignore"):
        sm = F.softmax(Tensor(x), axis=1).data
        lsm = F.log_softmax(Tensor(x), axis=1).data
        lse = F.logsumexp(Tensor(x), axis=1).data
    assert np.isnan(sm[:2]).all() and np.isnan(lsm[:2]).all()
    np.testing.assert_allclose(sm[2], [0.0, 1 / (1 + np.e), np.e / (1 + np.e)])
    np.testing.assert_allclose(lsm[2], [-np.inf, -np.log1p(np.e), 1 - np.log1p(np.e)])
    assert np.isnan(sm[3]).all() and np.isnan(lsm[3]).all()
    np.testing.assert_array_equal(lse[:2], [np.inf, np.inf])
    np.testing.assert_allclose(lse[2:], [np.log1p(np.e), -np.inf])


@pytest.mark.parametrize("op", [F.softmax, F.log_softmax])
def test_softmax_of_a_slice_holding_plus_inf_warns_nothing(op):
    """The NaN of a slice holding +inf comes without NumPy's "invalid value encountered
    in subtract" (inf - inf), eagerly, in backward and in a compiled replay."""
    x = np.array([[1.0, np.inf, 2.0], [0.0, 1.0, 2.0]])
    step = minigrad.compile(lambda t: op(t) * 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = Tensor(x, requires_grad=True)
        out = op(t)
        (out * Tensor(np.arange(6.0).reshape(2, 3))).sum().backward()
        replayed = [step(t).data for _ in range(3)]
    assert np.isnan(out.data[0]).all() and np.isnan(t.grad[0]).all()
    np.testing.assert_allclose(out.data[1], op(Tensor(x[1:])).data[0])
    assert np.isfinite(t.grad[1]).all() and step.captures == 1
    for r in replayed:
        np.testing.assert_array_equal(r, out.data)


@pytest.mark.parametrize("name", names("minigrad.softmax"))
@given(data=st.data())
def test_registered_composites_against_the_table(name, data):
    """softmax, log_softmax and logsumexp (also Tensor methods) against their rows of
    tests/op_cases/."""
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.softmax"))
def test_registered_composites_on_zero_size_inputs(name):
    check_empty(name)


@pytest.mark.parametrize("b_shape", [(4,), (3, 2), (2, 4, 3)])
def test_logsumexp_weights_that_do_not_broadcast_are_named(b_shape):
    x = Tensor(np.zeros((2, 3)))
    message = rf"logsumexp: weights b of shape {b_shape} do not broadcast against x of shape"
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        F.logsumexp(x, axis=1, b=np.ones(b_shape))


def test_logsumexp_weights_with_more_axes_broadcast_x_as_scipy():
    rng = np.random.default_rng(0)
    x, b = rng.normal(size=(2, 3)), rng.uniform(0.5, 2.0, (4, 1, 3))
    want = np.log(np.sum(b * np.exp(x), axis=0))
    np.testing.assert_allclose(F.logsumexp(Tensor(x), axis=0, b=b).data, want, rtol=1e-12)
    gradcheck(lambda t, w: F.logsumexp(t, axis=(0, 2), b=w), [x, b])
