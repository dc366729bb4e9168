"""Hand-derived forward pass and backpropagation through time, in plain NumPy.

The independent reference for ``rnn.cells`` / ``rnn.layers``: same equations, same
parameter layout as ``torch.nn.RNN`` / ``LSTM`` / ``GRU``, gradients derived by hand.
It imports only NumPy, never minigrad.

Parameters of one layer and direction are a dict

    weight_ih (G*H, I)   weight_hh (G*H, H)   bias_ih (G*H,)   bias_hh (G*H,)

with G = 1 (RNN), 4 (LSTM, gates i, f, g, o) or 3 (GRU, gates r, z, n). A bias that is
absent or None is not used and gets no gradient.

Three parts:

- :mod:`rnn.manual.steps`: the textbook reading, one forward/backward pair per cell
  (``rnn_step_forward`` / ``rnn_step_backward``, ...), and the step *cores* they share with
- :mod:`rnn.manual.sequence`: the fast whole-sequence ``forward`` / ``backward`` (one layer,
  one direction, variable lengths, reverse), which hoist the input projection and the weight
  gradients out of the time loop and run the built-in kinds through the loops of
  :mod:`rnn.manual.loops` (biases folded, one sigmoid over adjacent gates, every result
  written into arrays allocated once, no ``dx`` GEMM unless asked for). They are the
  reference ``benchmarks/rnn_step.py`` measures minigrad against.
- :mod:`rnn.manual.jacobians`: the step Jacobians ∂s_t/∂s_{t-1} of the three cells, derived
  by hand and vectorised over many steps (what :mod:`rnn.dynamics` checks the engine's
  Jacobians against).

A cell kind is described by a :class:`ReferenceCell` (gates, state names, core pair);
:func:`register_reference` adds one, after which its name works wherever a cell name does.
dtype is preserved: float32 in, float32 out and float32 gradients.
"""

from __future__ import annotations

from .core import (
    PARAM_NAMES,
    ReferenceCell,
    reference_cell,
    register_reference,
    unregister_reference,
)
from .sequence import BackwardResult, SequenceCache, backward, forward, reverse_padded
from .steps import (
    gru_step_backward,
    gru_step_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_step_backward,
    rnn_step_forward,
    step_backward,
    step_forward,
)

__all__ = [
    "PARAM_NAMES",
    "BackwardResult",
    "ReferenceCell",
    "SequenceCache",
    "backward",
    "forward",
    "gru_step_backward",
    "gru_step_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "reference_cell",
    "register_reference",
    "reverse_padded",
    "rnn_step_backward",
    "rnn_step_forward",
    "step_backward",
    "step_forward",
    "unregister_reference",
]
