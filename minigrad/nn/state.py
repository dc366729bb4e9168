"""A module's state dict: ``state_dict`` and ``load_state_dict``, as PyTorch's."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor

__all__ = ["IncompatibleKeys", "ModuleState"]


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` skipped: model keys absent from the state dict, and
    state-dict keys the model does not have."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class ModuleState:
    """The state dict of a :class:`~minigrad.nn.Module` (its base): the arrays of its
    parameters and persistent buffers by dotted name, and loading them back."""

    _parameters: OrderedDict[str, Tensor]
    _buffers: OrderedDict[str, Tensor | None]
    _non_persistent_buffers_set: set[str]
    _modules: OrderedDict[str, Any]

    def state_dict(self) -> dict[str, np.ndarray]:
        """``{name: copy of the array}`` of every parameter and persistent buffer, in
        registration order (a module's parameters, its buffers, then each submodule's).
        As PyTorch, a tensor (or module) shared under several names is listed under each
        of them."""
        return {name: p.data.copy() for name, p in self._state_items()}

    def _state_items(
        self, prefix: str = "", ancestors: frozenset[int] = frozenset()
    ) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, tensor) under every name, as PyTorch's ``state_dict``: own
        parameters, own persistent buffers (not None), then each child's; a module
        containing itself is not re-entered."""
        for name, p in self._parameters.items():
            yield prefix + name, p
        skip = self._non_persistent_buffers_set
        for name, b in self._buffers.items():
            if b is not None and name not in skip:
                yield prefix + name, b
        for name, m in self._modules.items():
            if id(m) not in ancestors and m is not self:
                yield from m._state_items(f"{prefix}{name}.", ancestors | {id(self)})

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy arrays (anything array-like) from the mapping ``state`` (a file name or
        a list raises ``TypeError``) into the parameters and persistent buffers, in
        place, cast to each tensor's dtype.

        Every key, shape and dtype is checked before anything is written: a shape
        mismatch or a value that is not numbers (strings, complex) always raises, and so
        do missing or unexpected keys when ``strict``; the ``RuntimeError`` names each
        offending key (and both shapes). With
        ``strict=False`` the missing and unexpected keys are ignored and returned, as
        in PyTorch, in ``IncompatibleKeys(missing_keys, unexpected_keys)``. A parameter
        shared under several names is read from each of them present (the last wins,
        as PyTorch), and is not missing if any of its names is there.
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"{type(self).__name__}.load_state_dict: expected a state dict (a mapping of "
                f"names to arrays, as minigrad.load returns), got {type(state).__name__}"
            )
        own = list(self._state_items())
        names = {name for name, _ in own}
        present = {id(p) for name, p in own if name in state}
        missing = [name for name, p in own if name not in state and id(p) not in present]
        unexpected = [k for k in state if k not in names]
        errors = []
        if strict:
            if unexpected:
                errors.append(
                    f"unexpected key(s) in state_dict: {', '.join(map(repr, unexpected))}"
                )
            if missing:
                errors.append(f"missing key(s) in state_dict: {', '.join(map(repr, missing))}")
        staged = []
        for name, p in own:
            if name not in state:
                continue
            value = state[name]
            arr = np.asarray(value.data if isinstance(value, Tensor) else value)
            if arr.dtype.kind not in "biuf":
                errors.append(
                    f"dtype {arr.dtype} for {name!r} in the state dict: not numbers, "
                    f"cannot be loaded into {p.dtype}"
                )
            elif arr.shape != p.shape:
                errors.append(
                    f"size mismatch for {name!r}: shape {arr.shape} in the state dict, "
                    f"{p.shape} in the model"
                )
            else:
                staged.append((p, arr))
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        with no_grad():
            for p, arr in staged:
                p.copy_(arr)
        return IncompatibleKeys(missing, unexpected)
