"""A whole sequence through one layer and one direction: the fast hand-derived path.

The input projection ``x_t W_ih^T + b_ih`` of all steps is one matmul before the time loop,
and the weight gradients and ``dx`` are one matmul each after it; the loop itself calls the
cell's step core (:mod:`rnn.manual.steps`). dtype is preserved: float32 in, float32 out and
float32 gradients. This module imports only NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
    unpack,
)

__all__ = ["BackwardResult", "SequenceCache", "backward", "forward", "reverse_padded"]


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
    reference: ReferenceCell | None = None


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
    if arr.size and (arr.min() < 1 or arr.max() > T):
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
    cell: Any,
    x: np.ndarray,
    params: Params,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    lengths: Sequence[int] | np.ndarray | None = None,
    reverse: bool = False,
    nonlinearity: str = "tanh",
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, SequenceCache]:
    """Run one cell over a sequence: one layer, one direction.

    cell: a cell name ("rnn", "lstm", "gru" or a registered one) or a ``ReferenceCell``;
    x (T, N, I); h0, c0 (N, H) or None for zeros (c0 only for a cell with an (h, c) state
    such as LSTM); lengths: one int per batch entry in [1, T], or None for all T. A step
    t >= lengths[n] leaves entry n's state unchanged and outputs zero, and never reads x
    there (NaN padding is harmless and gets a zero gradient), so with the mask
    m_t = [t < lengths[n]]:  h_t = m_t h'_t + (1 - m_t) h_{t-1},  out_t = m_t h'_t.
    reverse=True runs each sequence from its own last valid step back to 0 (as PyTorch's
    packed bidirectional layers do) and writes out_t at its original index t.

    Returns out (T, N, H), h_n (N, H), c_n (N, H) for an (h, c) cell else None, cache.
    """
    where = "manual.forward"
    ref = reference_cell(cell, where)
    options = core_options(where, ref, nonlinearity)
    w_ih, w_hh, b_ih, b_hh, H = unpack(where, ref, params, x)
    if x.ndim != 3:
        raise ValueError(f"{where}: x must have shape (T, N, I), got {x.shape}")
    T, N, I = x.shape
    state = check_states(where, ref, ("h0", "c0"), (h0, c0), (N, H), x.dtype)
    lengths = _check_lengths(where, lengths, T, N)
    if reverse:
        x = reverse_padded(x, lengths)
    masks = None
    if lengths is not None:
        masks = (np.arange(T)[:, None] < lengths[None, :]).astype(x.dtype)[:, :, None]
        # the padding never reaches the computation, whatever it holds (NaN, inf)
        x = np.where(masks > 0, x, x.dtype.type(0))

    # x_t W_ih^T + b_ih for all steps in one matmul
    xp = (x.reshape(T * N, I) @ w_ih.T).reshape(T, N, w_ih.shape[0])
    if b_ih is not None:
        xp += b_ih
    out, h_prev, state, steps = _over_time(ref, xp, state, w_hh, b_hh, options, masks)
    if reverse:
        out = reverse_padded(out, lengths)
    has_bias = (b_ih is not None, b_hh is not None)
    cache = SequenceCache(ref.name, x, h_prev, w_ih, *has_bias, masks, lengths, reverse, steps, ref)
    c_n = state[1] if len(state) == 2 else None
    return out, state[0], c_n, cache


def _over_time(ref: ReferenceCell, xp, state, w_hh, b_hh, options, masks):
    """The loop t = 0 .. T-1 over the projected inputs xp (T, N, G*H). Returns out (T, N, H),
    the h entering each step (T, N, H), the final state and the per-step core caches."""
    T, N, H = xp.shape[0], xp.shape[1], state[0].shape[1]
    step = ref.forward
    out = np.empty((T, N, H), dtype=xp.dtype)
    h_prev = np.empty((T, N, H), dtype=xp.dtype)
    keep_masks = None if masks is None else 1 - masks
    steps = []
    for t in range(T):
        h_prev[t] = state[0]
        new, step_cache = step(xp[t], state, w_hh, b_hh, **options)
        steps.append(step_cache)
        if masks is None:
            state = new
            out[t] = new[0]
            continue
        m, keep = masks[t], keep_masks[t]
        out[t] = mh = m * new[0]
        if len(new) == 1:
            state = (mh + keep * state[0],)
        else:
            state = (mh + keep * state[0], m * new[1] + keep * state[1])
    return out, h_prev, state, steps


def _through_time(ref: ReferenceCell, cache: SequenceCache, dout: np.ndarray, dnext: tuple):
    """The loop t = T-1 .. 0. Returns dxp, dhp (T, N, G*H), dL/d(state after step t) per state
    (each (T, N, H)), and dL/d(initial state)."""
    T, N, H = cache.h_prev.shape
    GH = cache.weight_ih.shape[0]
    dxp = np.empty((T, N, GH), dtype=dout.dtype)
    dhp = np.empty((T, N, GH), dtype=dout.dtype)
    dstates = tuple(np.empty((T, N, H), dtype=dout.dtype) for _ in ref.state)
    step_backward, masks, two = ref.backward, cache.masks, len(dstates) == 2
    keep_masks = None if masks is None else 1 - masks
    for t in range(T - 1, -1, -1):
        dh = dnext[0] + dout[t] if masks is None else dnext[0] + masks[t] * dout[t]
        dstates[0][t] = dh
        cur = (dh, dnext[1]) if two else (dh,)
        if two:
            dstates[1][t] = dnext[1]
        if masks is None:
            dxp[t], dhp[t], dnext = step_backward(cur, cache.steps[t])
            continue
        # the cell gets m_t dstate_t; the carry (1 - m_t) dstate_t passes straight back
        m, keep = masks[t], keep_masks[t]
        dxp[t], dhp[t], dcell = step_backward(
            (m * dh, m * cur[1]) if two else (m * dh,), cache.steps[t]
        )
        dnext = (dcell[0] + keep * dh, dcell[1] + keep * cur[1]) if two else (dcell[0] + keep * dh,)
    return dxp, dhp, dstates, dnext


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
    ref = cache.reference if cache.reference is not None else reference_cell(cache.cell, where)
    T, N, H = cache.h_prev.shape
    dtype = cache.x.dtype
    dout = check_state(where, "dout", dout, (T, N, H), dtype)
    dnext = check_states(where, ref, ("dh_n", "dc_n"), (dh_n, dc_n), (N, H), dtype)
    if cache.reverse:
        dout = reverse_padded(dout, cache.lengths)
    dxp, dhp, dstates, d0 = _through_time(ref, cache, dout, dnext)

    # weight, bias and input gradients for all steps at once
    GH = cache.weight_ih.shape[0]
    dxp2, dhp2 = dxp.reshape(T * N, GH), dhp.reshape(T * N, GH)
    grads = param_grads(
        dxp2,
        dhp2,
        cache.x.reshape(T * N, cache.x.shape[2]),
        cache.h_prev.reshape(T * N, H),
        cache.has_bias_ih,
        cache.has_bias_hh,
    )
    dx = (dxp2 @ cache.weight_ih).reshape(T, N, cache.weight_ih.shape[1])
    dh, dc = dstates[0], (dstates[1] if len(dstates) == 2 else None)
    if cache.reverse:
        dx = reverse_padded(dx, cache.lengths)
        dh = reverse_padded(dh, cache.lengths)
        dc = None if dc is None else reverse_padded(dc, cache.lengths)
    return BackwardResult(dx, d0[0], d0[1] if len(d0) == 2 else None, grads, dh, dc)
