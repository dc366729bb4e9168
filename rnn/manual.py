"""Hand-derived forward pass and backpropagation through time, in plain NumPy.

The independent reference for ``rnn.cells`` / ``rnn.layers``: same equations, same
parameter layout as ``torch.nn.RNN`` / ``LSTM`` / ``GRU``, gradients derived by hand.
It imports only NumPy, never minigrad.

Parameters of one layer and direction are a dict

    weight_ih (G*H, I)   weight_hh (G*H, H)   bias_ih (G*H,)   bias_hh (G*H,)

with G = 1 (RNN), 4 (LSTM, gates i, f, g, o) or 3 (GRU, gates r, z, n). A bias that is
absent or None is not used and gets no gradient.

Every function comes as a pair, ``*_forward -> (..., cache)`` and ``*_backward(d..., cache)``.
The per-step functions are the textbook reading; the sequence functions ``forward`` /
``backward`` are the fast path: the input projection ``x_t W_ih^T + b_ih`` of all steps is one
matmul before the loop, and the weight gradients and ``dx`` are one matmul each after it.
Both share one step core per cell, which takes the precomputed input projection ``xp``.

dtype is preserved: float32 in, float32 out and float32 gradients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "BackwardResult",
    "SequenceCache",
    "backward",
    "forward",
    "gru_step_backward",
    "gru_step_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "reverse_padded",
    "rnn_step_backward",
    "rnn_step_forward",
]

Params = dict[str, Any]

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def _sigmoid(a: np.ndarray) -> np.ndarray:
    # σ(a) = 1 / (1 + e^{-a}) = e^{a} / (1 + e^{a}); e^{-|a|} <= 1 never overflows.
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


# ---------------------------------------------------------------------------------------------
# Step cores. Each takes xp = x_t W_ih^T + b_ih (N, G*H), already computed, and returns the new
# state and a cache. Each backward returns (dxp, dhp, dh_prev, dc_prev): dxp is dL/dxp, dhp is
# dL/d(h_{t-1} W_hh^T + b_hh) (equal to dxp except for GRU's n gate), both (N, G*H).
# ---------------------------------------------------------------------------------------------


def _rnn_core(xp, h_prev, c_prev, w_hh, b_hh, nonlinearity):
    # h_t = act(a_t),  a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    a = xp + h_prev @ w_hh.T
    if b_hh is not None:
        a = a + b_hh
    h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    return h, None, (h, w_hh, nonlinearity)


def _rnn_core_backward(dh, dc, cache):
    h, w_hh, nonlinearity = cache
    # da_t = dh_t * act'(a_t): tanh' = 1 - h_t^2, relu' = [h_t > 0]
    da = dh * (1 - h * h) if nonlinearity == "tanh" else dh * (h > 0)
    # dh_{t-1} = W_hh^T da_t
    return da, da, da @ w_hh, None


def _lstm_core(xp, h_prev, c_prev, w_hh, b_hh, nonlinearity):
    a = xp + h_prev @ w_hh.T
    if b_hh is not None:
        a = a + b_hh
    ai, af, ag, ao = np.split(a, 4, axis=1)
    # i, f, o = σ(a_i), σ(a_f), σ(a_o);  g = tanh(a_g)
    i, f, g, o = _sigmoid(ai), _sigmoid(af), np.tanh(ag), _sigmoid(ao)
    # c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t)
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return h, c, (c_prev, i, f, g, o, tanh_c, w_hh)


def _lstm_core_backward(dh, dc, cache):
    c_prev, i, f, g, o, tanh_c, w_hh = cache
    # dc_t (total) = dc_t (from t+1) + dh_t * o * (1 - tanh(c_t)^2)
    dc = dc + dh * o * (1 - tanh_c * tanh_c)
    # σ' = σ (1 - σ), tanh' = 1 - tanh^2
    dai = dc * g * i * (1 - i)
    daf = dc * c_prev * f * (1 - f)
    dag = dc * i * (1 - g * g)
    dao = dh * tanh_c * o * (1 - o)
    da = np.concatenate([dai, daf, dag, dao], axis=1)
    # dh_{t-1} = W_hh^T da_t;  dc_{t-1} = dc_t * f
    return da, da, da @ w_hh, dc * f


def _gru_core(xp, h_prev, c_prev, w_hh, b_hh, nonlinearity):
    hp = h_prev @ w_hh.T
    if b_hh is not None:
        hp = hp + b_hh
    xr, xz, xn = np.split(xp, 3, axis=1)
    hr, hz, hn = np.split(hp, 3, axis=1)
    # r = σ(W_ir x + b_ir + W_hr h + b_hr);  z = σ(W_iz x + b_iz + W_hz h + b_hz)
    r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
    # n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h_t = (1 - z) * n + z * h_{t-1}
    n = np.tanh(xn + r * hn)
    h = (1 - z) * n + z * h_prev
    return h, None, (h_prev, r, z, n, hn, w_hh)


def _gru_core_backward(dh, dc, cache):
    h_prev, r, z, n, hn, w_hh = cache
    dan = dh * (1 - z) * (1 - n * n)  # dL/d(pre-tanh of n)
    dar = dan * hn * r * (1 - r)
    daz = dh * (h_prev - n) * z * (1 - z)
    dxp = np.concatenate([dar, daz, dan], axis=1)
    # the hidden part of n enters as r * (W_hn h + b_hn), so its gradient is scaled by r
    dhp = np.concatenate([dar, daz, dan * r], axis=1)
    # dh_{t-1} = W_hh^T dhp + dh_t * z
    return dxp, dhp, dhp @ w_hh + dh * z, None


_CORES = {
    "rnn": (_rnn_core, _rnn_core_backward),
    "lstm": (_lstm_core, _lstm_core_backward),
    "gru": (_gru_core, _gru_core_backward),
}


# ---------------------------------------------------------------------------------------------
# Validation and parameter gradients, shared by the step and sequence functions.
# ---------------------------------------------------------------------------------------------


def _unpack(where: str, cell: str, params: Params, x: np.ndarray, nonlinearity: str):
    """Check cell, params and x; return (w_ih, w_hh, b_ih, b_hh, H)."""
    if cell not in GATES:
        raise ValueError(f"{where}: cell must be one of {sorted(GATES)}, got {cell!r}")
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{where}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{where}: x must be a floating-point ndarray, got {type(x).__name__}")
    for key in ("weight_ih", "weight_hh"):
        if params.get(key) is None:
            raise ValueError(f"{where}: params has no {key!r}")
    # bias=False: the bias keys are absent or None
    p = {k: np.asarray(params[k]) for k in PARAM_NAMES if params.get(k) is not None}
    for key, value in p.items():
        if value.dtype != x.dtype:
            raise TypeError(f"{where}: {key} has dtype {value.dtype} but x has {x.dtype}")
    w_ih, w_hh, b_ih, b_hh = (p.get(k) for k in PARAM_NAMES)
    G = GATES[cell]
    if w_hh.ndim != 2 or w_hh.shape[0] != G * w_hh.shape[1]:
        raise ValueError(
            f"{where}: weight_hh must have shape ({G}*H, H) for {cell}, got {w_hh.shape}"
        )
    H = w_hh.shape[1]
    if w_ih.ndim != 2 or w_ih.shape[0] != G * H:
        raise ValueError(f"{where}: weight_ih must have shape ({G * H}, I), got {w_ih.shape}")
    if x.shape[-1] != w_ih.shape[1]:
        raise ValueError(
            f"{where}: x has input size {x.shape[-1]} but weight_ih expects {w_ih.shape[1]}"
        )
    for key, b in (("bias_ih", b_ih), ("bias_hh", b_hh)):
        if b is not None and b.shape != (G * H,):
            raise ValueError(f"{where}: {key} must have shape ({G * H},), got {b.shape}")
    return w_ih, w_hh, b_ih, b_hh, H


def _check_state(
    where: str, name: str, state: np.ndarray | None, shape: tuple, dtype
) -> np.ndarray:
    """Return state, or zeros of shape when it is None; raise if its shape or dtype is wrong."""
    if state is None:
        return np.zeros(shape, dtype=dtype)
    if state.shape != shape:
        raise ValueError(f"{where}: {name} must have shape {shape}, got {state.shape}")
    if state.dtype != dtype:
        raise TypeError(f"{where}: {name} has dtype {state.dtype}, expected {np.dtype(dtype)}")
    return state


def _param_grads(dxp, dhp, x, h_prev, has_b_ih: bool, has_b_hh: bool) -> dict[str, np.ndarray]:
    """Weight and bias gradients from stacked pre-activation gradients.

    dxp, dhp: (M, G*H), x: (M, I), h_prev: (M, H), with M = N (one step) or T*N (all steps).
    dW_ih = dxp^T x,  dW_hh = dhp^T h_prev,  db_ih = sum_rows dxp,  db_hh = sum_rows dhp.
    """
    grads = {"weight_ih": dxp.T @ x, "weight_hh": dhp.T @ h_prev}
    if has_b_ih:
        grads["bias_ih"] = dxp.sum(axis=0)
    if has_b_hh:
        grads["bias_hh"] = dhp.sum(axis=0)
    return grads


# ---------------------------------------------------------------------------------------------
# One time step: the textbook reading. x (N, I), h_prev and c_prev (N, H).
# ---------------------------------------------------------------------------------------------


def _step_forward(where, cell, x, h_prev, c_prev, params, nonlinearity="tanh"):
    w_ih, w_hh, b_ih, b_hh, H = _unpack(where, cell, params, x, nonlinearity)
    if x.ndim != 2:
        raise ValueError(f"{where}: x must have shape (N, I), got {x.shape}")
    N = x.shape[0]
    h_prev = _check_state(where, "h_prev", h_prev, (N, H), x.dtype)
    if cell == "lstm":
        c_prev = _check_state(where, "c_prev", c_prev, (N, H), x.dtype)
    xp = x @ w_ih.T
    if b_ih is not None:
        xp = xp + b_ih
    h, c, core_cache = _CORES[cell][0](xp, h_prev, c_prev, w_hh, b_hh, nonlinearity)
    return h, c, (cell, x, h_prev, w_ih, b_ih is not None, b_hh is not None, core_cache)


def _step_backward(dh, dc, cache):
    cell, x, h_prev, w_ih, has_b_ih, has_b_hh, core_cache = cache
    where = f"manual.{cell}_step_backward"
    dh = _check_state(where, "dh", dh, h_prev.shape, h_prev.dtype)
    if cell == "lstm":
        dc = _check_state(where, "dc", dc, h_prev.shape, h_prev.dtype)
    dxp, dhp, dh_prev, dc_prev = _CORES[cell][1](dh, dc, core_cache)
    # dx_t = W_ih^T dxp
    return dxp @ w_ih, dh_prev, dc_prev, _param_grads(dxp, dhp, x, h_prev, has_b_ih, has_b_hh)


def rnn_step_forward(
    x: np.ndarray, h_prev: np.ndarray | None, params: Params, nonlinearity: str = "tanh"
) -> tuple[np.ndarray, tuple]:
    """One vanilla RNN step: h = act(x W_ih^T + b_ih + h_prev W_hh^T + b_hh).

    x (N, I), h_prev (N, H) or None for zeros; act is tanh or relu. Returns h (N, H), cache.
    """
    h, _, cache = _step_forward(
        "manual.rnn_step_forward", "rnn", x, h_prev, None, params, nonlinearity
    )
    return h, cache


def rnn_step_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, dict]:
    """Backward of :func:`rnn_step_forward`. dh (N, H) -> dx (N, I), dh_prev (N, H), grads."""
    dx, dh_prev, _, grads = _step_backward(dh, None, cache)
    return dx, dh_prev, grads


def lstm_step_forward(
    x: np.ndarray, h_prev: np.ndarray | None, c_prev: np.ndarray | None, params: Params
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One LSTM step, gates (i, f, g, o) stacked in that order along weight rows.

    i, f, o = σ(.), g = tanh(.) of x W_ih^T + b_ih + h_prev W_hh^T + b_hh (per gate block);
    c = f * c_prev + i * g;  h = o * tanh(c).
    x (N, I), h_prev and c_prev (N, H) or None for zeros. Returns h (N, H), c (N, H), cache.
    """
    return _step_forward("manual.lstm_step_forward", "lstm", x, h_prev, c_prev, params)


def lstm_step_backward(
    dh: np.ndarray, dc: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Backward of :func:`lstm_step_forward`.

    dh, dc (N, H) -> dx (N, I), dh_prev (N, H), dc_prev (N, H), grads {param name: array}.
    """
    return _step_backward(dh, dc, cache)


def gru_step_forward(
    x: np.ndarray, h_prev: np.ndarray | None, params: Params
) -> tuple[np.ndarray, tuple]:
    """One GRU step, gates (r, z, n) stacked in that order along weight rows.

    r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h.
    x (N, I), h_prev (N, H) or None for zeros. Returns h' (N, H), cache.
    """
    h, _, cache = _step_forward("manual.gru_step_forward", "gru", x, h_prev, None, params)
    return h, cache


def gru_step_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, dict]:
    """Backward of :func:`gru_step_forward`. dh (N, H) -> dx (N, I), dh_prev (N, H), grads."""
    dx, dh_prev, _, grads = _step_backward(dh, None, cache)
    return dx, dh_prev, grads


# ---------------------------------------------------------------------------------------------
# A whole sequence, one layer, one direction.
# ---------------------------------------------------------------------------------------------


@dataclass
class SequenceCache:
    """What :func:`backward` needs from :func:`forward`; treat as opaque."""

    cell: str
    x: np.ndarray  # (T, N, I), in processing order (already reversed when reverse=True)
    h_prev: np.ndarray  # (T, N, H): the state entering each step
    weight_ih: np.ndarray
    has_bias_ih: bool
    has_bias_hh: bool
    masks: np.ndarray | None  # (T, N, 1), 1 where t < lengths[n]; None without lengths
    lengths: np.ndarray | None
    reverse: bool
    steps: list  # one core cache per step


@dataclass
class BackwardResult:
    """Gradients from :func:`backward`.

    dx (T, N, I); dh0 (N, H); dc0 (N, H) for LSTM, else None; grads {param name: array}
    for every parameter present. dh (T, N, H): dh[t] = dL/dh_t, the total gradient of the
    hidden state after step t (from out_t and from every later step). At a padded step
    h_t is the carried state, out_t = 0, and dh[t] is the gradient flowing through the carry.
    dc (T, N, H) likewise for the LSTM cell state, else None. With reverse=True, dh[t] and
    dc[t] are at the original time index t, like out.
    """

    dx: np.ndarray
    dh0: np.ndarray
    dc0: np.ndarray | None
    grads: dict[str, np.ndarray]
    dh: np.ndarray
    dc: np.ndarray | None


def _check_lengths(where: str, lengths: Sequence[int] | np.ndarray | None, T: int, N: int):
    if lengths is None:
        return None
    arr = np.asarray(lengths)
    if arr.shape != (N,) or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"{where}: lengths must be {N} integers (one per batch entry), got {lengths!r}"
        )
    if arr.min() < 1 or arr.max() > T:
        raise ValueError(f"{where}: lengths must lie in [1, {T}], got {arr.tolist()}")
    return arr


def reverse_padded(x: np.ndarray, lengths: Sequence[int] | np.ndarray | None = None) -> np.ndarray:
    """Reverse each sequence of a padded batch within its own length.

    x (T, N, ...). Entry n's steps 0 .. lengths[n]-1 are reversed; its padding steps
    t >= lengths[n] stay where they are. Without lengths, the whole time axis is reversed.
    The map is its own inverse.
    """
    if lengths is None:
        return x[::-1].copy()
    T = x.shape[0]
    lengths = np.asarray(lengths)
    t = np.arange(T)[:, None]
    # source index: len_n - 1 - t inside the sequence, t in the padding
    index = np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)
    index = index.reshape(index.shape + (1,) * (x.ndim - 2))
    return np.take_along_axis(x, index, axis=0)


def forward(
    cell: str,
    x: np.ndarray,
    params: Params,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    lengths: Sequence[int] | np.ndarray | None = None,
    reverse: bool = False,
    nonlinearity: str = "tanh",
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, SequenceCache]:
    """Run one cell over a sequence: one layer, one direction.

    cell: "rnn", "lstm" or "gru"; x (T, N, I); h0, c0 (N, H) or None for zeros (c0 only for
    LSTM); lengths: one int per batch entry in [1, T], or None for all T. A step
    t >= lengths[n] leaves entry n's state unchanged and outputs zero, so with the mask
    m_t = [t < lengths[n]]:  h_t = m_t h'_t + (1 - m_t) h_{t-1},  out_t = m_t h'_t.
    reverse=True runs each sequence from its own last valid step back to 0 (as PyTorch's
    packed bidirectional layers do) and writes out_t at its original index t.

    Returns out (T, N, H), h_n (N, H), c_n (N, H) for LSTM else None, cache.
    """
    where = "manual.forward"
    w_ih, w_hh, b_ih, b_hh, H = _unpack(where, cell, params, x, nonlinearity)
    if x.ndim != 3:
        raise ValueError(f"{where}: x must have shape (T, N, I), got {x.shape}")
    if cell != "lstm" and c0 is not None:
        raise ValueError(f"{where}: c0 is only used by the lstm cell, got cell {cell!r}")
    T, N, I = x.shape
    h = _check_state(where, "h0", h0, (N, H), x.dtype)
    c = _check_state(where, "c0", c0, (N, H), x.dtype) if cell == "lstm" else None
    lengths = _check_lengths(where, lengths, T, N)
    if reverse:
        x = reverse_padded(x, lengths)
    masks = None
    if lengths is not None:
        masks = (np.arange(T)[:, None] < lengths[None, :]).astype(x.dtype)[:, :, None]

    # x_t W_ih^T + b_ih for all steps in one matmul
    xp = (x.reshape(T * N, I) @ w_ih.T).reshape(T, N, -1)
    if b_ih is not None:
        xp += b_ih
    step = _CORES[cell][0]
    out = np.empty((T, N, H), dtype=x.dtype)
    h_prev = np.empty((T, N, H), dtype=x.dtype)
    steps = []
    for t in range(T):
        h_prev[t] = h
        h_new, c_new, step_cache = step(xp[t], h, c, w_hh, b_hh, nonlinearity)
        steps.append(step_cache)
        if masks is None:
            h, c = h_new, c_new
            out[t] = h_new
        else:
            m = masks[t]
            out[t] = m * h_new
            h = m * h_new + (1 - m) * h
            if c is not None:
                c = m * c_new + (1 - m) * c
    if reverse:
        out = reverse_padded(out, lengths)
    cache = SequenceCache(
        cell, x, h_prev, w_ih, b_ih is not None, b_hh is not None, masks, lengths, reverse, steps
    )
    return out, h, c, cache


def backward(
    dout: np.ndarray | None,
    cache: SequenceCache,
    dh_n: np.ndarray | None = None,
    dc_n: np.ndarray | None = None,
) -> BackwardResult:
    """Backpropagation through time for :func:`forward`.

    dout (T, N, H) = dL/dout; dh_n, dc_n (N, H) = dL/dh_n, dL/dc_n; each None for zeros.
    Loops t = T-1 .. 0 carrying dh_next (and dc_next): dh_t = m_t dout_t + dh_next;
    the cell receives m_t dh_t and the carry (1 - m_t) dh_t passes straight to h_{t-1}.
    """
    where = "manual.backward"
    T, N, H = cache.h_prev.shape
    dtype = cache.x.dtype
    dout = _check_state(where, "dout", dout, (T, N, H), dtype)
    dh_next = _check_state(where, "dh_n", dh_n, (N, H), dtype)
    is_lstm = cache.cell == "lstm"
    if not is_lstm and dc_n is not None:
        raise ValueError(f"{where}: dc_n is only used by the lstm cell, got cell {cache.cell!r}")
    dc_next = _check_state(where, "dc_n", dc_n, (N, H), dtype) if is_lstm else None
    if cache.reverse:
        dout = reverse_padded(dout, cache.lengths)

    step_backward = _CORES[cache.cell][1]
    GH = cache.weight_ih.shape[0]
    dxp = np.empty((T, N, GH), dtype=dtype)
    dhp = np.empty((T, N, GH), dtype=dtype)
    dh = np.empty((T, N, H), dtype=dtype)
    dc = np.empty((T, N, H), dtype=dtype) if is_lstm else None
    for t in range(T - 1, -1, -1):
        if cache.masks is None:
            dh[t] = dh_next + dout[t]
            if is_lstm:
                dc[t] = dc_next
            dxp[t], dhp[t], dh_next, dc_next = step_backward(dh[t], dc_next, cache.steps[t])
        else:
            m = cache.masks[t]
            dh[t] = dh_next + m * dout[t]
            if is_lstm:
                dc[t] = dc_next
                dc_new = m * dc_next
            else:
                dc_new = None
            dxp[t], dhp[t], dh_cell, dc_cell = step_backward(m * dh[t], dc_new, cache.steps[t])
            dh_next = dh_cell + (1 - m) * dh[t]
            if is_lstm:
                dc_next = dc_cell + (1 - m) * dc[t]

    # weight, bias and input gradients for all steps at once
    dxp2, dhp2 = dxp.reshape(T * N, GH), dhp.reshape(T * N, GH)
    grads = _param_grads(
        dxp2,
        dhp2,
        cache.x.reshape(T * N, -1),
        cache.h_prev.reshape(T * N, H),
        cache.has_bias_ih,
        cache.has_bias_hh,
    )
    dx = (dxp2 @ cache.weight_ih).reshape(T, N, -1)
    if cache.reverse:
        dx = reverse_padded(dx, cache.lengths)
        dh = reverse_padded(dh, cache.lengths)
        dc = reverse_padded(dc, cache.lengths) if is_lstm else None
    return BackwardResult(dx, dh_next, dc_next, grads, dh, dc)
