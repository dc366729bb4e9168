"""Special functions (minigrad/ops/special.py): the table-driven check of erf, then its
accuracy, dtypes and special values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_cases import check_case, check_empty

import minigrad
from minigrad import Tensor
from minigrad.ops.registry import names


@pytest.mark.parametrize("name", names("minigrad.ops.special"))
@given(data=st.data())
def test_forward_and_gradient(name, data):
    check_case(name, data.draw)


@pytest.mark.parametrize("name", names("minigrad.ops.special"))
def test_zero_size_dimensions(name):
    check_empty(name)


def test_erf_is_within_an_ulp_of_pytorchs_and_odd():
    torch = pytest.importorskip("torch")
    x = np.concatenate([np.linspace(-7.0, 7.0, 20001), 10.0 ** np.linspace(-320, 0.5, 2001)])
    mine = minigrad.erf(Tensor(x)).data
    theirs = torch.erf(torch.tensor(x)).numpy()
    assert np.all(np.abs(mine - theirs) <= np.spacing(np.abs(theirs)))
    np.testing.assert_array_equal(minigrad.erf(Tensor(-x)).data, -mine)


def test_erf_special_values_and_dtypes():
    x = Tensor(np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 6.0]))
    out = minigrad.erf(x).data
    np.testing.assert_array_equal(out[:4], [0.0, -0.0, 1.0, -1.0])
    assert np.signbit(out[1]) and np.isnan(out[4]) and out[5] == 1.0
    f = minigrad.erf(Tensor(np.array([0.5, 3.0], np.float32)))
    assert f.dtype == np.float32
    np.testing.assert_array_equal(f.data, np.float32([math.erf(0.5), math.erf(3.0)]))
    assert minigrad.erf(Tensor(np.array([1, 2]))).dtype == minigrad.get_default_dtype()
    assert Tensor(np.zeros(())).erf().shape == ()


def test_erf_gradient_is_the_normal_density_shape():
    x = Tensor(np.array([0.0, 1.0, -2.0]), requires_grad=True)
    x.erf().sum().backward()
    np.testing.assert_allclose(x.grad, 2 / math.sqrt(math.pi) * np.exp(-(x.data**2)), rtol=1e-15)
