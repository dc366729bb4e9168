"""What the transforms share: argnums, has_aux, output checks, regrouping results."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..pytree import Spec, flatten, unflatten
from ..tensor import Tensor

__all__ = ["Argnums", "argnums_of", "check_leaf", "group", "outputs", "split_aux", "zeros"]

Argnums = int | tuple[int, ...]


def argnums_of(argnums: Argnums, nargs: int, who: str) -> tuple[int, ...]:
    items = (argnums,) if isinstance(argnums, (int, np.integer)) else tuple(argnums)
    if not items:
        raise ValueError(f"{who}: argnums must name at least one argument")
    out = []
    for a in items:
        if not -nargs <= a < nargs:
            raise ValueError(f"{who}: argnums {a} is out of range for {nargs} positional arguments")
        out.append(int(a) % nargs)
    if len(set(out)) != len(out):
        raise ValueError(f"{who}: argnums {tuple(items)} repeats an argument")
    return tuple(out)


def check_leaf(x: Any, who: str, what: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{who}: {what} is a {type(x).__name__}; expected a Tensor")
    if x.dtype.kind != "f":
        raise TypeError(f"{who}: {what} has dtype {x.dtype}; only floating-point tensors")
    return x


def split_aux(out: Any, has_aux: bool, who: str) -> tuple[Any, Any]:
    if not has_aux:
        return out, None
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(f"{who}: with has_aux=True the function must return (output, aux)")
    return out[0], out[1]


def outputs(out: Any, who: str) -> tuple[list[Tensor], Spec]:
    leaves, spec = flatten(out)
    for k, o in enumerate(leaves):
        if not isinstance(o, Tensor):
            raise TypeError(
                f"{who}: output {k} is a {type(o).__name__}; the function must "
                "return Tensors (nested in tuples, lists or dicts)"
            )
    return leaves, spec


def zeros(t: Tensor) -> Tensor:
    return Tensor._wrap(np.zeros(t.shape, t.dtype))


def group(flat: list[Any], specs: list[Spec], single: bool) -> Any:
    """Regroup a flat list of per-leaf results into the arguments' structures."""
    out, start = [], 0
    for spec in specs:
        out.append(unflatten(spec, flat[start : start + spec.size]))
        start += spec.size
    return out[0] if single else tuple(out)
