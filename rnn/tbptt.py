"""Truncated backpropagation through time: walk a long sequence in chunks of k steps.

Stateful training carries the final hidden state of one chunk into the next, but
*detached*: the values flow on, the graph does not, so each backward covers at most
k steps and memory stays flat however long the sequence is::

    state = None
    for x_chunk, y_chunk in zip(chunks(x, k), chunks(y, k)):
        out, state = model(x_chunk, state)
        loss = criterion(out, y_chunk)
        loss.backward()
        optimizer.step(); optimizer.zero_grad()
        state = detach_state(state)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeVar

import numpy as np

from minigrad import Tensor

__all__ = ["chunks", "detach_state"]

S = TypeVar("S")


def chunks(sequence: S, k: int, axis: int = 0) -> Iterator[S]:
    """Successive pieces of at most ``k`` steps along the time ``axis`` (0 for (T, N, ...),
    1 for batch-first; negative counts from the end, as in NumPy). Works on ndarrays and
    Tensors; the last piece may be shorter."""
    if k <= 0:
        raise ValueError(f"chunks: k must be a positive number of steps, got {k}")
    data = sequence.data if isinstance(sequence, Tensor) else np.asarray(sequence)
    if not -data.ndim <= axis < data.ndim:
        raise ValueError(f"chunks: axis {axis} is out of range for {data.ndim} dimensions")
    axis %= data.ndim  # the slice below indexes from the front
    T = data.shape[axis]
    lead = (slice(None),) * axis
    for start in range(0, T, k):
        yield sequence[(*lead, slice(start, start + k))]


def detach_state(state: Any) -> Any:
    """Cut a recurrent state (a Tensor, a tuple such as LSTM's (h, c), or None) from
    its graph, keeping its values."""
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, (tuple, list)):
        return type(state)(detach_state(s) for s in state)
    raise TypeError(
        f"detach_state: expected a Tensor, a tuple of Tensors or None, got {type(state).__name__}"
    )
