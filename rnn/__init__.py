"""Recurrent layers on minigrad: RNN, LSTM and GRU cells written only from minigrad ops,
PyTorch-compatible layers, and the hand-derived NumPy BPTT they are checked against.

The jobs built on them (the command line, training, the demo) are in :mod:`rnn.app`.

The names below are loaded on first use (``rnn.LSTM``, ``from rnn import LSTM``), so
``import rnn`` alone does not import NumPy: the command line starts by installing its
Ctrl-C handling, and only then imports the engine (see :mod:`rnn.app.launch`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cells import GRUCell, LSTMCell, RNNCell
    from .layers import GRU, LSTM, RNN, Run
    from .tbptt import chunks, detach_state

_HOME = {
    "GRUCell": "cells",
    "LSTMCell": "cells",
    "RNNCell": "cells",
    "GRU": "layers",
    "LSTM": "layers",
    "RNN": "layers",
    "Run": "layers",
    "chunks": "tbptt",
    "detach_state": "tbptt",
}

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNCell", "Run", "chunks", "detach_state"]


# Submodules reachable as attributes after ``import rnn`` alone (``rnn.init.chrono_``),
# as ``torch.nn.init`` after ``import torch``; imported on first use as well.
_SUBMODULES = ("cells", "compare", "constraints", "init", "layers", "manual", "tbptt")


def __getattr__(name: str) -> Any:
    """The public names and submodules, each imported on first use."""
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name not in _HOME:
        raise AttributeError(f"module 'rnn' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
