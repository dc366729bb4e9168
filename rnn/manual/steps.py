"""One time step of each cell, forward and backward, derived by hand (cs231n's form).

Each cell has a *core* pair working on the precomputed input projection
``xp = x W_ih^T + b_ih`` (see :mod:`rnn.manual.core`; the sequence functions call the cores
directly) and a textbook pair on raw inputs::

    *_step_forward(x, h_prev, ..., params) -> (h, ..., cache)
    *_step_backward(dh, ..., cache) -> (dx, dh_prev, ..., grads)

:func:`step_forward` / :func:`step_backward` are the same pair for any cell kind, given by
name or by :class:`~rnn.manual.core.ReferenceCell`. Parameters are a dict ``weight_ih``
(G*H, I), ``weight_hh`` (G*H, H), ``bias_ih``, ``bias_hh`` (G*H,) in PyTorch's layout; a
bias that is absent or None is not used and gets no gradient. This module imports only NumPy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import (
    Params,
    ReferenceCell,
    check_state,
    check_states,
    core_options,
    param_grads,
    reference_cell,
    register_reference,
    sigmoid,
    unpack,
)

__all__ = [
    "gru_step_backward",
    "gru_step_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "step_backward",
    "step_forward",
]

# ------------------------------------------------------------------------------ cores


def rnn_core(xp, state, w_hh, b_hh, nonlinearity="tanh"):
    """h_t = act(a_t),  a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh,  act = tanh or relu;
    modrelu: h_t = sign(a_t) max(|a_t| + b, 0) with a_t = W_ih x_t + b_ih + W_hh h_{t-1}
    and the threshold b = b_hh."""
    (h_prev,) = state
    a = xp + h_prev @ w_hh.T
    if nonlinearity == "modrelu":
        b_hh = 0 if b_hh is None else b_hh  # no biases: threshold 0, h = a
        h = np.sign(a) * np.maximum(np.abs(a) + b_hh, 0)
        return (h,), (h, w_hh, nonlinearity, a, b_hh)
    if b_hh is not None:
        a = a + b_hh
    h = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0)
    return (h,), (h, w_hh, nonlinearity)


def rnn_core_backward(dstate, cache):
    (dh,) = dstate
    h, w_hh, nonlinearity = cache[:3]
    if nonlinearity == "modrelu":
        a, b = cache[3:]
        # h = s max(|a| + b, 0) with s = sign(a): dh/db = s [|a| + b > 0] and
        # dh/da = s [|a| + b > 0] s = [|a| + b > 0] (|s| = 1 off a = 0, where it is 0)
        on = (np.abs(a) + b > 0) * np.sign(a)
        db = dh * on
        da = db * np.sign(a)
        return da, da, (da @ w_hh,), db
    # da_t = dh_t * act'(a_t): tanh' = 1 - h_t^2, relu' = [h_t > 0]
    da = dh * (1 - h * h) if nonlinearity == "tanh" else dh * (h > 0)
    # dh_{t-1} = W_hh^T da_t
    return da, da, (da @ w_hh,)


def lstm_core(xp, state, w_hh, b_hh):
    """Gates (i, f, g, o): i, f, o = σ(a_·), g = tanh(a_g); c_t = f c_{t-1} + i g;
    h_t = o tanh(c_t), with a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh split in four."""
    h_prev, c_prev = state
    a = xp + h_prev @ w_hh.T
    if b_hh is not None:
        a = a + b_hh
    ai, af, ag, ao = np.split(a, 4, axis=1)
    i, f, g, o = sigmoid(ai), sigmoid(af), np.tanh(ag), sigmoid(ao)
    c = f * c_prev + i * g
    tanh_c = np.tanh(c)
    h = o * tanh_c
    return (h, c), (c_prev, i, f, g, o, tanh_c, w_hh)


def lstm_core_backward(dstate, cache):
    dh, dc = dstate
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
    return da, da, (da @ w_hh, dc * f)


def gru_core(xp, state, w_hh, b_hh):
    """Gates (r, z, n): r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r * h_n),
    h_t = (1 - z) n + z h_{t-1}, with x_· blocks of xp and h_· of h_{t-1} W_hh^T + b_hh."""
    (h_prev,) = state
    hp = h_prev @ w_hh.T
    if b_hh is not None:
        hp = hp + b_hh
    xr, xz, xn = np.split(xp, 3, axis=1)
    hr, hz, hn = np.split(hp, 3, axis=1)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    h = (1 - z) * n + z * h_prev
    return (h,), (h_prev, r, z, n, hn, w_hh)


def gru_core_backward(dstate, cache):
    (dh,) = dstate
    h_prev, r, z, n, hn, w_hh = cache
    dan = dh * (1 - z) * (1 - n * n)  # dL/d(pre-tanh of n)
    dar = dan * hn * r * (1 - r)
    daz = dh * (h_prev - n) * z * (1 - z)
    dxp = np.concatenate([dar, daz, dan], axis=1)
    # the hidden part of n enters as r * (W_hn h + b_hn), so its gradient is scaled by r
    dhp = np.concatenate([dar, daz, dan * r], axis=1)
    # dh_{t-1} = W_hh^T dhp + dh_t * z
    return dxp, dhp, (dhp @ w_hh + dh * z,)


RNN = register_reference(
    ReferenceCell("rnn", 1, ("h",), rnn_core, rnn_core_backward, ("nonlinearity",))
)
LSTM = register_reference(ReferenceCell("lstm", 4, ("h", "c"), lstm_core, lstm_core_backward))
GRU = register_reference(ReferenceCell("gru", 3, ("h",), gru_core, gru_core_backward))

# ------------------------------------------------------------------------------ any cell


def _step_forward(where: str, ref: ReferenceCell, x, state, params, nonlinearity="tanh"):
    options = core_options(where, ref, nonlinearity)
    w_ih, w_hh, b_ih, b_hh, H = unpack(where, ref, params, x)
    if x.ndim != 2:
        raise ValueError(f"{where}: x must have shape (N, I), got {x.shape}")
    given = (*state, None) if len(state) == 1 else tuple(state)
    state = check_states(where, ref, ("h_prev", "c_prev"), given, (x.shape[0], H), x.dtype)
    xp = x @ w_ih.T
    if b_ih is not None:
        xp = xp + b_ih
    new, core_cache = ref.forward(xp, state, w_hh, b_hh, **options)
    return new, (ref, x, state[0], w_ih, b_ih is not None, b_hh is not None, core_cache)


def step_forward(
    cell: Any,
    x: np.ndarray,
    state: tuple[np.ndarray | None, ...],
    params: Params,
    nonlinearity: str = "tanh",
) -> tuple[tuple[np.ndarray, ...], tuple]:
    """One step of any cell kind (a name or a ``ReferenceCell``).

    x (N, I); state: one (N, H) array or None (zeros) per state of the cell, (h,) or (h, c).
    Returns the new state (same arity) and a cache for :func:`step_backward`.
    """
    ref = reference_cell(cell, "manual.step_forward")
    return _step_forward(f"manual.{ref.name}_step_forward", ref, x, state, params, nonlinearity)


def step_backward(
    dstate: tuple[np.ndarray | None, ...], cache: tuple
) -> tuple[np.ndarray, tuple[np.ndarray, ...], dict[str, np.ndarray]]:
    """Backward of :func:`step_forward`.

    dstate: dL/d(new state), one (N, H) array or None (zeros) per state. Returns dx (N, I),
    dL/d(previous state) (same arity) and grads {param name: array} for every parameter.
    """
    ref, x, h_prev, w_ih, has_b_ih, has_b_hh, core_cache = cache
    where = f"manual.{ref.name}_step_backward"
    dstate = tuple(
        check_state(where, name, ds, h_prev.shape, h_prev.dtype)
        for name, ds in zip(("dh", "dc"), dstate, strict=False)
    )
    dxp, dhp, dprev, *threshold = ref.backward(dstate, core_cache)
    grads = param_grads(dxp, dhp, x, h_prev, has_b_ih, has_b_hh)
    if threshold and has_b_hh:
        grads["bias_hh"] = threshold[0].sum(axis=0)
    # dx_t = W_ih^T dxp
    return dxp @ w_ih, dprev, grads


# ------------------------------------------------------------------------------ textbook pairs


def rnn_step_forward(
    x: np.ndarray, h_prev: np.ndarray | None, params: Params, nonlinearity: str = "tanh"
) -> tuple[np.ndarray, tuple]:
    """One vanilla RNN step: h = act(x W_ih^T + b_ih + h_prev W_hh^T + b_hh).

    Inputs: x (N, I); h_prev (N, H) or None for zeros; params weight_ih (H, I), weight_hh
    (H, H), bias_ih, bias_hh (H,); act is tanh or relu, or modrelu
    ``sign(a) max(|a| + b_hh, 0)`` with ``a = x W_ih^T + b_ih + h_prev W_hh^T`` (b_hh is
    then the threshold, not a summand). Returns h (N, H) and a cache.
    """
    (h,), cache = _step_forward("manual.rnn_step_forward", RNN, x, (h_prev,), params, nonlinearity)
    return h, cache


def rnn_step_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, dict]:
    """Backward of :func:`rnn_step_forward`.

    Inputs: dh (N, H) = dL/dh, cache. Returns dx (N, I), dh_prev (N, H) and grads
    {param name: array of the parameter's shape}.
    """
    dx, (dh_prev,), grads = step_backward((dh,), cache)
    return dx, dh_prev, grads


def lstm_step_forward(
    x: np.ndarray, h_prev: np.ndarray | None, c_prev: np.ndarray | None, params: Params
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """One LSTM step, gates (i, f, g, o) stacked in that order along weight rows.

    i, f, o = σ(.), g = tanh(.) of x W_ih^T + b_ih + h_prev W_hh^T + b_hh (per gate block);
    c = f * c_prev + i * g;  h = o * tanh(c).
    Inputs: x (N, I); h_prev, c_prev (N, H) or None for zeros; params weight_ih (4H, I),
    weight_hh (4H, H), bias_ih, bias_hh (4H,). Returns h (N, H), c (N, H) and a cache.
    """
    (h, c), cache = _step_forward("manual.lstm_step_forward", LSTM, x, (h_prev, c_prev), params)
    return h, c, cache


def lstm_step_backward(
    dh: np.ndarray, dc: np.ndarray, cache: tuple
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Backward of :func:`lstm_step_forward`.

    Inputs: dh, dc (N, H) = dL/dh, dL/dc (None for zeros), cache. Returns dx (N, I),
    dh_prev (N, H), dc_prev (N, H) and grads {param name: array}.
    """
    dx, (dh_prev, dc_prev), grads = step_backward((dh, dc), cache)
    return dx, dh_prev, dc_prev, grads


def gru_step_forward(
    x: np.ndarray, h_prev: np.ndarray | None, params: Params
) -> tuple[np.ndarray, tuple]:
    """One GRU step, gates (r, z, n) stacked in that order along weight rows.

    r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h.
    Inputs: x (N, I); h_prev (N, H) or None for zeros; params weight_ih (3H, I), weight_hh
    (3H, H), bias_ih, bias_hh (3H,). Returns h' (N, H) and a cache.
    """
    (h,), cache = _step_forward("manual.gru_step_forward", GRU, x, (h_prev,), params)
    return h, cache


def gru_step_backward(dh: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, dict]:
    """Backward of :func:`gru_step_forward`.

    Inputs: dh (N, H) = dL/dh', cache. Returns dx (N, I), dh_prev (N, H) and grads.
    """
    dx, (dh_prev,), grads = step_backward((dh,), cache)
    return dx, dh_prev, grads
