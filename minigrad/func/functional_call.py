"""Calling a module with other parameters: how the transforms differentiate a model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..nn import Module
    from ..tensor import Tensor

__all__ = ["functional_call"]


def functional_call(
    module: Module,
    parameters: Mapping[str, Tensor] | Sequence[Mapping[str, Tensor]],
    args: Any = (),
    kwargs: Mapping[str, Any] | None = None,
) -> Any:
    """``module(*args, **kwargs)`` with the named parameters and buffers replaced by
    ``parameters`` (names as in ``module.named_parameters()``,
    ``module.named_buffers()`` or ``module.state_dict()``), as
    ``torch.func.functional_call``: one dict, or a tuple of dicts (parameters and
    buffers apart) whose names are merged, a name in two of them raising ``ValueError``.

    The module is left as it was, so the transforms can differentiate a model with
    respect to its parameters::

        def loss(params):
            return cross_entropy(functional_call(model, params, (x,)), y)

        g = minigrad.func.grad(loss)(dict(model.named_parameters()))

    As PyTorch's (with ``tie_weights=True``), a tensor held under several names (a
    decoder sharing its encoder's weight, a submodule held twice) is replaced under
    all of them when one is given, so the gradient of a tied weight sums every use;
    different values given for names of the same tensor raise ``ValueError``.
    Parameters and buffers not named keep their own values; an unknown name raises
    ``KeyError``.
    """
    if not isinstance(args, tuple):
        args = (args,)
    if isinstance(parameters, (tuple, list)):
        parameters = _merged(parameters)
    places = _places(module)
    slots = {name: key for name, _, _, key in places}
    chosen: dict[Any, tuple[str, Any]] = {}  # the tensor replaced -> (name, new value)
    for name, value in parameters.items():
        if name not in slots:
            raise KeyError(
                f"functional_call: {type(module).__name__} has no parameter or buffer {name!r}"
            )
        first = chosen.setdefault(slots[name], (name, value))
        if first[1] is not value:
            raise ValueError(
                f"functional_call: different values for {first[0]!r} and {name!r}, which "
                "name the same tensor of the module"
            )
    swapped = []
    done: set[tuple[int, str]] = set()
    try:
        for _, owner, attr, key in places:
            if key not in chosen or (id(owner), attr) in done:
                continue
            done.add((id(owner), attr))
            swapped.append((owner, attr, owner.__dict__[attr]))
            # Bypasses Module.__setattr__: the registration keeps the module's own
            # Parameter; only attribute lookups during the call see the new value.
            object.__setattr__(owner, attr, chosen[key][1])
        return module(*args, **(kwargs or {}))
    finally:
        for owner, attr, old in reversed(swapped):
            object.__setattr__(owner, attr, old)


def _places(module: Module) -> list[tuple[str, Module, str, Any]]:
    """(dotted name, owner, attribute, key of the tensor) of every parameter and buffer
    under every name; the key is the tensor's id (a None buffer's: its own place)."""
    places = []
    for mname, m in module.named_modules(remove_duplicate=False):
        prefix = f"{mname}." if mname else ""
        for attr, p in m._parameters.items():
            places.append((prefix + attr, m, attr, id(p)))
        for attr, b in m._buffers.items():
            places.append((prefix + attr, m, attr, (id(m), attr) if b is None else id(b)))
    return places


def _merged(dicts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One dict of the names of ``dicts``, each name in at most one of them."""
    merged: dict[str, Any] = {}
    for d in dicts:
        for name, value in d.items():
            if name in merged:
                raise ValueError(
                    f"functional_call: {name!r} appears in more than one of the dicts given"
                )
            merged[name] = value
    return merged
