"""Checking what a recurrent layer is called with: the input, the initial state, the lengths.

Each check names the layer, the problem and the values, and returns the argument in the form
the layer computes with: time-major tensors of the layer's dtype, lengths as int64 (or None
when every sequence has the full length).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

import minigrad
from minigrad import Tensor

if TYPE_CHECKING:
    from .layers import RNNBase

__all__ = ["check_input", "check_lengths", "check_state", "to_real_tensor"]


def to_real_tensor(owner: str, what: str, value: Any, dtype: np.dtype) -> Tensor:
    """``value`` as a Tensor (an array-like is converted to ``dtype``); a complex value is
    refused rather than silently made real."""
    # The dtype only: a Tensor's values are not read (a compiled step replays new ones).
    is_tensor = isinstance(value, Tensor)
    data = value if is_tensor else np.asarray(value)
    if data.dtype.kind == "c":
        raise TypeError(
            f"{owner}: {what} is complex ({data.dtype}); recurrent layers and cells take real "
            "float32 or float64 values"
        )
    return value if is_tensor else minigrad.tensor(data, dtype=dtype)


def check_input(layer: RNNBase, x: Any) -> tuple[Tensor, bool]:
    """x (T, N, I), (N, T, I) with batch_first, or unbatched (T, I) -> ((T, N, I), batched)."""
    name, dtype = type(layer).__name__, layer.dtype
    x = to_real_tensor(name, "the input", x, dtype)
    shape = x.shape
    if x.dtype != dtype:
        raise TypeError(f"{name}: input has dtype {x.dtype} but the parameters are {dtype}")
    if len(shape) not in (2, 3):
        raise ValueError(
            f"{name}: expected input of shape (T, N, {layer.input_size}) "
            f"{'(batch_first: (N, T, I)) ' if layer.batch_first else ''}"
            f"or unbatched (T, {layer.input_size}), got {shape}"
        )
    if shape[-1] != layer.input_size:
        raise ValueError(
            f"{name}: expected input size {layer.input_size}, got {shape[-1]} "
            f"(input of shape {shape})"
        )
    batched = len(shape) == 3
    if not batched:
        x = x.unsqueeze(1)
    elif layer.batch_first:
        x = x.swapaxes(0, 1)
    if x.shape[0] == 0:
        raise ValueError(f"{name}: the input has no time steps (shape {x.shape})")
    return x, batched


def check_state(
    layer: RNNBase, hx: Any, N: int, batched: bool
) -> tuple[Tensor | None, Tensor | None]:
    """The initial state: h0, or (h0, c0) for an (h, c) kind, each (D*num_layers, N, H) (or
    (D*num_layers, H) unbatched) or None -> (h0, c0) with a batch axis (c0 None if unused)."""
    name = type(layer).__name__
    if hx is None:
        return None, None
    labels = tuple(s + "0" for s in layer.kind.state)
    if len(labels) == 2:
        if not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"{name}: the initial state must be a tuple ({', '.join(labels)})")
        pair = tuple(hx)
    else:
        refuse_pair(name, f"the initial state is {labels[0]}", hx, "an LSTM takes (h0, c0)")
        pair = (hx,)
    want = (layer.num_layers * layer.num_directions, N, layer.hidden_size)
    expected = want if batched else (want[0], want[2])
    out: list[Tensor | None] = [None, None]
    for i, (label, s) in enumerate(zip(labels, pair, strict=True)):
        if s is None:
            continue
        s = to_real_tensor(name, label, s, layer.dtype)
        if s.shape != expected:
            raise ValueError(f"{name}: expected {label} of shape {expected}, got {s.shape}")
        if s.dtype != layer.dtype:
            raise TypeError(
                f"{name}: {label} has dtype {s.dtype} but the parameters are {layer.dtype}"
            )
        out[i] = s if batched else s.unsqueeze(1)
    return out[0], out[1]


def refuse_pair(name: str, expected: str, state: Any, hint: str) -> None:
    """A kind with one state (h) given a tuple or list of tensors, an LSTM's (h, c):
    named as such, not as a shape that does not fit."""
    if isinstance(state, tuple | list) and any(isinstance(s, Tensor | np.ndarray) for s in state):
        raise TypeError(
            f"{name}: {expected} alone, got a {type(state).__name__} of {len(state)} ({hint})"
        )


def check_lengths(layer: RNNBase, lengths: Any, T: int, N: int) -> np.ndarray | None:
    """One length in [1, T] per sequence -> int64 array, or None when all are T."""
    name = type(layer).__name__
    if lengths is None:
        return None
    # a Tensor's values (or a list's tensors') choose the steps: in a compiled function
    # they join the key
    if isinstance(lengths, list | tuple):
        lens = np.asarray([_value(n) for n in lengths])
    else:
        lens = np.asarray(_value(lengths))
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


def _value(x: Any) -> Any:
    """A tensor's array, read so that a compiled function keys on it; anything else as is."""
    return minigrad.compile.static_value(x) if isinstance(x, Tensor) else x
