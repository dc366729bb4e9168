"""RNNCell, LSTMCell and GRUCell against the manual step functions (float64, 1e-10)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from parity import (
    CELLS,
    GATES,
    KIND_IDS,
    KINDS,
    PARAM_NAMES,
    assert_close,
    has_c,
    make_cell,
)

import minigrad
import rnn
from rnn import manual
from rnn.cells import cell_kind

F64 = np.float64


def manual_step(cell, nonlinearity, x, h, c, params):
    """The reference step of the kind: (h', c' or None, cache)."""
    state = (h, c) if has_c(cell) else (h,)
    new, cache = manual.step_forward(cell_kind(cell), x, state, params, nonlinearity)
    return new[0], (new[1] if has_c(cell) else None), cache


def manual_step_backward(cell, dh, dc, cache):
    dx, dprev, grads = manual.step_backward((dh, dc) if has_c(cell) else (dh,), cache)
    return dx, dprev[0], (dprev[1] if has_c(cell) else None), grads


def check_cell(cell, nonlinearity, seed, N, I, H, bias, with_state):
    rng = np.random.default_rng(seed)
    minigrad.manual_seed(seed)
    mod = make_cell(cell, nonlinearity, I, H, bias)
    xs = rng.normal(size=(N, I))
    hs = rng.normal(0, 0.5, (N, H)) if with_state else None
    cs = rng.normal(0, 0.5, (N, H)) if with_state and has_c(cell) else None
    R, U = rng.normal(size=(N, H)), rng.normal(size=(N, H))

    x = minigrad.tensor(xs, requires_grad=True)
    h = None if hs is None else minigrad.tensor(hs, requires_grad=True)
    c = None if cs is None else minigrad.tensor(cs, requires_grad=True)
    if has_c(cell):
        h1, c1 = mod(x, None if h is None else (h, c))
        loss = (h1 * R).sum() + (c1 * U).sum()
    else:
        h1, c1 = mod(x, h), None
        loss = (h1 * R).sum()
    params = dict(mod.named_parameters())
    inputs = [x, *params.values()] + [t for t in (h, c) if t is not None]
    grads = minigrad.grad(loss, inputs)

    sd = mod.state_dict()
    p = {n: sd.get(n) for n in PARAM_NAMES}
    mh, mc, cache = manual_step(cell, nonlinearity, xs, hs, cs, p)
    dx, dh0, dc0, mgrads = manual_step_backward(cell, R, U if has_c(cell) else None, cache)
    errs = [assert_close(h1.numpy(), mh, "h'"), assert_close(grads[0], dx, "dx")]
    if has_c(cell):
        errs.append(assert_close(c1.numpy(), mc, "c'"))
    assert set(params) == set(mgrads)
    for name, g in zip(params, grads[1 : 1 + len(params)], strict=True):
        errs.append(assert_close(g, mgrads[name], f"grad {name}"))
    rest = list(grads[1 + len(params) :])
    if h is not None:
        errs.append(assert_close(rest.pop(0), dh0, "dh"))
    if c is not None:
        errs.append(assert_close(rest.pop(0), dc0, "dc"))
    return max(errs)


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(KINDS),
    seed=st.integers(0, 2**31 - 1),
    N=st.integers(1, 6),
    I=st.integers(1, 6),
    H=st.integers(1, 6),
    bias=st.booleans(),
    with_state=st.booleans(),
)
def test_cell_matches_manual_step(kind, seed, N, I, H, bias, with_state):
    check_cell(*kind, seed, N, I, H, bias, with_state)


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
@pytest.mark.parametrize("bias", [True, False])
def test_cell_matches_manual_step_explicit(kind, bias):
    check_cell(*kind, seed=11, N=3, I=2, H=5, bias=bias, with_state=True)


def _call(mod, x, h=None, c=None):
    if len(mod.kind.state) == 2:
        return mod(x, None if h is None else (h, c))
    return mod(x, h)


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
def test_unbatched_input_matches_batch_of_one(kind):
    mod = make_cell(*kind)
    rng = np.random.default_rng(0)
    x, h, c = rng.normal(size=3), rng.normal(size=4), rng.normal(size=4)
    one = _call(mod, minigrad.tensor(x), minigrad.tensor(h), minigrad.tensor(c))
    batch = _call(mod, minigrad.tensor(x[None]), minigrad.tensor(h[None]), minigrad.tensor(c[None]))
    one, batch = (one, batch) if isinstance(one, tuple) else ((one,), (batch,))
    for a, b in zip(one, batch, strict=True):
        assert a.shape == (4,)
        np.testing.assert_allclose(a.numpy(), b.numpy()[0], rtol=0, atol=1e-14)


@pytest.mark.parametrize("kind", KINDS, ids=KIND_IDS)
@pytest.mark.parametrize("batched", [True, False])
def test_state_omitted_means_zeros(kind, batched):
    mod = make_cell(*kind)
    x = np.random.default_rng(0).normal(size=(2, 3) if batched else (3,))
    z = np.zeros((2, 4) if batched else (4,))
    a = _call(mod, minigrad.tensor(x))
    b = _call(mod, minigrad.tensor(x), minigrad.tensor(z), minigrad.tensor(z))
    a, b = (a, b) if isinstance(a, tuple) else ((a,), (b,))
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u.numpy(), v.numpy())


@pytest.mark.parametrize("cell", CELLS)
def test_cell_parameters_names_shapes_init(cell):
    minigrad.manual_seed(0)
    H = 9
    mod = make_cell(cell, I=5, H=H)
    sd = mod.state_dict()
    G = GATES[cell]
    assert list(sd) == list(PARAM_NAMES)
    assert [v.shape for v in sd.values()] == [(G * H, 5), (G * H, H), (G * H,), (G * H,)]
    values = np.concatenate([v.ravel() for v in sd.values()])
    assert np.abs(values).max() <= 1 / np.sqrt(H)
    assert list(make_cell(cell, bias=False).state_dict()) == ["weight_ih", "weight_hh"]


def test_cell_bad_input():
    cell = rnn.GRUCell(3, 4, dtype=F64)
    with pytest.raises(
        ValueError, match=r"expected input of shape \(N, 3\) or \(3,\), got \(2, 5\)"
    ):
        cell(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3\).*got \(1, 2, 3\)"):
        cell(np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match=r"expected hidden state of shape \(2, 4\), got \(2, 3\)"):
        cell(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"expected hidden state of shape \(4,\), got \(1, 4\)"):
        cell(np.zeros(3), np.zeros((1, 4)))
    x32 = minigrad.tensor(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(TypeError, match=r"input dtype float32 != parameter dtype float64"):
        cell(x32)
    lstm = rnn.LSTMCell(3, 4, dtype=F64)
    with pytest.raises(ValueError, match=r"expected hidden state of shape \(2, 4\), got \(2, 5\)"):
        lstm(np.zeros((2, 3)), (np.zeros((2, 4)), np.zeros((2, 5))))
    with pytest.raises(
        ValueError, match=r"nonlinearity must be one of tanh, relu, modrelu, got 'gelu'"
    ):
        rnn.RNNCell(3, 4, nonlinearity="gelu")


def test_every_kind_describes_its_cell_module():
    for name in CELLS:
        kind = cell_kind(name)
        assert kind.cell_class.cell == name and kind.reference.name == name
        assert make_cell(name).gates == kind.gates
    assert [rnn.RNNCell, rnn.LSTMCell, rnn.GRUCell] == [cell_kind(n).cell_class for n in CELLS[:3]]


@pytest.mark.parametrize("cls", [rnn.GRUCell, rnn.RNNCell])
def test_single_state_cell_given_a_pair_says_so(cls):
    cell = cls(5, 2)
    pair = (minigrad.zeros(3, 2), minigrad.zeros(3, 2))
    with pytest.raises(TypeError, match=rf"{cls.__name__}: the state is h alone, got a tuple of 2"):
        cell(minigrad.randn(3, 5), pair)
