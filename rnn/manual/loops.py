"""The time loops of the fast sequence functions: one forward and one backward per cell.

:mod:`rnn.manual.sequence` runs the built-in kinds (RNN, LSTM, GRU) through these loops
and any other registered kind through its step core. They are written for speed with
plain NumPy (this is the reference the benchmarks measure minigrad against), and are
checked against the textbook step cores and against autodiff all the same:

- every array a loop writes is allocated once per sequence, and each step writes its
  results into views of those arrays (``out=``): no per-step split, concatenate, cache
  tuple or state copy. The views of every step are made before the loop (iterating an
  array over its first axis yields them at C speed) and zipped together;
- the state after step t is ``hs[t + 1]`` (``hs[0]`` is h0), so ``hs[:-1]`` is the state
  entering every step, ready for the one weight-gradient GEMM after the loop;
- the gate pre-activations are overwritten by the gate values in place; sigmoid gates
  side by side (GRU r|z, LSTM i|f) go through one sigmoid, ``σ(a) = (tanh(a/2) + 1) / 2``
  (one transcendental pass, no overflow);
- ``h W_hh^T`` multiplies by a C-contiguous copy of ``W_hh^T`` made once per sequence
  (``np.dot`` into an ``out=`` view is the cheapest call NumPy has for a small GEMM);
- ``pad`` (T, N, 1) is True where a step lies past its sequence's length: there the state
  is carried unchanged (``np.copyto(..., where=pad)``) and the cell gets no gradient;
  ``keep`` is its complement as 0.0 / 1.0.

Each ``*_forward(xp, hs, ...)`` fills ``hs[1:]`` from the input projection ``xp`` (T, N, G*H)
to which the caller has added every bias that can be added outside the loop. Each
``*_backward(dout, dh_next, ...)`` returns ``dh`` (T, N, H), the total gradient of each
state, leaves dL/dh0 in ``dh_next``, and writes the pre-activation gradients into arrays
that the caller turns into weight gradients with one GEMM each. This module imports only
NumPy.
"""

from __future__ import annotations

import numpy as np


def _sigmoid_(a: np.ndarray) -> None:
    """a <- σ(a) in place: σ(a) = (tanh(a / 2) + 1) / 2."""
    a *= 0.5
    np.tanh(a, out=a)
    a += 1.0
    a *= 0.5


def _sigmoid_grad(s: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out <- σ'(a) = s (1 - s) for s = σ(a)."""
    np.subtract(1.0, s, out=out)
    out *= s
    return out


def _tanh_grad(y: np.ndarray, out: np.ndarray) -> np.ndarray:
    """out <- tanh'(a) = 1 - y^2 for y = tanh(a)."""
    np.multiply(y, y, out=out)
    np.subtract(1.0, out, out=out)
    return out


def _or_none(a: np.ndarray | None, T: int):
    """a, or T Nones in its place (for zipping over time steps)."""
    return [None] * T if a is None else a


# ------------------------------------------------------------------------------------------
# vanilla RNN: h_t = act(a_t), a_t = x_t W_ih^T + h_{t-1} W_hh^T + b_ih + b_hh
# ------------------------------------------------------------------------------------------


def rnn_forward(xp, hs, w_hh, pad, relu: bool) -> None:
    """xp (T, N, H) with both biases added; fills hs[1:]."""
    w_hh_t = np.ascontiguousarray(w_hh.T)
    for a, h_prev, h, pad_t in zip(xp, hs[:-1], hs[1:], _or_none(pad, len(xp)), strict=True):
        np.dot(h_prev, w_hh_t, out=h)
        h += a
        if relu:
            np.maximum(h, 0.0, out=h)
        else:
            np.tanh(h, out=h)
        if pad_t is not None:
            np.copyto(h, h_prev, where=pad_t)


def rnn_backward(dout, dh_next, hs, w_hh, keep, pad, relu: bool, da):
    """da (T, N, H) receives dL/da_t = dh_t * act'(a_t) (zero past a sequence's end)."""
    T = len(dout)
    dh = np.empty_like(dout)
    w_hh = np.ascontiguousarray(w_hh)
    steps = zip(dout, dh, hs[1:], da, _or_none(keep, T), _or_none(pad, T), strict=True)
    for dout_t, dh_t, h, da_t, keep_t, pad_t in reversed(list(steps)):
        np.add(dout_t, dh_next, out=dh_t)
        g = dh_t if keep_t is None else dh_t * keep_t
        if relu:
            np.multiply(g, h > 0, out=da_t)
        else:
            _tanh_grad(h, da_t)
            da_t *= g
        np.dot(da_t, w_hh, out=dh_next)
        if pad_t is not None:
            dh_next += dh_t * pad_t
    return dh


# ------------------------------------------------------------------------------------------
# LSTM, gates (i, f, g, o):  c_t = f c_{t-1} + i g,  h_t = o tanh(c_t)
# ------------------------------------------------------------------------------------------


def _gate_views(gates: np.ndarray, bounds: tuple[tuple[int, int], ...]) -> list[np.ndarray]:
    """Column blocks [lo, hi) of gates (T, N, G*H), each (T, N, hi - lo)."""
    return [gates[:, :, lo:hi] for lo, hi in bounds]


def lstm_forward(xp, hs, cs, w_hh, pad):
    """xp (T, N, 4H) with both biases added becomes the gate values (i, f, g, o); fills
    hs[1:] and cs[1:] (cs[0] is c0). Returns tanh(c_t) (T, N, H)."""
    H = hs.shape[2]
    w_hh_t = np.ascontiguousarray(w_hh.T)
    tanh_c = np.empty_like(hs[1:])
    rec, ig = np.empty_like(xp[0]), np.empty_like(hs[0])
    blocks = _gate_views(xp, ((0, 2 * H), (0, H), (H, 2 * H), (2 * H, 3 * H), (3 * H, 4 * H)))
    T = len(xp)
    steps = zip(
        xp, *blocks, hs[:-1], hs[1:], cs[:-1], cs[1:], tanh_c, _or_none(pad, T), strict=True
    )
    for a, i_f, i, f, g, o, h_prev, h, c_prev, c, tc, pad_t in steps:
        np.dot(h_prev, w_hh_t, out=rec)
        a += rec
        _sigmoid_(i_f)
        np.tanh(g, out=g)
        _sigmoid_(o)
        np.multiply(f, c_prev, out=c)
        np.multiply(i, g, out=ig)
        c += ig
        np.tanh(c, out=tc)
        np.multiply(o, tc, out=h)
        if pad_t is not None:
            np.copyto(c, c_prev, where=pad_t)
            np.copyto(h, h_prev, where=pad_t)
    return tanh_c


def lstm_backward(dout, dh_next, dc_last, gates, cs, tanh_c, w_hh, keep, pad, da):
    """da (T, N, 4H) receives dL/da_t, the gradient of the gate pre-activations. Returns
    dh, dc (T, N, H) and dL/dc0; dc[t] is dL/dc_t with h_t held fixed (the part that comes
    from step t+1; dc[T-1] = dc_last). Leaves dL/dh0 in dh_next."""
    T, _, H = dout.shape
    w_hh = np.ascontiguousarray(w_hh)
    dh, dc = np.empty_like(dout), np.empty((T + 1, *dout.shape[1:]), dout.dtype)
    dc[T] = dc_last  # dc[1:] is returned: dc[t + 1] = dL/dc_t, dc[0] = dL/dc0
    tmp, dct = np.empty_like(dh_next), np.empty_like(dh_next)
    tmp2 = np.empty_like(gates[0, :, : 2 * H])
    bounds = ((0, 2 * H), (0, H), (H, 2 * H), (2 * H, 3 * H), (3 * H, 4 * H))
    steps = zip(
        dout, dh, dc[1:], dc[:-1], cs[:-1], tanh_c, *_gate_views(gates, bounds),
        da, *_gate_views(da, bounds), _or_none(keep, T), _or_none(pad, T), strict=True,
    )  # fmt: skip
    for dout_t, dh_t, dc_t, dc_prev, c_prev, tc, i_f, i, f, g, o, d, d_if, d_i, d_f, d_g, d_o, \
            keep_t, pad_t in reversed(list(steps)):  # fmt: skip
        np.add(dout_t, dh_next, out=dh_t)
        dh_in, dc_in = (dh_t, dc_t) if keep_t is None else (dh_t * keep_t, dc_t * keep_t)
        # dc_t (total) = dc_t (from t+1) + dh_t o (1 - tanh(c_t)^2)
        _tanh_grad(tc, tmp)
        tmp *= o
        tmp *= dh_in
        np.add(dc_in, tmp, out=dct)
        # i, f: dc g σ', dc c_{t-1} σ';  g: dc i (1 - g^2);  o: dh tanh(c) σ'
        np.multiply(dct, g, out=d_i)
        np.multiply(dct, c_prev, out=d_f)
        d_if *= _sigmoid_grad(i_f, tmp2)
        np.multiply(dct, i, out=d_g)
        d_g *= _tanh_grad(g, tmp)
        np.multiply(dh_in, tc, out=d_o)
        d_o *= _sigmoid_grad(o, tmp)
        # dh_{t-1} = da_t W_hh;  dc_{t-1} = dc_t f
        np.dot(d, w_hh, out=dh_next)
        np.multiply(dct, f, out=dc_prev)
        if pad_t is not None:
            dh_next += dh_t * pad_t
            dc_prev += dc_t * pad_t
    return dh, dc[1:], dc[0]


# ------------------------------------------------------------------------------------------
# GRU, gates (r, z, n):  n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)),
# h_t = (1 - z) n + z h_{t-1} = n + z (h_{t-1} - n)
# ------------------------------------------------------------------------------------------


def gru_forward(xp, hs, w_hh, b_hn, pad):
    """xp (T, N, 3H), with b_ih and the r, z parts of b_hh added, becomes the gate values
    (r, z, n). Returns hp (T, N, 3H), the recurrent part h_{t-1} W_hh^T (+ b_hn in the n
    block), whose n block backward needs."""
    H = hs.shape[2]
    w_hh_t = np.ascontiguousarray(w_hh.T)
    hp = np.empty_like(xp)
    tmp = np.empty_like(hs[0])
    rz3, bounds = (0, 2 * H), ((0, H), (H, 2 * H), (2 * H, 3 * H))
    steps = zip(
        hs[:-1], hs[1:], *_gate_views(xp, (rz3, *bounds)), hp, *_gate_views(hp, (rz3, bounds[2])),
        _or_none(pad, len(xp)), strict=True,
    )  # fmt: skip
    for h_prev, h, rz, r, z, n, p, p_rz, p_n, pad_t in steps:
        np.dot(h_prev, w_hh_t, out=p)
        if b_hn is not None:
            p_n += b_hn
        rz += p_rz
        _sigmoid_(rz)
        np.multiply(r, p_n, out=tmp)
        n += tmp
        np.tanh(n, out=n)
        np.subtract(h_prev, n, out=h)
        h *= z
        h += n
        if pad_t is not None:
            np.copyto(h, h_prev, where=pad_t)
    return hp


def gru_backward(dout, dh_next, gates, hs, hp, w_hh, keep, pad, dhp, dn):
    """dhp (T, N, 3H) receives the gradient of the recurrent pre-activations
    (dL/da_r, dL/da_z, dL/da_n * r) and dn (T, N, H) dL/da_n, the n block of the input
    pre-activations' gradient (their r, z blocks equal dhp's). Returns dh (T, N, H)."""
    T, _, H = dout.shape
    w_hh = np.ascontiguousarray(w_hh)
    dh = np.empty_like(dout)
    tmp = np.empty_like(dh_next)
    tmp2 = np.empty_like(gates[0, :, : 2 * H])
    bounds = ((0, 2 * H), (0, H), (H, 2 * H), (2 * H, 3 * H))
    steps = zip(
        dout, dh, hs[:-1], *_gate_views(gates, bounds), hp[:, :, 2 * H :],
        dhp, *_gate_views(dhp, bounds), dn, _or_none(keep, T), _or_none(pad, T), strict=True,
    )  # fmt: skip
    for dout_t, dh_t, h_prev, rz, r, z, n, p_n, d, d_rz, d_r, d_z, d_hn, dn_t, keep_t, pad_t \
            in reversed(list(steps)):  # fmt: skip
        np.add(dout_t, dh_next, out=dh_t)
        dh_in = dh_t if keep_t is None else dh_t * keep_t
        # da_n = dh (1 - z)(1 - n^2)
        np.multiply(dh_in, _tanh_grad(n, tmp), out=dn_t)
        np.subtract(1.0, z, out=tmp)
        dn_t *= tmp
        # da_r = da_n hn σ'(r);  da_z = dh (h_{t-1} - n) σ'(z);  d(hn) = da_n r
        np.multiply(dn_t, p_n, out=d_r)
        np.subtract(h_prev, n, out=d_z)
        d_z *= dh_in
        d_rz *= _sigmoid_grad(rz, tmp2)
        np.multiply(dn_t, r, out=d_hn)
        # dh_{t-1} = dhp_t W_hh + dh_t z
        np.dot(d, w_hh, out=dh_next)
        np.multiply(dh_in, z, out=tmp)
        dh_next += tmp
        if pad_t is not None:
            dh_next += dh_t * pad_t
    return dh
