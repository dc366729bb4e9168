"""Recurrent layers on minigrad: RNN, LSTM and GRU cells written only from minigrad ops,
PyTorch-compatible layers, and the hand-derived NumPy BPTT they are checked against.

The jobs built on them (the command line, training, the demo) are in :mod:`rnn.app`.
"""

from .cells import GRUCell, LSTMCell, RNNCell
from .layers import GRU, LSTM, RNN, Run
from .tbptt import chunks, detach_state

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell", "Run", "chunks", "detach_state"]
