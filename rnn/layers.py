"""``RNN``, ``LSTM`` and ``GRU`` layers: the cells of :mod:`rnn.cells` unrolled over time.

Constructor, call, shapes, parameter names and layouts are those of
``torch.nn.RNN/LSTM/GRU``, so state dicts move both ways.

How a direction of a layer runs (why it is fast while staying ops-only):

1. the input projection for *all* steps is one matmul,
   ``XW = X W_ih^T + b`` with X of shape (T*N, I);
2. one call cuts it into the steps' slices ``XW[t]`` (each recorded in its step's
   scope); a slice sends back only its own part of the gradient (the engine adds the
   parts into one buffer), so splitting along time costs O(T) in backward, not O(T^2);
3. each step runs the cell's step function inside ``minigrad.scope("t=...")``;
4. the per-step outputs are joined with one ``stack``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minigrad
from minigrad import Tensor
from minigrad.autograd import gc_paused
from minigrad.functional import dropout, linear
from minigrad.nn import Module
from minigrad.ops.pieces import slices
from minigrad.tape import current_scope, enter_scope, leave_scope, scope_setter

from .arguments import check_input, check_lengths, check_state
from .cells import (
    CellKind,
    cell_kind,
    check_dtype,
    check_nonlinearity,
    init_thresholds,
    init_uniform,
    threshold_bias,
)
from .unrolling import (
    bound,
    layer_path,
    parameter_names,
    reverse_index,
    step_names,
    step_paths,
    zero_state,
)

__all__ = ["GRU", "LSTM", "RNN", "RNNBase", "Run", "layer_class"]

_LAYER_CLASSES: dict[str, type[RNNBase]] = {}


def layer_class(name: str) -> type[RNNBase]:
    """The layer class for the cell kind ``name``: :class:`RNN`, :class:`LSTM`, :class:`GRU`,
    or, for a kind added with :func:`rnn.cells.register_cell_kind`, the first subclass of
    :class:`RNNBase` naming it (one is made, named ``name.upper()``, when none exists).
    ValueError naming the valid names for an unknown kind."""
    kind = cell_kind(name)
    cls = _LAYER_CLASSES.get(kind.name)
    if cls is None:
        doc = f"Layer of {kind.name!r} cells (see rnn.cells.CELL_KINDS); as RNNBase."
        cls = type(kind.name.upper(), (RNNBase,), {"cell": kind.name, "__doc__": doc})
    return cls


@dataclass
class Run:
    """Everything one call computed.

    ``output`` (T, N, D*H) (or batch-first / unbatched as the input), ``h_n``
    (D*num_layers, N, H), ``c_n`` for a cell with an (h, c) state (LSTM). With
    ``keep_steps=True``, ``steps[(k, d)]`` lists, per time step, the state after that step
    of layer k, direction d (h, or (h, c) for LSTM): intermediate tensors whose gradients
    show BPTT at work.
    """

    output: Tensor
    h_n: Tensor
    c_n: Tensor | None = None
    steps: dict[tuple[int, int], list[Any]] = field(default_factory=dict)


class RNNBase(Module):
    """Shared machinery of :class:`RNN`, :class:`LSTM` and :class:`GRU`; a subclass
    names its ``cell`` ("rnn", "lstm", "gru" or a kind in ``rnn.cells.CELL_KINDS``), and
    everything cell-specific is read from that kind's :class:`~rnn.cells.CellKind`."""

    cell = "rnn"
    nonlinearity = "tanh"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "cell" in cls.__dict__:
            _LAYER_CLASSES.setdefault(cls.cell, cls)

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
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                f"{name}: dropout={dropout} is applied between stacked layers, so with "
                "num_layers=1 it does nothing",
                stacklevel=2,
            )
        d = check_dtype(dtype)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        self.num_directions = 2 if bidirectional else 1
        gh = self.kind.gates * hidden_size
        for k in range(num_layers):
            layer_in = input_size if k == 0 else hidden_size * self.num_directions
            for direction in range(self.num_directions):
                w_ih, w_hh, b_ih, b_hh = parameter_names(k, direction)
                setattr(self, w_ih, init_uniform((gh, layer_in), hidden_size, d))
                setattr(self, w_hh, init_uniform((gh, hidden_size), hidden_size, d))
                if bias:
                    setattr(self, b_ih, init_uniform((gh,), hidden_size, d))
                    setattr(self, b_hh, init_uniform((gh,), hidden_size, d))

    @property
    def dtype(self) -> np.dtype:
        return self.weight_ih_l0.dtype

    @property
    def kind(self) -> CellKind:
        """The :class:`~rnn.cells.CellKind` of this layer's cell."""
        return cell_kind(self.cell)

    def cell_options(self) -> dict[str, Any]:
        """The keyword options of the kind's step (e.g. the RNN's nonlinearity)."""
        return {o: getattr(self, o) for o in self.kind.options}

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        for key, value in self.cell_options().items():
            if value != getattr(type(self), key, value):
                s += f", {key}={value!r}"
        for key, default in (("bias", True), ("batch_first", False), ("dropout", 0.0)):
            if getattr(self, key) != default:
                s += f", {key}={getattr(self, key)}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    def layer_parameters(self, k: int, direction: int) -> tuple[Tensor, ...]:
        """(weight_ih, weight_hh, bias_ih, bias_hh) of layer k, direction 0 or 1."""
        w_ih, w_hh, b_ih, b_hh = parameter_names(k, direction)
        return (
            getattr(self, w_ih, None),
            getattr(self, w_hh, None),
            getattr(self, b_ih, None),
            getattr(self, b_hh, None),
        )

    # ------------------------------------------------------------------ calling
    def forward(self, x: Any, hx: Any = None, lengths: Any = None) -> tuple[Tensor, Any]:
        """``out, h_n = rnn(x, h0)``; ``out, (h_n, c_n) = lstm(x, (h0, c0))``."""
        r = self.run(x, hx, lengths)
        return r.output, ((r.h_n, r.c_n) if r.c_n is not None else r.h_n)

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
        x, batched = check_input(self, x)
        T, N = x.shape[0], x.shape[1]
        h0, c0 = check_state(self, hx, N, batched)
        lens = check_lengths(self, lengths, T, N)
        if lens is not None:
            # Padding never reaches the computation: whatever it holds (NaN, inf), the steps
            # past a sequence's end see zeros, and the padding gets a zero gradient. Deeper
            # layers' inputs are the outputs below, already zero there.
            x = minigrad.where((np.arange(T)[:, None] < lens[None, :])[:, :, None], x, 0.0)
        run = Run(output=x, h_n=x)
        h_last, c_last = [], []
        inp = x
        for k in range(self.num_layers):
            outs = []
            for direction in range(self.num_directions):
                i = k * self.num_directions + direction
                token = enter_scope(layer_path(current_scope(), k, direction, self.bidirectional))
                try:
                    out, h, c, steps = self._direction(
                        inp,
                        None if h0 is None else h0[i],
                        None if c0 is None else c0[i],
                        self.layer_parameters(k, direction),
                        lens,
                        bool(direction),
                    )
                finally:
                    leave_scope(token)
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
        if len(self.kind.state) == 2:
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
        kind = self.kind
        per_sequence_reverse = reverse and lens is not None
        if per_sequence_reverse:
            x = x[reverse_index(lens, T)]
        # Biases that only add (RNN, LSTM) are folded into the one input projection.
        step, options = kind.step, self.cell_options()
        fold = kind.fold_hh_bias and b_hh is not None
        fold = fold and not threshold_bias(options.get("nonlinearity", ""))
        step_bias = None if fold else b_hh
        if options:
            step = bound(step, options)
        xw = linear(x.reshape(T * N, I), w_ih, b_ih + b_hh if fold else b_ih)
        # Every step's slice of the projection, recorded in one call, each in its step's
        # scope: each sends back only its own part of the gradient (the engine adds the
        # parts into one buffer).
        names = step_names(T)
        xws = slices(xw.reshape(T, N, w_ih.shape[0]), range(T), names)
        w_hh_t = w_hh.T
        dtype, hidden, labels = x.dtype, self.hidden_size, kind.state
        state = (zero_state(N, hidden, dtype, labels[0]) if h is None else h,)
        if len(labels) == 2:
            state += (zero_state(N, hidden, dtype, labels[1]) if c is None else c,)
        order = range(T - 1, -1, -1) if reverse and not per_sequence_reverse else range(T)
        shortest = T if lens is None else int(lens.min())
        outs: list[Any] = [None] * T
        steps: list[Any] = [None] * T
        paths = step_paths(current_scope(), T)
        # Each step's scope is set as the step begins, and the first step's token puts
        # the layer's scope back after the last: nothing is recorded between two steps,
        # so one reset does for all of them.
        first = None
        enter_step = scope_setter()
        try:
            for t in order:
                token = enter_step(paths[t])
                if first is None:
                    first = token
                new = step(xws[t], state, w_hh_t, step_bias)
                if t < shortest:
                    state, out_t = new, new[0]
                else:
                    # Sequences already past their end keep their state; output 0.
                    valid = (t < lens)[:, None]
                    state = tuple(
                        minigrad.where(valid, n, s) for n, s in zip(new, state, strict=True)
                    )
                    out_t = minigrad.where(valid, state[0], 0.0)
                outs[t] = out_t
                steps[t] = state if len(state) == 2 else state[0]
        finally:
            if first is not None:
                leave_scope(first)
        out = minigrad.stack(outs, axis=0)
        if per_sequence_reverse:
            out = out[reverse_index(lens, T)]
        return out, state[0], (state[1] if len(state) == 2 else None), steps


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` (or relu), or
    ``h_t = modrelu(W_ih x_t + b_ih + W_hh h_{t-1}; b_hh)`` with ``nonlinearity="modrelu"``
    (:func:`rnn.cells.modrelu`: ``sign(z) relu(|z| + b)``; bias_hh is then each unit's
    threshold b, initialised U(-0.01, 0.01), 0 with ``bias=False``, where modReLU is the
    identity; such a layer has no PyTorch counterpart).

    Shapes (as ``torch.nn.RNN``): x (T, N, I), or (N, T, I) with ``batch_first``, or
    unbatched (T, I); h0 (D*num_layers, N, H); returns out (T, N, D*H) and h_n.
    Parameters ``weight_ih_l{k}[_reverse]`` (H, I or D*H), ``weight_hh_l{k}`` (H, H),
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` (H,), initialised from U(-1/sqrt(H), 1/sqrt(H)).
    """

    cell = "rnn"

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
        check_nonlinearity("RNN", nonlinearity)
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, dtype
        )
        self.nonlinearity = nonlinearity
        if bias and threshold_bias(nonlinearity):
            for k in range(num_layers):
                for direction in range(self.num_directions):
                    init_thresholds(self.layer_parameters(k, direction)[3])


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
