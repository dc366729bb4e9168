"""rnn.manual's whole-sequence forward/backward: gradients against finite differences, per-step
dL/dh_t, lengths, reverse, dtypes and errors."""

from __future__ import annotations

import numpy as np
import pytest
from manual_cases import LENGTHS, H, I, N, T, assert_close, loss, make_case
from parity import CELLS, KIND_IDS, KINDS, has_c

from minigrad.gradcheck import numerical_grad
from rnn import manual

# ----------------------------------------------------------------------------------------------
# Sequence gradients against finite differences
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "lengths"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
@pytest.mark.parametrize(("cell", "nonlinearity"), KINDS, ids=KIND_IDS)
def test_sequence_gradients_match_finite_differences(cell, nonlinearity, bias, lengths, reverse):
    params, x, h0, c0, R, S, U = make_case(cell, seed=1, bias=bias)
    names = list(params)
    *_, cache = manual.forward(cell, x, params, h0, c0, lengths, reverse, nonlinearity)
    if nonlinearity == "relu":
        # finite differences are wrong at the kink: make sure no pre-activation is near 0
        xs = cache.x  # in processing order, like cache.h_prev
        a = xs @ params["weight_ih"].T + cache.h_prev @ params["weight_hh"].T
        if bias:
            a = a + params["bias_ih"] + params["bias_hh"]
        assert np.abs(a).min() > 1e-4
        assert (a > 0).any() and (a < 0).any()
    result = manual.backward(R, cache, S, U if has_c(cell) else None)

    def f(x, h0, *rest):
        c = rest[0] if has_c(cell) else None
        p = dict(zip(names, rest[1:] if has_c(cell) else rest, strict=True))
        return loss(*manual.forward(cell, x, p, h0, c, lengths, reverse, nonlinearity)[:3], R, S, U)

    arrays = [x, h0] + ([c0] if has_c(cell) else []) + [params[k] for k in names]
    numeric = numerical_grad(f, arrays)
    assert_close(result.dx, numeric[0], "dx")
    assert_close(result.dh0, numeric[1], "dh0")
    if has_c(cell):
        assert_close(result.dc0, numeric[2], "dc0")
    else:
        assert result.dc0 is None and result.dc is None
    assert sorted(result.grads) == sorted(names)
    for name, num in zip(names, numeric[-len(names) :], strict=True):
        assert_close(result.grads[name], num, name)


# ----------------------------------------------------------------------------------------------
# Per-step dL/dh_t
# ----------------------------------------------------------------------------------------------


def loss_with_state_perturbation(cell, x, params, h0, c0, lengths, t, dh, dc, R, S, U):
    """L when the state after step t is replaced by (h_t + dh, c_t + dc).

    Built from public forward calls only: steps 0..t as one batch, then each sequence that
    is still running continues alone from the perturbed state; the others keep it as h_n.
    out_t = m_t h_t, so the perturbation of h_t reaches out_t at valid steps.
    """
    out, h_t, c_t, _ = manual.forward(cell, x[: t + 1], params, h0, c0, np.minimum(lengths, t + 1))
    h_t = h_t + dh
    c_t = c_t + dc if has_c(cell) else None
    m_t = (t < lengths)[:, None]
    total = np.sum(out[:t] * R[:t]) + np.sum(m_t * h_t * R[t])
    h_n, c_n = h_t.copy(), None if c_t is None else c_t.copy()
    for n in np.flatnonzero(lengths > t + 1):
        c_start = c_t[n : n + 1] if has_c(cell) else None
        x_rest = x[t + 1 : lengths[n], n : n + 1]
        out_n, h_n[n], c_end, _ = manual.forward(cell, x_rest, params, h_t[n : n + 1], c_start)
        total += np.sum(out_n[:, 0] * R[t + 1 : lengths[n], n])
        if has_c(cell):
            c_n[n] = c_end[0]
    return total + np.sum(h_n * S) + (np.sum(c_n * U) if has_c(cell) else 0.0)


@pytest.mark.parametrize("lengths", [np.array([T, T, T]), LENGTHS], ids=["full", "lengths"])
@pytest.mark.parametrize("cell", CELLS)
def test_per_step_dh_is_gradient_of_state(cell, lengths):
    params, x, h0, c0, R, S, U = make_case(cell, seed=2)
    *_, cache = manual.forward(cell, x, params, h0, c0, lengths)
    result = manual.backward(R, cache, S, U if has_c(cell) else None)
    zero = np.zeros((N, H))
    for t in range(T):

        def f_h(d, t=t):
            return loss_with_state_perturbation(
                cell, x, params, h0, c0, lengths, t, d, zero, R, S, U
            )

        (num,) = numerical_grad(f_h, [np.zeros((N, H))])
        assert_close(result.dh[t], num, f"dh[{t}]")
        if has_c(cell):

            def f_c(d, t=t):
                return loss_with_state_perturbation(
                    cell, x, params, h0, c0, lengths, t, zero, d, R, S, U
                )

            (num,) = numerical_grad(f_c, [np.zeros((N, H))])
            assert_close(result.dc[t], num, f"dc[{t}]")


@pytest.mark.parametrize("cell", CELLS)
def test_reverse_dh_is_forward_dh_of_reversed_sequences(cell):
    params, x, h0, c0, R, S, U = make_case(cell, seed=3)
    dc_n = U if has_c(cell) else None
    *_, cache = manual.forward(cell, x, params, h0, c0, LENGTHS, reverse=True)
    rev = manual.backward(R, cache, S, dc_n)
    xr, Rr = manual.reverse_padded(x, LENGTHS), manual.reverse_padded(R, LENGTHS)
    *_, cache = manual.forward(cell, xr, params, h0, c0, LENGTHS)
    fwd = manual.backward(Rr, cache, S, dc_n)
    np.testing.assert_allclose(rev.dh, manual.reverse_padded(fwd.dh, LENGTHS), rtol=1e-12)
    np.testing.assert_allclose(rev.dx, manual.reverse_padded(fwd.dx, LENGTHS), rtol=1e-12)
    if has_c(cell):
        np.testing.assert_allclose(rev.dc, manual.reverse_padded(fwd.dc, LENGTHS), rtol=1e-12)


# ----------------------------------------------------------------------------------------------
# Lengths and reverse
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_lengths_match_truncated_sequences(cell):
    params, x, h0, c0, *_ = make_case(cell, seed=6)
    out, h_n, c_n, _ = manual.forward(cell, x, params, h0, c0, LENGTHS)
    for n, length in enumerate(LENGTHS):
        assert np.all(out[length:, n] == 0)
        c_start = c0[n : n + 1] if has_c(cell) else None
        out_n, h_n_n, c_n_n, _ = manual.forward(
            cell, x[:length, n : n + 1], params, h0[n : n + 1], c_start
        )
        np.testing.assert_allclose(out[:length, n], out_n[:, 0], rtol=1e-12)
        np.testing.assert_allclose(h_n[n], h_n_n[0], rtol=1e-12)
        np.testing.assert_allclose(h_n[n], out[length - 1, n], rtol=1e-12)
        if has_c(cell):
            np.testing.assert_allclose(c_n[n], c_n_n[0], rtol=1e-12)


@pytest.mark.parametrize("cell", CELLS)
def test_reverse_with_lengths_runs_each_sequence_backwards(cell):
    params, x, h0, c0, *_ = make_case(cell, seed=7)
    out, h_n, c_n, _ = manual.forward(cell, x, params, h0, c0, LENGTHS, reverse=True)
    for n, length in enumerate(LENGTHS):
        assert np.all(out[length:, n] == 0)
        c_start = c0[n : n + 1] if has_c(cell) else None
        x_rev = x[:length, n : n + 1][::-1]
        out_n, h_n_n, c_n_n, _ = manual.forward(cell, x_rev, params, h0[n : n + 1], c_start)
        np.testing.assert_allclose(out[:length, n], out_n[::-1, 0], rtol=1e-12)
        # the reverse direction ends at t = 0
        np.testing.assert_allclose(h_n[n], h_n_n[0], rtol=1e-12)
        np.testing.assert_allclose(h_n[n], out[0, n], rtol=1e-12)
        if has_c(cell):
            np.testing.assert_allclose(c_n[n], c_n_n[0], rtol=1e-12)


def test_reverse_without_lengths_flips_time():
    params, x, h0, *_ = make_case("gru", seed=8)
    out, h_n, _, _ = manual.forward("gru", x, params, h0, reverse=True)
    out_f, h_n_f, _, _ = manual.forward("gru", x[::-1].copy(), params, h0)
    np.testing.assert_allclose(out, out_f[::-1], rtol=1e-12)
    np.testing.assert_allclose(h_n, h_n_f, rtol=1e-12)


def test_bias_none_is_the_same_as_no_bias():
    params, x, h0, c0, R, S, U = make_case("lstm", seed=10, bias=False)
    out, *_, cache = manual.forward("lstm", x, params, h0, c0)
    grads = manual.backward(R, cache, S, U).grads
    with_none = {**params, "bias_ih": None, "bias_hh": None}
    out_none, *_, cache = manual.forward("lstm", x, with_none, h0, c0)
    np.testing.assert_array_equal(out, out_none)
    assert manual.backward(R, cache, S, U).grads.keys() == grads.keys() == set(params)


def test_reverse_padded_reverses_within_length_and_is_its_own_inverse():
    x = np.arange(4 * 3).reshape(4, 3)[:, :, None]
    r = manual.reverse_padded(x, [4, 2, 1])
    np.testing.assert_array_equal(r[:, 0, 0], x[::-1, 0, 0])
    np.testing.assert_array_equal(r[:, 1, 0], x[[1, 0, 2, 3], 1, 0])
    np.testing.assert_array_equal(r[:, 2, 0], x[:, 2, 0])
    np.testing.assert_array_equal(manual.reverse_padded(r, [4, 2, 1]), x)


# ----------------------------------------------------------------------------------------------
# dtypes and errors
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lengths", [None, LENGTHS], ids=["full", "lengths"])
@pytest.mark.parametrize("cell", CELLS)
def test_float32_stays_float32_and_matches_float64(cell, lengths):
    case64 = make_case(cell, seed=9)
    case32 = make_case(cell, seed=9, dtype=np.float32)
    results = []
    for params, x, h0, c0, R, S, U in (case64, case32):
        out, h_n, c_n, cache = manual.forward(cell, x, params, h0, c0, lengths, reverse=True)
        res = manual.backward(R, cache, S, U if has_c(cell) else None)
        arrays = [out, h_n, res.dx, res.dh0, res.dh, *res.grads.values()]
        if has_c(cell):
            arrays += [c_n, res.dc0, res.dc]
        results.append(arrays)
    for a64, a32 in zip(*results, strict=True):
        assert a32.dtype == np.float32
        assert a64.dtype == np.float64
        np.testing.assert_allclose(a32, a64, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"x": np.zeros((T, N, 5))}, r"x has input size 5 but weight_ih expects 3"),
        ({"x": np.zeros((N, I))}, r"x must have shape \(T, N, I\), got \(3, 3\)"),
        ({"h0": np.zeros((N, H + 1))}, r"h0 must have shape \(3, 4\), got \(3, 5\)"),
        ({"weight_hh": np.zeros((4 * H, H + 1))}, r"weight_hh must have shape .*got \(16, 5\)"),
        (
            {"weight_ih": np.zeros((3 * H, I))},
            r"weight_ih must have shape \(16, I\), got \(12, 3\)",
        ),
        ({"bias_ih": np.zeros(H)}, r"bias_ih must have shape \(16,\), got \(4,\)"),
        ({"lengths": [5, 0, 1]}, r"lengths must lie in \[1, 5\], got \[5, 0, 1\]"),
        ({"lengths": [5, 6, 1]}, r"lengths must lie in \[1, 5\], got \[5, 6, 1\]"),
        ({"lengths": [5, 2]}, r"lengths must be 3 integers"),
        ({"cell": "elman"}, r"cell must be one of \[.*'gru', 'lstm', 'rnn'.*\], got 'elman'"),
        (
            {"nonlinearity": "sigmoid"},
            r"nonlinearity must be one of tanh, relu, modrelu, got 'sigmoid'",
        ),
    ],
)
def test_forward_rejects_bad_inputs_naming_shapes(change, message):
    params, x, h0, c0, *_ = make_case("lstm")
    args = {"cell": "lstm", "x": x, "h0": h0, "lengths": None, "nonlinearity": "tanh"}
    for key in list(change):
        if key in params:
            params[key] = change.pop(key)
    args.update(change)
    with pytest.raises(ValueError, match=message):
        manual.forward(
            args["cell"],
            args["x"],
            params,
            args["h0"],
            c0,
            args["lengths"],
            nonlinearity=args["nonlinearity"],
        )


def test_other_bad_inputs_raise_clear_errors():
    params, x, h0, _, R, *_ = make_case("gru")
    with pytest.raises(ValueError, match=r"c0 is only used by a cell whose state is \(h, c\)"):
        manual.forward("gru", x, params, h0, c0=h0)
    with pytest.raises(TypeError, match=r"weight_hh has dtype float32 but x has float64"):
        manual.forward("gru", x, {**params, "weight_hh": params["weight_hh"].astype(np.float32)})
    with pytest.raises(TypeError, match=r"h0 has dtype float32, expected float64"):
        manual.forward("gru", x, params, h0.astype(np.float32))
    with pytest.raises(ValueError, match=r"params has no 'weight_ih'"):
        manual.forward("gru", x, {"weight_hh": params["weight_hh"]})
    *_, cache = manual.forward("gru", x, params, h0)
    with pytest.raises(ValueError, match=r"dout must have shape \(5, 3, 4\), got \(5, 3, 3\)"):
        manual.backward(R[..., :3], cache)
    with pytest.raises(ValueError, match=r"dh_n must have shape \(3, 4\), got \(4,\)"):
        manual.backward(R, cache, dh_n=np.zeros(H))
    with pytest.raises(TypeError, match=r"dout has dtype float32, expected float64"):
        manual.backward(R.astype(np.float32), cache)


@pytest.mark.parametrize("bad", [np.nan, np.inf], ids=["nan", "inf"])
@pytest.mark.parametrize("reverse", [False, True], ids=["fwd", "rev"])
@pytest.mark.parametrize("cell", CELLS)
def test_non_finite_padding_never_reaches_the_reference(cell, reverse, bad):
    params, x, h0, c0, R, S, U = make_case(cell, seed=11)
    padded = x.copy()
    for n, length in enumerate(LENGTHS):
        x[length:, n] = 0.0
        padded[length:, n] = bad
    dc_n = U if has_c(cell) else None
    results = []
    for xs in (x, padded):
        out, h_n, _, cache = manual.forward(cell, xs, params, h0, c0, LENGTHS, reverse)
        res = manual.backward(R, cache, S, dc_n)
        results.append([out, h_n, res.dx, res.dh0, res.dh, *res.grads.values()])
    for clean, dirty in zip(*results, strict=True):
        assert np.isfinite(dirty).all()
        np.testing.assert_array_equal(dirty, clean)


def test_empty_batch():
    params, x, *_ = make_case("lstm")
    out, h_n, c_n, cache = manual.forward("lstm", x[:, :0], params, lengths=np.zeros(0, int))
    assert out.shape == (T, 0, H) and h_n.shape == c_n.shape == (0, H)
    res = manual.backward(out, cache)
    assert res.dx.shape == (T, 0, I) and not res.grads["weight_hh"].any()


def test_complex_input_is_refused():
    params = {"weight_ih": np.ones((4, 3)), "weight_hh": np.ones((4, 4))}
    with pytest.raises(TypeError, match="x must be a floating-point ndarray"):
        manual.forward("rnn", np.ones((5, 2, 3), np.complex128), params)
