"""``RNN``, ``LSTM`` and ``GRU`` layers: the cells of :mod:`rnn.cells` unrolled over time.

Constructor, call, shapes, parameter names and layouts are those of
``torch.nn.RNN/LSTM/GRU``, so state dicts move both ways.

How a direction of a layer runs (why it is fast while staying ops-only):

1. the input projection for *all* steps is one matmul,
   ``XW = X W_ih^T + b`` with X of shape (T*N, I);
2. each step reads its slice ``XW[t]``; a slice sends back only its own part of the
   gradient (the engine adds the parts into one buffer), so splitting along time
   costs O(T) in backward, not O(T^2);
3. each step runs the cell's step function inside ``minigrad.scope("t=...")``;
4. the per-step outputs are joined with one ``stack``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minigrad
from minigrad import Tensor
from minigrad.autograd import gc_paused
from minigrad.functional import dropout, linear
from minigrad.nn import Module

from .cells import NONLINEARITIES, check_dtype, gru_step, init_uniform, lstm_step, rnn_step

__all__ = ["GRU", "LSTM", "RNN", "RNNBase", "Run"]

GATES = {"rnn": 1, "lstm": 4, "gru": 3}


@dataclass
class Run:
    """Everything one call computed.

    ``output`` (T, N, D*H) (or batch-first / unbatched as the input), ``h_n``
    (D*num_layers, N, H), ``c_n`` for LSTM. With ``keep_steps=True``, ``steps[(k, d)]``
    lists, per time step, the state after that step of layer k, direction d (h, or
    (h, c) for LSTM): intermediate tensors whose gradients show BPTT at work.
    """

    output: Tensor
    h_n: Tensor
    c_n: Tensor | None = None
    steps: dict[tuple[int, int], list[Any]] = field(default_factory=dict)


class RNNBase(Module):
    """Shared machinery of :class:`RNN`, :class:`LSTM` and :class:`GRU`; a subclass
    names its ``cell`` ("rnn", "lstm" or "gru")."""

    cell = "rnn"
    nonlinearity = "tanh"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if input_size <= 0 or hidden_size <= 0 or num_layers <= 0:
            raise ValueError(
                f"{name}: input_size, hidden_size and num_layers must be positive, got "
                f"{input_size}, {hidden_size}, {num_layers}"
            )
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be in [0, 1], got {dropout}")
        d = check_dtype(dtype)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        self.num_directions = 2 if bidirectional else 1
        gh = GATES[self.cell] * hidden_size
        for k in range(num_layers):
            layer_in = input_size if k == 0 else hidden_size * self.num_directions
            for direction in range(self.num_directions):
                sfx = f"_l{k}" + ("_reverse" if direction else "")
                setattr(self, "weight_ih" + sfx, init_uniform((gh, layer_in), hidden_size, d))
                setattr(self, "weight_hh" + sfx, init_uniform((gh, hidden_size), hidden_size, d))
                if bias:
                    setattr(self, "bias_ih" + sfx, init_uniform((gh,), hidden_size, d))
                    setattr(self, "bias_hh" + sfx, init_uniform((gh,), hidden_size, d))

    @property
    def dtype(self) -> np.dtype:
        return self.weight_ih_l0.dtype

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.cell == "rnn" and self.nonlinearity != "tanh":
            s += f", nonlinearity={self.nonlinearity!r}"
        for key, default in (("bias", True), ("batch_first", False), ("dropout", 0.0)):
            if getattr(self, key) != default:
                s += f", {key}={getattr(self, key)}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    def layer_parameters(self, k: int, direction: int) -> tuple[Tensor, ...]:
        """(weight_ih, weight_hh, bias_ih, bias_hh) of layer k, direction 0 or 1."""
        sfx = f"_l{k}" + ("_reverse" if direction else "")
        return tuple(
            getattr(self, n + sfx, None) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        )

    # ------------------------------------------------------------------ calling
    def forward(self, x: Any, hx: Any = None, lengths: Any = None) -> tuple[Tensor, Any]:
        """``out, h_n = rnn(x, h0)``; ``out, (h_n, c_n) = lstm(x, (h0, c0))``."""
        r = self.run(x, hx, lengths)
        return r.output, ((r.h_n, r.c_n) if self.cell == "lstm" else r.h_n)

    def run(self, x: Any, hx: Any = None, lengths: Any = None, keep_steps: bool = False) -> Run:
        """Run every layer and direction; see :class:`Run` for what is returned.

        ``lengths`` (one int per sequence, 1..T) makes a variable-length batch: outputs
        past a sequence's end are zero, its final state is the one at its last valid
        step, and the reverse direction starts at its own end (as PyTorch's packed
        sequences).
        """
        with gc_paused():
            return self._run(x, hx, lengths, keep_steps)

    def _run(self, x: Any, hx: Any, lengths: Any, keep_steps: bool) -> Run:
        x, batched = self._check_input(x)
        T, N = x.shape[0], x.shape[1]
        h0, c0 = self._check_state(hx, N, batched)
        lens = self._check_lengths(lengths, T, N)
        run = Run(output=x, h_n=x)
        h_last, c_last = [], []
        inp = x
        for k in range(self.num_layers):
            outs = []
            for direction in range(self.num_directions):
                i = k * self.num_directions + direction
                scopes = [f"layer={k}"] + (
                    ["dir=reverse" if direction else "dir=forward"] if self.bidirectional else []
                )
                with _scopes(scopes):
                    out, h, c, steps = self._direction(
                        inp,
                        None if h0 is None else h0[i],
                        None if c0 is None else c0[i],
                        self.layer_parameters(k, direction),
                        lens,
                        bool(direction),
                    )
                outs.append(out)
                h_last.append(h)
                c_last.append(c)
                if keep_steps:
                    run.steps[(k, direction)] = steps
            inp = outs[0] if len(outs) == 1 else minigrad.concatenate(outs, axis=2)
            if self.dropout and self.training and k < self.num_layers - 1:
                inp = dropout(inp, self.dropout, training=True)
        # unbatched input is (T, I) whatever batch_first says, as in PyTorch
        out = inp.swapaxes(0, 1) if self.batch_first and batched else inp
        run.output = out if batched else out.squeeze(1)
        run.h_n = minigrad.stack(h_last, axis=0)
        if self.cell == "lstm":
            run.c_n = minigrad.stack(c_last, axis=0)
        if not batched:
            run.h_n = run.h_n.squeeze(1)
            run.c_n = None if run.c_n is None else run.c_n.squeeze(1)
        return run

    def _direction(
        self,
        x: Tensor,
        h: Tensor | None,
        c: Tensor | None,
        params: tuple[Tensor, ...],
        lens: np.ndarray | None,
        reverse: bool,
    ) -> tuple[Tensor, Tensor, Tensor | None, list[Any]]:
        """One direction of one layer over x (T, N, I): returns (out, h_T, c_T, steps)."""
        T, N, I = x.shape
        w_ih, w_hh, b_ih, b_hh = params
        H = self.hidden_size
        per_sequence_reverse = reverse and lens is not None
        if per_sequence_reverse:
            x = x[_reverse_index(lens, T)]
        # Biases that only add (RNN, LSTM) are folded into the one input projection.
        step_bias = b_hh if self.cell == "gru" else None
        proj_bias = b_ih if (b_hh is None or self.cell == "gru") else b_ih + b_hh
        xw = linear(x.reshape(T * N, I), w_ih, proj_bias).reshape(T, N, -1)
        w_hh_t = w_hh.T
        if h is None:
            h = minigrad.zeros(N, H, dtype=x.dtype)
            h.name = "h0"  # how the graph drawing labels it
        if c is None and self.cell == "lstm":
            c = minigrad.zeros(N, H, dtype=x.dtype)
            c.name = "c0"
        order = range(T - 1, -1, -1) if reverse and not per_sequence_reverse else range(T)
        shortest = T if lens is None else int(lens.min())
        outs: list[Any] = [None] * T
        steps: list[Any] = [None] * T
        for t in order:
            with minigrad.scope(f"t={t}"):
                # One step's slice of the projection; its backward touches only that slice.
                xw_t = xw[t]
                if self.cell == "lstm":
                    h_new, c_new = lstm_step(xw_t, h, c, w_hh_t, step_bias)
                elif self.cell == "gru":
                    h_new = gru_step(xw_t, h, w_hh_t, step_bias)
                else:
                    h_new = rnn_step(xw_t, h, w_hh_t, step_bias, self.nonlinearity)
                if t < shortest:
                    h, out_t = h_new, h_new
                    if self.cell == "lstm":
                        c = c_new
                else:
                    # Sequences already past their end keep their state; output 0.
                    valid = (t < lens)[:, None]
                    h = minigrad.where(valid, h_new, h)
                    out_t = minigrad.where(valid, h, 0.0)
                    if self.cell == "lstm":
                        c = minigrad.where(valid, c_new, c)
            outs[t] = out_t
            steps[t] = (h, c) if self.cell == "lstm" else h
        out = minigrad.stack(outs, axis=0)
        if per_sequence_reverse:
            out = out[_reverse_index(lens, T)]
        return out, h, c, steps

    # --------------------------------------------------------------- checking
    def _check_input(self, x: Any) -> tuple[Tensor, bool]:
        name = type(self).__name__
        if not isinstance(x, Tensor):
            x = minigrad.tensor(np.asarray(x), dtype=self.dtype)
        if x.dtype != self.dtype:
            raise TypeError(
                f"{name}: input has dtype {x.dtype} but the parameters are {self.dtype}"
            )
        if x.ndim not in (2, 3):
            raise ValueError(
                f"{name}: expected input of shape (T, N, {self.input_size}) "
                f"{'(batch_first: (N, T, I)) ' if self.batch_first else ''}"
                f"or unbatched (T, {self.input_size}), got {x.shape}"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{name}: expected input size {self.input_size}, got {x.shape[-1]} "
                f"(input of shape {x.shape})"
            )
        batched = x.ndim == 3
        if not batched:
            x = x.unsqueeze(1)
        elif self.batch_first:
            x = x.swapaxes(0, 1)
        if x.shape[0] == 0:
            raise ValueError(f"{name}: the input has no time steps (shape {x.shape})")
        return x, batched

    def _check_state(self, hx: Any, N: int, batched: bool) -> tuple[Tensor | None, Tensor | None]:
        name = type(self).__name__
        if hx is None:
            return None, None
        if self.cell == "lstm":
            if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
                raise TypeError(f"{name}: the initial state must be a tuple (h0, c0)")
            pair = hx
        else:
            pair = (hx, None)
        want = (self.num_layers * self.num_directions, N, self.hidden_size)
        out = []
        for label, s in zip(("h0", "c0"), pair, strict=True):
            if s is None:
                out.append(None)
                continue
            s = s if isinstance(s, Tensor) else minigrad.tensor(np.asarray(s), dtype=self.dtype)
            expected = want if batched else (want[0], want[2])
            if s.shape != expected:
                raise ValueError(f"{name}: expected {label} of shape {expected}, got {s.shape}")
            if s.dtype != self.dtype:
                raise TypeError(
                    f"{name}: {label} has dtype {s.dtype} but the parameters are {self.dtype}"
                )
            out.append(s if batched else s.unsqueeze(1))
        return out[0], out[1]

    def _check_lengths(self, lengths: Any, T: int, N: int) -> np.ndarray | None:
        name = type(self).__name__
        if lengths is None:
            return None
        lens = np.asarray(lengths.data if isinstance(lengths, Tensor) else lengths)
        if lens.dtype.kind not in "iu" or lens.shape != (N,):
            raise ValueError(
                f"{name}: lengths must be {N} integers (one per sequence), got "
                f"shape {lens.shape} of dtype {lens.dtype}"
            )
        bad = (lens < 1) | (lens > T)
        if bad.any():
            raise ValueError(
                f"{name}: every length must be between 1 and T={T}, got {int(lens[bad][0])}"
            )
        return None if (lens == T).all() else lens.astype(np.int64)


def _scopes(names: list[str]) -> Any:
    """Nested ``minigrad.scope`` for each name, outermost first."""
    from contextlib import ExitStack

    stack = ExitStack()
    for n in names:
        stack.enter_context(minigrad.scope(n))
    return stack


def _reverse_index(lens: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Index that reverses each sequence within its own length (padding stays put):
    position t of sequence n reads t' = len_n - 1 - t when t < len_n. An involution."""
    t = np.arange(T)[:, None]
    src = np.where(t < lens[None, :], lens[None, :] - 1 - t, t)
    return src, np.arange(len(lens))[None, :]


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` (or relu).

    Shapes (as ``torch.nn.RNN``): x (T, N, I), or (N, T, I) with ``batch_first``, or
    unbatched (T, I); h0 (D*num_layers, N, H); returns out (T, N, D*H) and h_n.
    Parameters ``weight_ih_l{k}[_reverse]`` (H, I or D*H), ``weight_hh_l{k}`` (H, H),
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` (H,), initialised from U(-1/sqrt(H), 1/sqrt(H)).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        dtype: Any = None,
    ) -> None:
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype
        )
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory layer (gates i, f, g, o as ``torch.nn.LSTM``)::

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
        f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)

    Call ``out, (h_n, c_n) = lstm(x, (h0, c0))``. ``weight_ih_l{k}`` is (4H, I).
    """

    cell = "lstm"


class GRU(RNNBase):
    """Gated recurrent unit layer (gates r, z, n as ``torch.nn.GRU``)::

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    Call ``out, h_n = gru(x, h0)``. ``weight_ih_l{k}`` is (3H, I).
    """

    cell = "gru"
