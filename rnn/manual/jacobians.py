"""Step Jacobians ∂s_t/∂s_{t-1} of each cell, derived by hand, for many states at once.

The state s is h for the RNN and GRU and the joint (h, c) for the LSTM (s = [h; c], 2H
long). Each function takes the input projections ``xp = x W_ih^T + b_ih`` (N, G*H) and the
previous states (N, H) (and c (N, H)) of N independent steps, and returns the N Jacobians
(N, D, D), row i holding ∂s_t[i]/∂s_{t-1}. With σ' = σ(1 - σ) and tanh' = 1 - tanh²:

RNN, h' = act(a), a = xp + W h + b:   J = diag(act'(a)) W.

GRU, gates r, z from W_r, W_z, candidate n = tanh(x_n + r ⊙ (W_n h + b_n)),
h' = (1 - z) ⊙ n + z ⊙ h:

    ∂r/∂h = diag(σ'_r) W_r,   ∂z/∂h = diag(σ'_z) W_z,
    ∂n/∂h = diag(1 - n²) (diag(W_n h + b_n) ∂r/∂h + diag(r) W_n),
    J = diag(1 - z) ∂n/∂h + diag(h - n) ∂z/∂h + diag(z).

LSTM, gates i, f, g, o, c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c'):

    ∂c'/∂h = diag(c σ'_f) W_f + diag(g σ'_i) W_i + diag(i (1 - g²)) W_g,   ∂c'/∂c = diag(f),
    ∂h'/∂h = diag(tanh(c') σ'_o) W_o + diag(o (1 - tanh²c')) ∂c'/∂h,
    ∂h'/∂c = diag(o (1 - tanh²c') f),
    J = [[∂h'/∂h, ∂h'/∂c], [∂c'/∂h, ∂c'/∂c]].

This module imports only NumPy.
"""

from __future__ import annotations

import numpy as np

from .core import sigmoid

__all__ = ["gru_step_jacobians", "lstm_step_jacobians", "rnn_step_jacobians"]


def _rows(d: np.ndarray, w: np.ndarray) -> np.ndarray:
    """diag(d_n) W for each of the N rows of d (N, H): (N, H, H)."""
    return d[:, :, None] * w[None, :, :]


def rnn_step_jacobians(
    xp: np.ndarray,
    h: np.ndarray,
    w_hh: np.ndarray,
    b_hh: np.ndarray | None,
    nonlinearity: str = "tanh",
) -> np.ndarray:
    """J = diag(act'(a)) W_hh for each of the N steps; xp (N, H), h (N, H) -> (N, H, H).
    For modrelu (b_hh its threshold, not a summand of a) act'(a) = [|a| + b_hh > 0] off a = 0."""
    if nonlinearity == "modrelu":
        a = xp + h @ w_hh.T
        b = 0 if b_hh is None else b_hh
        slope = ((np.abs(a) + b > 0) * np.abs(np.sign(a))).astype(a.dtype)
        return _rows(slope, w_hh)
    a = xp + h @ w_hh.T + (0 if b_hh is None else b_hh)
    slope = 1 - np.tanh(a) ** 2 if nonlinearity == "tanh" else (a > 0).astype(a.dtype)
    return _rows(slope, w_hh)


def gru_step_jacobians(
    xp: np.ndarray, h: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray | None
) -> np.ndarray:
    """The GRU's J (module docstring) for each of the N steps; xp (N, 3H), h (N, H)."""
    hp = h @ w_hh.T + (0 if b_hh is None else b_hh)
    xr, xz, xn = np.split(xp, 3, axis=1)
    hr, hz, hn = np.split(hp, 3, axis=1)
    wr, wz, wn = np.split(w_hh, 3, axis=0)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    dr = _rows(r * (1 - r), wr)
    dz = _rows(z * (1 - z), wz)
    dn = (1 - n * n)[:, :, None] * (hn[:, :, None] * dr + _rows(r, wn))
    J = (1 - z)[:, :, None] * dn + (h - n)[:, :, None] * dz
    idx = np.arange(h.shape[1])
    J[:, idx, idx] += z
    return J


def lstm_step_jacobians(
    xp: np.ndarray, h: np.ndarray, c: np.ndarray, w_hh: np.ndarray, b_hh: np.ndarray | None
) -> np.ndarray:
    """The LSTM's J over s = [h; c] (module docstring); xp (N, 4H), h, c (N, H) -> (N, 2H, 2H)."""
    a = xp + h @ w_hh.T + (0 if b_hh is None else b_hh)
    ai, af, ag, ao = np.split(a, 4, axis=1)
    wi, wf, wg, wo = np.split(w_hh, 4, axis=0)
    i, f, g, o = sigmoid(ai), sigmoid(af), np.tanh(ag), sigmoid(ao)
    c_new = f * c + i * g
    tc = np.tanh(c_new)
    dc_dh = _rows(c * f * (1 - f), wf) + _rows(g * i * (1 - i), wi) + _rows(i * (1 - g * g), wg)
    through_c = o * (1 - tc * tc)
    dh_dh = _rows(tc * o * (1 - o), wo) + through_c[:, :, None] * dc_dh
    N, H = h.shape
    J = np.zeros((N, 2 * H, 2 * H), dtype=h.dtype)
    idx = np.arange(H)
    J[:, :H, :H] = dh_dh
    J[:, idx, H + idx] = through_c * f
    J[:, H:, :H] = dc_dh
    J[:, H + idx, H + idx] = f
    return J
