"""Parametrizations: a module's tensor computed, at each access, from an unconstrained
parameter (``torch.nn.utils.parametrize``).

After ``register_parametrization(module, "weight", P())``, reading ``module.weight``
returns ``P()(original)``, where ``original`` is a :class:`~minigrad.nn.Parameter` stored
at ``module.parametrizations.weight.original``: the optimizer updates ``original``
freely, and ``weight`` stays on the set P maps onto (orthogonal matrices, say). Since
the value is recomputed at every access inside the step, gradients reach ``original``
through P, and :func:`minigrad.compile` captures P's ops with ``original`` as the
bound input, like any parameter.

``module.parameters()`` and ``state_dict()`` list ``parametrizations.weight.original``
instead of ``weight``, as PyTorch does. Assigning ``module.weight = W`` stores
``P.right_inverse(W)`` in ``original`` (P must define ``right_inverse``).
"""

from __future__ import annotations

from typing import Any

from ...autograd import no_grad
from ...tensor import Tensor
from ..containers import ModuleList
from ..module import Module, Parameter

__all__ = [
    "ParametrizationDict",
    "ParametrizationList",
    "is_parametrized",
    "register_parametrization",
    "remove_parametrizations",
]


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in registration order to
    ``original``: ``value = P_k(...P_1(original))``."""

    def __init__(self, modules: list[Module], original: Parameter) -> None:
        super().__init__(modules)
        self.original = original

    def forward(self) -> Tensor:
        """The parametrized tensor, computed from ``original`` now."""
        x = self.original
        for p in self:
            x = p(x)
        return x

    def right_inverse(self, value: Any) -> Any:
        """An ``original`` that maps to ``value``: each ``right_inverse`` in reverse order."""
        for p in reversed(list(self)):
            inverse = getattr(p, "right_inverse", None)
            if inverse is None:
                raise RuntimeError(
                    f"{type(p).__name__} has no right_inverse: a parametrized tensor can "
                    "only be assigned through one"
                )
            value = inverse(value)
        return value


class ParametrizationDict(Module):
    """``module.parametrizations``: one :class:`ParametrizationList` per tensor name."""

    def __getitem__(self, name: str) -> ParametrizationList:
        return self._modules[name]

    def __contains__(self, name: str) -> bool:
        return name in self._modules


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization (for ``tensor_name``, if given)."""
    found = module.__dict__.get("parametrizations")
    if not isinstance(found, ParametrizationDict):
        return False
    return tensor_name is None or tensor_name in found


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Make ``module.<tensor_name>`` the value of ``parametrization`` at the current
    ``original``; returns ``module``.

    The first registration for a name moves the parameter to
    ``module.parametrizations.<tensor_name>.original``; its value becomes
    ``parametrization.right_inverse(value)`` when the parametrization defines one (a
    ``NotImplementedError`` from it keeps the value as it is), so that the tensor reads
    the same as before where that is possible. A second registration for the same name
    composes: the new parametrization is applied after the earlier ones.

    Unless ``unsafe``, the parametrized value must keep the tensor's shape and dtype
    (a ``ValueError`` names both).
    """
    if not isinstance(parametrization, Module):
        raise TypeError(
            f"register_parametrization: expected a Module, got {type(parametrization).__name__}"
        )
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        before = plist()
        plist.append(parametrization)
    else:
        before = getattr(module, tensor_name, None)
        if not isinstance(before, Parameter):
            raise ValueError(
                f"register_parametrization: {type(module).__name__} has no parameter "
                f"{tensor_name!r} (got {type(before).__name__})"
            )
        plist = ParametrizationList([parametrization], _initial_original(parametrization, before))
        delattr(module, tensor_name)
        if not is_parametrized(module):
            module.parametrizations = ParametrizationDict()
        setattr(module.parametrizations, tensor_name, plist)
        _install_property(module, tensor_name)
    if not unsafe:
        _check_keeps(plist(), before, tensor_name)
    return module


def _initial_original(parametrization: Module, value: Parameter) -> Parameter:
    inverse = getattr(parametrization, "right_inverse", None)
    if inverse is not None:
        try:
            with no_grad():
                found = inverse(value)
            data = found.data if isinstance(found, Tensor) else found
            return Parameter(data, dtype=value.dtype)
        except NotImplementedError:
            pass
    return Parameter(value.data, dtype=value.dtype)


def _check_keeps(after: Tensor, before: Tensor, name: str) -> None:
    if after.shape != before.shape or after.dtype != before.dtype:
        raise ValueError(
            f"register_parametrization: the parametrized {name!r} is {after.shape} "
            f"{after.dtype}, the tensor was {before.shape} {before.dtype} (pass unsafe=True "
            "to allow a change)"
        )


def _install_property(module: Module, name: str) -> None:
    """Give ``module`` a class of its own whose ``name`` is a property."""
    cls = type(module)
    if not getattr(cls, "_parametrized_class", False):
        cls = type(f"Parametrized{cls.__name__}", (cls,), {"_parametrized_class": True})
        module.__class__ = cls

    def get(self: Module) -> Tensor:
        return self.parametrizations[name]()

    def set_(self: Module, value: Any) -> None:
        plist = self.parametrizations[name]
        with no_grad():
            found = plist.right_inverse(value)
            plist.original.copy_(found.data if isinstance(found, Tensor) else found)

    setattr(cls, name, property(get, set_, doc=f"``{name}``, parametrized."))


def remove_parametrizations(
    module: Module, tensor_name: str, leave_parametrized: bool = True
) -> Module:
    """Undo :func:`register_parametrization` for ``tensor_name``: the tensor becomes a
    plain parameter again, holding its current parametrized value
    (``leave_parametrized=True``) or the unconstrained ``original``."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"remove_parametrizations: {tensor_name!r} is not parametrized")
    plist = module.parametrizations[tensor_name]
    with no_grad():
        value = plist() if leave_parametrized else plist.original
    delattr(module.parametrizations, tensor_name)
    delattr(type(module), tensor_name)
    if not module.parametrizations._modules:
        delattr(module, "parametrizations")
        module.__class__ = type(module).__mro__[1]
    setattr(module, tensor_name, Parameter(value.data, dtype=value.dtype))
    return module
