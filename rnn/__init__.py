"""Recurrent layers on minigrad: RNN, LSTM and GRU cells written only from minigrad ops,
PyTorch-compatible layers, and the hand-derived NumPy BPTT they are checked against.

The names below load on first use (PEP 562), so that ``python -m rnn`` can choose
NumPy's BLAS threading before NumPy is imported (see :mod:`rnn.app.cli`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cells import GRUCell, LSTMCell, RNNCell
    from .layers import GRU, LSTM, RNN, Run
    from .tbptt import chunks, detach_state

_HOME = {
    "GRU": "layers",
    "LSTM": "layers",
    "RNN": "layers",
    "Run": "layers",
    "GRUCell": "cells",
    "LSTMCell": "cells",
    "RNNCell": "cells",
    "chunks": "tbptt",
    "detach_state": "tbptt",
}

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell", "Run", "chunks", "detach_state"]


def __getattr__(name: str) -> Any:
    if name in _HOME:
        value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rnn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
