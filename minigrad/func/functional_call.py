"""Calling a module with other parameters: how the transforms differentiate a model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..nn import Module
    from ..tensor import Tensor

__all__ = ["functional_call"]


def functional_call(
    module: Module,
    parameters: Mapping[str, Tensor],
    args: Any = (),
    kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced by
    ``parameters`` (names as in ``module.named_parameters()`` and
    ``module.named_buffers()``), as ``torch.func.functional_call``.

    The module is left as it was, so the transforms can differentiate a model with
    respect to its parameters::

        def loss(params):
            return cross_entropy(functional_call(model, params, (x,)), y)

        g = minigrad.func.grad(loss)(dict(model.named_parameters()))

    Parameters and buffers not named keep their own values; an unknown name raises
    ``KeyError``.
    """
    if not isinstance(args, tuple):
        args = (args,)
    owners = dict(module.named_modules())
    swapped = []
    try:
        for name, value in parameters.items():
            path, _, attr = name.rpartition(".")
            owner = owners.get(path)
            if owner is None or (attr not in owner._parameters and attr not in owner._buffers):
                raise KeyError(
                    f"functional_call: {type(module).__name__} has no parameter or buffer {name!r}"
                )
            swapped.append((owner, attr, owner.__dict__[attr]))
            # Bypasses Module.__setattr__: the registration keeps the module's own
            # Parameter; only attribute lookups during the call see ``value``.
            object.__setattr__(owner, attr, value)
        return module(*args, **(kwargs or {}))
    finally:
        for owner, attr, old in reversed(swapped):
            object.__setattr__(owner, attr, old)
