"""Long-dependency benchmarks: the adding problem and the copy-memory task.

Both need information from far back in the sequence, so they separate cells that
carry gradient across many steps (LSTM, GRU, well-initialised RNNs) from those whose
gradient vanishes (a plain tanh RNN). Each comes with the loss of the best
*memoryless* predictor, the baseline a model must beat to show it remembers.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "ADDING_BASELINE",
    "COPY_SYMBOLS",
    "adding_batch",
    "copy_baseline",
    "copy_batch",
]

# Predicting 1 for a sum of two U(0, 1) values scores its variance, 2 * 1/12.
ADDING_BASELINE = 1.0 / 6.0

# Copy task alphabet: 0 blank, 1..8 data symbols, 9 the "now recall" delimiter.
COPY_SYMBOLS = 10
_BLANK, _DELIM, _N_DATA = 0, 9, 8


def adding_batch(T: int, batch: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The adding problem: x (T, batch, 2), y (batch, 1).

    Channel 0 holds values from U(0, 1); channel 1 marks two positions, one in each half
    of the sequence. The target is the sum of the two marked values, known only at the
    end, so the first mark must be remembered for up to T steps. Always predicting 1
    scores mean squared error 1/6 (:data:`ADDING_BASELINE`).
    """
    if T < 2:
        raise ValueError(f"adding_batch: T must be at least 2, got {T}")
    values = rng.random((T, batch))
    marks = np.zeros((T, batch))
    first = rng.integers(0, T // 2, batch)
    second = rng.integers(T // 2, T, batch)
    cols = np.arange(batch)
    marks[first, cols] = 1.0
    marks[second, cols] = 1.0
    y = (values[first, cols] + values[second, cols])[:, None]
    return np.stack([values, marks], axis=2), y


def copy_batch(
    T: int, batch: int, rng: np.random.Generator, n_copy: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """The copy-memory task: ids x and targets y, both (T + 2 * n_copy, batch).

    Input: ``n_copy`` random data symbols (1..8), ``T - 1`` blanks, the delimiter, then
    ``n_copy`` blanks. Target: blanks for the first ``T + n_copy`` steps, then the data
    symbols again. The symbols must be held for T steps.
    """
    if T < 1:
        raise ValueError(f"copy_batch: T must be at least 1, got {T}")
    total = T + 2 * n_copy
    data = rng.integers(1, _N_DATA + 1, (n_copy, batch))
    x = np.full((total, batch), _BLANK, dtype=np.int64)
    y = np.full((total, batch), _BLANK, dtype=np.int64)
    x[:n_copy] = data
    x[n_copy + T - 1] = _DELIM
    y[-n_copy:] = data
    return x, y


def copy_baseline(T: int, n_copy: int = 10) -> float:
    """Cross-entropy per step of the memoryless strategy: blanks until the delimiter,
    then a uniform guess over the 8 symbols: ``n_copy * ln 8 / (T + 2 n_copy)``."""
    return n_copy * math.log(_N_DATA) / (T + 2 * n_copy)
