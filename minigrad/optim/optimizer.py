"""``Optimizer``: parameter groups, per-parameter state, ``zero_grad`` and state dicts.

Subclasses define ``update(p, g, state, group)``, which changes ``p.data`` in place
from the gradient ``g``; the base class loops over the groups and skips parameters
whose ``grad`` is None.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..autograd import bump_inplace_epoch, enable_grad
from ..tensor import Tensor
from ..versions import mark_written

__all__ = ["Optimizer"]

ParamsT = Iterable[Tensor] | Iterable[dict[str, Any]]


class Optimizer:
    """Base class of the optimizers, with PyTorch's structure.

    ``params`` is an iterable of tensors, or of dicts ``{"params": [...], **options}``
    whose options override ``defaults`` for that group (``param_groups``); a set is
    refused (``TypeError``), as in PyTorch, since its order changes between runs.
    ``state[p]`` holds each parameter's running quantities (arrays and numbers).
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of tensors or dicts, "
                "got a single Tensor"
            )
        _refuse_set(type(self).__name__, params)
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (the rest from ``defaults``)."""
        params = group["params"]
        _refuse_set(type(self).__name__, params)
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, got {p!r}")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__}: cannot optimize a non-leaf Tensor")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or any(id(p) in seen for p in params):
            raise ValueError(f"{type(self).__name__}: a parameter appears in more than one group")
        unknown = set(group) - set(self.defaults) - {"params", "initial_lr"}
        if unknown:
            raise ValueError(f"{type(self).__name__}: unknown option(s) {sorted(unknown)}")
        full = {**self.defaults, **group, "params": params}
        self.check_options(full)
        self.param_groups.append(full)

    def check_options(self, group: dict[str, Any]) -> None:
        """Raise ``ValueError`` for invalid options, a negative or NaN number among them
        (overridden by subclasses; PyTorch's SGD accepts a NaN, this one does not)."""
        if not group["lr"] >= 0:  # NaN too
            raise ValueError(f"{type(self).__name__}: invalid learning rate {group['lr']}")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's gradient: to None (default), or fill with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or not isinstance(p.grad, np.ndarray):
                    p.grad = None  # also a Tensor left by backward(create_graph=True)
                else:
                    p.grad[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient, in place.

        ``closure`` (optional, as PyTorch) re-evaluates the model and calls backward;
        it runs first, with grad enabled, and its result is returned.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                # After backward(create_graph=True), .grad is a Tensor: step on its values.
                grad = p.grad if isinstance(p.grad, np.ndarray) else np.asarray(p.grad.data)
                if grad.shape != p.shape:
                    raise ValueError(
                        f"{type(self).__name__}: gradient of shape {grad.shape} for a "
                        f"parameter of shape {p.shape}"
                    )
                self.update(p, grad, self.state.setdefault(p, {}), group)
                # Mark the in-place change, so a graph that saved p refuses to backward.
                p._modified_at = bump_inplace_epoch()
                mark_written(p.data, p._modified_at)
        return loss

    def update(self, p: Tensor, g: np.ndarray, state: dict[str, Any], group: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not define update()")

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {name: array or number}}, "param_groups": [options with
        "params": [index, ...]]}``, indices counting parameters across groups, as
        PyTorch. Arrays are copies; the result can be written with ``minigrad.save``."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": ids})
        state = {
            index[id(p)]: {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by :meth:`state_dict` (also after a
        ``minigrad.save``/``load`` round trip, whose keys may be str). Arrays are copied
        and cast to each parameter's dtype; the number and sizes of groups must match."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: {len(saved_groups)} parameter "
                f"group(s) saved, {len(self.param_groups)} in this optimizer"
            )
        by_index: dict[int, Tensor] = {}
        for k, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: group {k} has "
                    f"{len(saved['params'])} parameters saved, {len(group['params'])} here"
                )
            by_index.update(zip((int(i) for i in saved["params"]), group["params"], strict=True))
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, saved in state_dict["state"].items():
            p = by_index[int(key)]
            new_state[p] = {name: _restore(v, p, name) for name, v in saved.items()}
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            for k, v in saved.items():
                if k != "params":
                    group[k] = copy.deepcopy(v)
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for k, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {k}")
            lines += [f"    {name}: {v}" for name, v in sorted(group.items()) if name != "params"]
        return "\n".join([*lines, ")"])


def _refuse_set(name: str, params: Any) -> None:
    """A set's order follows the tensors' addresses, so it changes between runs and the
    indices of ``state_dict`` would pair a resumed run's state with other parameters."""
    if isinstance(params, (set, frozenset)):
        raise TypeError(
            f"{name}: parameters must be in an ordered collection (a list), not a set: "
            "a set's order changes between runs, so a saved state would be restored "
            "onto other parameters"
        )


def _restore(value: Any, p: Tensor, name: str) -> Any:
    if isinstance(value, np.ndarray):
        if value.shape != p.shape:
            raise ValueError(
                f"load_state_dict: state {name!r} has shape {value.shape}, parameter {p.shape}"
            )
        return value.astype(p.dtype, copy=True)
    if isinstance(value, np.generic):
        return value.item()
    return value
