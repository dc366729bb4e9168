"""How a row's arguments meet an op: its float arrays become tensors, and an op's result
(one tensor or a list of pieces) becomes one tensor to check gradients on."""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad import Tensor, ops


def _is_float(v: Any) -> bool:
    return isinstance(v, np.ndarray) and v.dtype.kind == "f"


def _leaves(args: tuple) -> list[np.ndarray]:
    """The differentiable inputs: float arrays, also inside a list argument."""
    out = []
    for a in args:
        if isinstance(a, list):
            out += [v for v in a if _is_float(v)]
        elif _is_float(a):
            out.append(a)
    return out


def _with(args: tuple, tensors: list) -> tuple:
    """``args`` with its float arrays replaced, in order, by ``tensors``."""
    it = iter(tensors)
    rebuilt = []
    for a in args:
        if isinstance(a, list):
            rebuilt.append([next(it) if _is_float(v) else v for v in a])
        else:
            rebuilt.append(next(it) if _is_float(a) else a)
    return tuple(rebuilt)


def _joined(out: Any) -> Tensor:
    """One tensor from an op's result; pieces of a split are weighted 1, 2, 3..., so a
    gradient landing in the wrong piece is caught. Integer pieces (topk's indices) are
    values, not functions of the inputs: they are compared, not differentiated."""
    if isinstance(out, Tensor):
        return out
    floats = [p for p in out if p.dtype.kind == "f"]
    return ops.concatenate([ops.reshape(p * float(k + 1), (-1,)) for k, p in enumerate(floats)])
