"""What a recurrent layer prepares to unroll a direction: the scope paths it tags its
layers and time steps with, its parameters' names, the cell's step with its options
bound, the zero initial state and the per-sequence reversal of a padded batch. Made
once per (layer, direction) or per sequence length where they can be, so a call pays
for them once, not at every step."""

from __future__ import annotations

import functools
import inspect
from typing import Any

import numpy as np

from minigrad import Tensor
from minigrad.tape import child_scopes

__all__ = [
    "bound",
    "layer_path",
    "parameter_names",
    "reverse_index",
    "step_names",
    "step_paths",
    "zero_state",
]


def bound(step: Any, options: dict[str, Any]) -> Any:
    """``step`` with its keyword ``options`` bound; options equal to the step's own
    defaults are left out (a bound keyword costs a dictionary per call, once per step)."""
    defaults = _defaults(step)
    extra = {
        k: v
        for k, v in options.items()
        if k not in defaults or type(v) is not type(defaults[k]) or v != defaults[k]
    }
    return functools.partial(step, **extra) if extra else step


@functools.lru_cache(maxsize=64)
def _defaults(step: Any) -> dict[str, Any]:
    """The keyword defaults of ``step`` that are strings, numbers or None: values an
    option can be compared with safely."""
    return {
        name: p.default
        for name, p in inspect.signature(step).parameters.items()
        if p.default is None or type(p.default) in (str, int, float, bool)
    }


@functools.lru_cache(maxsize=64)
def parameter_names(k: int, direction: int) -> tuple[str, str, str, str]:
    """The attribute names of layer k's parameters, direction 0 or 1:
    ``weight_ih_l{k}[_reverse]``, ``weight_hh_...``, ``bias_ih_...``, ``bias_hh_...``."""
    sfx = f"_l{k}" + ("_reverse" if direction else "")
    return ("weight_ih" + sfx, "weight_hh" + sfx, "bias_ih" + sfx, "bias_hh" + sfx)


@functools.lru_cache(maxsize=16)
def step_names(T: int) -> tuple[str, ...]:
    """The scope names ``"t=0"``, ..., ``"t=T-1"`` of a layer's time steps."""
    return tuple(f"t={t}" for t in range(T))


@functools.lru_cache(maxsize=64)
def step_paths(here: tuple[str, ...], T: int) -> tuple[tuple[str, ...], ...]:
    """The scope paths ``(*here, "t=0")``, ... of a layer's T time steps, to enter with
    ``enter_scope``: made once per (layer path, T)."""
    return tuple(child_scopes(step_names(T), here))


def zero_state(n: int, hidden: int, dtype: np.dtype, name: str) -> Tensor:
    """A zero initial state (N, H), named ``h0``/``c0`` for the graph drawing."""
    state = Tensor._wrap(np.zeros((n, hidden), dtype))
    state.name = f"{name}0"
    return state


@functools.lru_cache(maxsize=256)
def layer_path(here: tuple[str, ...], k: int, direction: int, bidirectional: bool) -> tuple:
    """The scope path of layer k, direction d, inside ``here``: ``"layer=k"``, then
    ``"dir=forward"`` or ``"dir=reverse"`` for a bidirectional layer, as nested
    ``minigrad.scope`` blocks would make it (entered at once, with one token)."""
    (path,) = child_scopes((f"layer={k}",), here)
    if bidirectional:
        (path,) = child_scopes(("dir=reverse" if direction else "dir=forward",), path)
    return path


def reverse_index(lens: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Index that reverses each sequence within its own length (padding stays put):
    position t of sequence n reads t' = len_n - 1 - t when t < len_n. An involution."""
    t = np.arange(T)[:, None]
    src = np.where(t < lens[None, :], lens[None, :] - 1 - t, t)
    return src, np.arange(len(lens))[None, :]
