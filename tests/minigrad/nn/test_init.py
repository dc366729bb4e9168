"""minigrad.nn.init: in place, dtype kept, PyTorch's formulas and gains."""

import math

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.nn import init


def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_in_place_keeps_dtype_and_returns_tensor(dtype):
    p = nn.Parameter(np.zeros((30, 20)), dtype=dtype)
    before = p.data
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.xavier_normal_):
        assert fn(p, generator=rng()) is p
    for fn in (init.kaiming_uniform_, init.kaiming_normal_, init.orthogonal_):
        assert fn(p, generator=rng()) is p
    assert init.eye_(init.ones_(init.zeros_(init.constant_(p, 3.0)))) is p
    assert p.data is before and p.dtype == dtype
    assert p.grad is None and p.is_leaf


def test_works_on_parameters_outside_no_grad():
    p = nn.Parameter(np.zeros(3))
    loss = (p * 2).sum()  # not yet differentiated
    init.constant_(p, 1.5)
    assert p.data.tolist() == [1.5] * 3
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_constant_zeros_ones_eye():
    t = minigrad.zeros(2, 3)
    assert init.constant_(t, 2.5).data.tolist() == [[2.5] * 3] * 2
    assert init.ones_(t).data.sum() == 6 and init.zeros_(t).data.sum() == 0
    np.testing.assert_array_equal(init.eye_(t).data, [[1, 0, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match="2-D"):
        init.eye_(minigrad.zeros(2, 2, 2))


def test_uniform_and_normal_moments():
    t = minigrad.zeros(200, 200, dtype=np.float64)
    d = init.uniform_(t, -2, 3, generator=rng()).data
    assert d.min() >= -2 and d.max() < 3 and d.mean() == pytest.approx(0.5, abs=0.02)
    d = init.normal_(t, 1.0, 2.0, generator=rng()).data
    assert d.mean() == pytest.approx(1, abs=0.02) and d.std() == pytest.approx(2, rel=0.01)


def test_default_generator_is_seeded_by_manual_seed():
    minigrad.manual_seed(3)
    a = init.normal_(minigrad.zeros(5)).data.copy()
    minigrad.manual_seed(3)
    assert np.array_equal(a, init.normal_(minigrad.zeros(5)).data)


@pytest.mark.parametrize(
    ("name", "param", "gain"),
    [
        ("linear", None, 1.0),
        ("sigmoid", None, 1.0),
        ("tanh", None, 5 / 3),
        ("relu", None, math.sqrt(2)),
        ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
        ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)),
        ("selu", None, 0.75),
    ],
)
def test_calculate_gain(name, param, gain):
    assert init.calculate_gain(name, param) == pytest.approx(gain, rel=1e-15)


def test_calculate_gain_unknown():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_fan_based_bounds_and_stds():
    t = minigrad.zeros(400, 100, dtype=np.float64)  # fan_in 100, fan_out 400
    a = math.sqrt(6 / 500)
    d = init.xavier_uniform_(t, generator=rng()).data
    assert np.abs(d).max() <= a and np.abs(d).max() > 0.99 * a
    d = init.xavier_normal_(t, gain=2.0, generator=rng()).data
    assert d.std() == pytest.approx(2 * math.sqrt(2 / 500), rel=0.01)
    d = init.kaiming_uniform_(t, a=math.sqrt(5), generator=rng()).data
    assert np.abs(d).max() <= 0.1 and np.abs(d).max() > 0.099
    d = init.kaiming_normal_(t, mode="fan_out", nonlinearity="relu", generator=rng()).data
    assert d.std() == pytest.approx(math.sqrt(2 / 400), rel=0.01)
    conv = minigrad.zeros(8, 4, 3, 3, dtype=np.float64)  # fan_in 36
    d = init.kaiming_uniform_(conv, nonlinearity="relu", generator=rng()).data
    assert np.abs(d).max() <= math.sqrt(6 / 36)
    with pytest.raises(ValueError, match="2 or more dims"):
        init.xavier_uniform_(minigrad.zeros(3))


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3), (4, 2, 3)])
def test_orthogonal(shape):
    t = minigrad.zeros(*shape, dtype=np.float64)
    q = init.orthogonal_(t, gain=2.0, generator=rng()).data.reshape(shape[0], -1)
    small = q @ q.T if q.shape[0] <= q.shape[1] else q.T @ q
    np.testing.assert_allclose(small, 4 * np.eye(min(q.shape)), atol=1e-12)


def test_orthogonal_sign_correction_matches_torch_recipe():
    g = rng().standard_normal((4, 4))
    q, r = np.linalg.qr(g)
    want = q * np.sign(np.diag(r))
    got = init.orthogonal_(minigrad.zeros(4, 4, dtype=np.float64), generator=rng()).data
    np.testing.assert_allclose(got, want, atol=1e-15)
    # With the sign correction, R's diagonal is positive: Q^T G has a positive diagonal.
    assert (np.diag(got.T @ g) > 0).all()


def test_kaiming_on_zero_elements_is_a_no_op_so_linear_takes_no_inputs():
    # As PyTorch: nn.Linear(0, 3) exists, its output is its bias (U(0, 0) = 0).
    for fn in (nn.init.kaiming_uniform_, nn.init.kaiming_normal_):
        assert fn(nn.Parameter(np.zeros((3, 0)))).shape == (3, 0)
    lin = nn.Linear(0, 3, dtype=np.float64)
    assert lin.weight.shape == (3, 0) and lin.bias.data.tolist() == [0.0, 0.0, 0.0]
    assert lin(minigrad.tensor(np.zeros((2, 0)))).data.tolist() == [[0.0] * 3] * 2
