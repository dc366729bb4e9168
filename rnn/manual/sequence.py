"""A whole sequence through one layer and one direction: the fast hand-derived path.

``forward`` computes the input projection ``x_t W_ih^T`` of all steps in one matmul before
the time loop, and ``backward`` the weight and bias gradients with one matmul or sum each
after it (and ``dx`` only when asked for). The built-in kinds run the loops of
:mod:`rnn.manual.loops`, which fold every bias they can into the projection (b_ih + b_hh
for RNN and LSTM; b_ih and the r, z parts of b_hh for GRU) and write every step's results
into arrays allocated once; any other registered kind runs its step core
(:mod:`rnn.manual.steps`) at each step. dtype is preserved: float32 in, float32 out and
float32 gradients. This module imports only NumPy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import loops, steps
from .core import (
    Params,
    ReferenceCell,
    check_state,
    check_states,
    core_options,
    reference_cell,
    unpack,
)

__all__ = ["BackwardResult", "SequenceCache", "backward", "forward", "reverse_padded"]


@dataclass
class SequenceCache:
    """What :func:`backward` needs from :func:`forward`; treat as opaque.

    ``hs`` (T+1, N, H) holds h0 and the state after every step, in processing order.
    ``saved`` is what the loop keeps: for the built-in kinds the gate values (T, N, G*H)
    and the cell's other arrays, for any other kind one core cache per step.
    """

    cell: str
    x: np.ndarray  # (T, N, I), in processing order (already reversed when reverse=True)
    hs: np.ndarray
    weight_ih: np.ndarray
    weight_hh: np.ndarray
    has_bias_ih: bool
    has_bias_hh: bool
    keep: np.ndarray | None  # (T, N, 1), 1 where t < lengths[n]; None without lengths
    lengths: np.ndarray | None
    reverse: bool
    reference: ReferenceCell
    nonlinearity: str
    saved: tuple

    @property
    def h_prev(self) -> np.ndarray:
        """(T, N, H): the state entering each step."""
        return self.hs[:-1]


@dataclass
class BackwardResult:
    """Gradients from :func:`backward`.

    dx (T, N, I), or None with ``input_grad=False``; dh0 (N, H); dc0 (N, H) for LSTM,
    else None; grads {param name: array} for every parameter present. dh (T, N, H):
    dh[t] = dL/dh_t, the total gradient of the hidden state after step t (from out_t and
    from every later step). At a padded step h_t is the carried state, out_t = 0, and dh[t]
    is the gradient flowing through the carry. dc (T, N, H) likewise for the LSTM cell
    state (the part from step t+1, with h_t held fixed), else None. With reverse=True,
    dh[t] and dc[t] are at the original time index t, like out.
    """

    dx: np.ndarray | None
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


# ------------------------------------------------------------------------------ forward


def _loops(ref: ReferenceCell, nonlinearity: str) -> bool:
    """Whether :mod:`.loops` runs this kind (the built-in ones; an RNN with the modReLU,
    whose b_hh sits inside the step, runs its step core)."""
    if ref is steps.RNN:
        return nonlinearity != "modrelu"
    return ref in (steps.LSTM, steps.GRU)


def _projection(ref: ReferenceCell, x, w_ih, b_ih, b_hh, nonlinearity) -> np.ndarray:
    """x W_ih^T (T, N, G*H) plus every bias that does not sit inside the step."""
    T, N, I = x.shape
    xp = (x.reshape(T * N, I) @ w_ih.T).reshape(T, N, w_ih.shape[0])
    if b_ih is not None:
        xp += b_ih
    if nonlinearity == "modrelu":
        return xp
    if b_hh is not None and ref in (steps.RNN, steps.LSTM):
        xp += b_hh
    elif b_hh is not None and ref is steps.GRU:
        # b_hn is multiplied by r inside the step; b_hr and b_hz only add
        H = b_hh.shape[0] // 3
        xp[:, :, : 2 * H] += b_hh[: 2 * H]
    return xp


def _loop_forward(ref: ReferenceCell, xp, hs, c0, w_hh, b_hh, pad, nonlinearity) -> tuple:
    """Run a built-in kind's loop; returns (c_n or None, what its backward needs)."""
    if ref is steps.LSTM:
        cs = np.empty_like(hs)
        cs[0] = c0
        return cs[-1], (xp, cs, loops.lstm_forward(xp, hs, cs, w_hh, pad))
    if ref is steps.GRU:
        b_hn = None if b_hh is None else b_hh[2 * (b_hh.shape[0] // 3) :]
        return None, (xp, loops.gru_forward(xp, hs, w_hh, b_hn, pad))
    loops.rnn_forward(xp, hs, w_hh, pad, nonlinearity == "relu")
    return None, ()


def _core_forward(ref, xp, hs, state, w_hh, b_hh, keep, options) -> tuple:
    """Any other kind: its step core at every step; returns (c_n or None, core caches)."""
    caches = []
    for t in range(xp.shape[0]):
        new, step_cache = ref.forward(xp[t], state, w_hh, b_hh, **options)
        caches.append(step_cache)
        if keep is None:
            state = new
        else:
            m = keep[t]
            state = tuple(m * s_new + (1 - m) * s for s_new, s in zip(new, state, strict=True))
        hs[t + 1] = state[0]
    return (state[1] if len(state) == 2 else None), tuple(caches)


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
    Without lengths and reverse, out, h_n and c_n are views of arrays the cache holds:
    copy them before writing into them if :func:`backward` is still to run.
    """
    where = "manual.forward"
    ref = reference_cell(cell, where)
    options = core_options(where, ref, nonlinearity)
    w_ih, w_hh, b_ih, b_hh, H = unpack(where, ref, params, x)
    if x.ndim != 3:
        raise ValueError(f"{where}: x must have shape (T, N, I), got {x.shape}")
    T, N, _ = x.shape
    state = check_states(where, ref, ("h0", "c0"), (h0, c0), (N, H), x.dtype)
    lengths = _check_lengths(where, lengths, T, N)
    if reverse:
        x = reverse_padded(x, lengths)
    keep = pad = None
    if lengths is not None:
        pad = (np.arange(T)[:, None] >= lengths[None, :])[:, :, None]
        keep = (~pad).astype(x.dtype)
        # the padding never reaches the computation, whatever it holds (NaN, inf)
        x = np.where(pad, x.dtype.type(0), x)
    hs = np.empty((T + 1, N, H), dtype=x.dtype)
    hs[0] = state[0]
    xp = _projection(ref, x, w_ih, b_ih, b_hh, nonlinearity)
    if _loops(ref, nonlinearity):
        c0_ = state[1] if len(state) == 2 else None
        c_n, saved = _loop_forward(ref, xp, hs, c0_, w_hh, b_hh, pad, nonlinearity)
    else:
        c_n, saved = _core_forward(ref, xp, hs, state, w_hh, b_hh, keep, options)
    out = hs[1:] if keep is None else hs[1:] * keep
    if reverse:
        out = reverse_padded(out, lengths)
    cache = SequenceCache(
        ref.name, x, hs, w_ih, w_hh, b_ih is not None, b_hh is not None,
        keep, lengths, reverse, ref, nonlinearity, saved,
    )  # fmt: skip
    return out, hs[-1], c_n, cache


# ----------------------------------------------------------------------------- backward


def _loop_backward(cache: SequenceCache, dout, dnext, pad) -> tuple:
    """A built-in kind's loop t = T-1 .. 0. Returns (dhp, dn, dh, dc, dL/d(initial state)):
    dhp (T, N, G*H) the gradient of the recurrent pre-activations, which is also that of
    the input ones except, for GRU, in the n block, given apart as dn (T, N, H)."""
    ref, keep, w_hh = cache.reference, cache.keep, cache.weight_hh
    dh_next = dnext[0].copy()
    dhp = np.empty((*dout.shape[:2], cache.weight_ih.shape[0]), dtype=dout.dtype)
    if ref is steps.LSTM:
        gates, cs, tanh_c = cache.saved
        dh, dc, dc0 = loops.lstm_backward(
            dout, dh_next, dnext[1], gates, cs, tanh_c, w_hh, keep, pad, dhp
        )
        return dhp, None, dh, dc, (dh_next, dc0)
    if ref is steps.GRU:
        gates, hp = cache.saved
        dn = np.empty_like(dout)
        dh = loops.gru_backward(dout, dh_next, gates, cache.hs, hp, w_hh, keep, pad, dhp, dn)
        return dhp, dn, dh, None, (dh_next,)
    relu = cache.nonlinearity == "relu"
    dh = loops.rnn_backward(dout, dh_next, cache.hs, w_hh, keep, pad, relu, dhp)
    return dhp, None, dh, None, (dh_next,)


def _core_backward(cache: SequenceCache, dout, dnext) -> tuple:
    """Any other kind: its step core at every step, t = T-1 .. 0. Returns (dxp, dhp,
    dL/d(state after step t) per state, dL/d(initial state), and the sum over steps of
    the rows of db_hh for a core that gives them (see :mod:`.core`), else None)."""
    ref, keep = cache.reference, cache.keep
    T, N, H = dout.shape
    dxp = np.empty((T, N, cache.weight_ih.shape[0]), dtype=dout.dtype)
    dhp = np.empty_like(dxp)
    dstates = tuple(np.empty((T, N, H), dtype=dout.dtype) for _ in ref.state)
    threshold = None  # sum over steps of a core's db_hh rows (N, H), if it gives them
    for t in range(T - 1, -1, -1):
        cur = (dnext[0] + dout[t], *dnext[1:])
        for k, d in enumerate(cur):
            dstates[k][t] = d
        # the cell gets m_t dstate_t; the carry (1 - m_t) dstate_t passes straight back
        m = 1 if keep is None else keep[t]
        given = cur if keep is None else tuple(m * d for d in cur)
        dxp[t], dhp[t], dcell, *db = ref.backward(given, cache.saved[t])
        if db:
            threshold = db[0] if threshold is None else threshold + db[0]
        if keep is None:
            dnext = dcell
        else:
            dnext = tuple(dc + (1 - m) * d for dc, d in zip(dcell, cur, strict=True))
    return dxp, dhp, dstates, dnext, threshold


def _param_grads(cache: SequenceCache, dhp, dxp, dn) -> dict[str, np.ndarray]:
    """Weight and bias gradients over all T·N rows at once, from the pre-activation
    gradients dhp, dxp (M, G*H) (dxp None: the same as dhp):
    dW_ih = dxp^T x,  dW_hh = dhp^T h_prev,  db_ih = sum_rows dxp,  db_hh = sum_rows dhp.
    ``dn`` (M, H), when given, is dxp's last block (GRU's n gate) and dxp's other blocks
    are dhp's: dxp itself is then never assembled."""
    T, N, I = cache.x.shape
    x = cache.x.reshape(T * N, I)
    grads = {"weight_hh": dhp.T @ cache.h_prev.reshape(T * N, cache.hs.shape[2])}
    if dn is None:
        d = dhp if dxp is None else dxp
        grads["weight_ih"] = d.T @ x
        db_ih = d.sum(axis=0) if cache.has_bias_ih else None
    else:
        k = dhp.shape[1] - dn.shape[1]
        grads["weight_ih"] = w = np.empty_like(cache.weight_ih)
        np.matmul(dhp[:, :k].T, x, out=w[:k])
        np.matmul(dn.T, x, out=w[k:])
        db_ih = np.concatenate([dhp[:, :k].sum(axis=0), dn.sum(axis=0)])
    if cache.has_bias_ih:
        grads["bias_ih"] = db_ih
    if cache.has_bias_hh:
        same = dxp is None and dn is None and db_ih is not None
        grads["bias_hh"] = db_ih.copy() if same else dhp.sum(axis=0)
    return grads


def _input_grad(cache: SequenceCache, dhp, dxp, dn) -> np.ndarray:
    """dx = dxp W_ih (T, N, I), with dhp, dxp, dn as in :func:`_param_grads`."""
    T, N, I = cache.x.shape
    w_ih = cache.weight_ih
    if dn is None:
        return ((dhp if dxp is None else dxp) @ w_ih).reshape(T, N, I)
    k = dhp.shape[1] - dn.shape[1]
    dx = dhp[:, :k] @ w_ih[:k]
    dx += dn @ w_ih[k:]
    return dx.reshape(T, N, I)


def backward(
    dout: np.ndarray | None,
    cache: SequenceCache,
    dh_n: np.ndarray | None = None,
    dc_n: np.ndarray | None = None,
    input_grad: bool = True,
) -> BackwardResult:
    """Backpropagation through time for :func:`forward`.

    dout (T, N, H) = dL/dout; dh_n, dc_n (N, H) = dL/dh_n, dL/dc_n; each None for zeros.
    Loops t = T-1 .. 0 carrying dh_next (and dc_next): dh_t = m_t dout_t + dh_next;
    the cell receives m_t dh_t and the carry (1 - m_t) dh_t passes straight to h_{t-1}.
    ``input_grad=False`` skips dx and its GEMM (for an input that needs no gradient).
    """
    where = "manual.backward"
    ref = cache.reference
    T, N, H = cache.h_prev.shape
    dtype = cache.x.dtype
    dout = check_state(where, "dout", dout, (T, N, H), dtype)
    dnext = check_states(where, ref, ("dh_n", "dc_n"), (dh_n, dc_n), (N, H), dtype)
    if cache.reverse:
        dout = reverse_padded(dout, cache.lengths)
    if cache.keep is not None:
        dout = dout * cache.keep  # out_t = m_t h_t
    threshold = None
    if _loops(ref, cache.nonlinearity):
        pad = None if cache.keep is None else cache.keep == 0
        dhp, dn, dh, dc, d0 = _loop_backward(cache, dout, dnext, pad)
        dxp = None
    else:
        dxp, dhp, dstates, d0, threshold = _core_backward(cache, dout, dnext)
        dh, dc, dn = dstates[0], (dstates[1] if len(dstates) == 2 else None), None
    M, GH = T * N, cache.weight_ih.shape[0]
    dhp = dhp.reshape(M, GH)
    dxp = None if dxp is None else dxp.reshape(M, GH)
    dn = None if dn is None else dn.reshape(M, H)
    grads = _param_grads(cache, dhp, dxp, dn)
    if threshold is not None and cache.has_bias_hh:
        grads["bias_hh"] = threshold.sum(axis=0)
    dx = _input_grad(cache, dhp, dxp, dn) if input_grad else None
    if cache.reverse:
        dx = None if dx is None else reverse_padded(dx, cache.lengths)
        dh = reverse_padded(dh, cache.lengths)
        dc = None if dc is None else reverse_padded(dc, cache.lengths)
    return BackwardResult(dx, d0[0], d0[1] if len(d0) == 2 else None, grads, dh, dc)
