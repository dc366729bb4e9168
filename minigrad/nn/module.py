"""``Parameter`` and ``Module``: the containers models are built from, as in PyTorch."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor, as_array, get_default_dtype

__all__ = ["IncompatibleKeys", "Module", "Parameter"]


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` skipped: model keys absent from the state dict, and
    state-dict keys the model does not have."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Parameter(Tensor):
    """A leaf tensor that a :class:`Module` registers as one of its parameters.

    It always requires grad (unless created with ``requires_grad=False``) and is
    floating point: ``Parameter(np.zeros((3, 2)))``.
    """

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None) -> None:
        arr = as_array(data, dtype, copy=True)
        if arr.dtype.kind != "f":
            arr = arr.astype(get_default_dtype())
        super().__init__(arr, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class for models: assign Parameters and Modules as attributes to register them.

    >>> from minigrad import nn
    >>> class Affine(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = nn.Parameter([[1.0, 2.0]])
    ...     def forward(self, x):
    ...         return x @ self.w.T
    >>> [name for name, _ in Affine().named_parameters()]
    ['w']
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # ------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if params is None:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called; "
                "call super().__init__() first"
            )
        modules = self.__dict__["_modules"]
        # Re-assigning a registered name keeps its place in the registration order.
        if isinstance(value, Parameter):
            modules.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            modules[name] = value
        else:
            # As PyTorch: a registered name takes only its kind or None (a plain Tensor
            # assigned over a parameter used to unregister it, dropping it silently from
            # parameters() and state_dict()).
            if value is not None and name in params:
                raise TypeError(
                    f"cannot assign {type(value).__name__!r} as parameter {name!r} "
                    "(nn.Parameter or None expected)"
                )
            if value is not None and name in modules:
                raise TypeError(
                    f"cannot assign {type(value).__name__!r} as child module {name!r} "
                    "(nn.Module or None expected)"
                )
            params.pop(name, None)
            modules.pop(name, None)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name`` (None records an absent parameter, e.g. no bias)."""
        if param is None:
            self._parameters.pop(name, None)
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    # ----------------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --------------------------------------------------------------- traversal
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(name, module) for this module and every submodule, each listed once."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            children = [(f"{name}.{k}" if name else k, c) for k, c in m._modules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) in registration order; a shared parameter once."""
        seen: set[int] = set()
        for mname, m in self.named_modules(prefix):
            for pname, p in m._parameters.items():
                if id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mname}.{pname}" if mname else pname), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule and on self, each once, in PyTorch's order:
        each child's subtree in registration order (depth first), then self; returns self."""
        order: list[Module] = []
        seen: set[int] = set()

        def visit(m: Module) -> None:
            seen.add(id(m))
            for child in m._modules.values():
                if id(child) not in seen:
                    visit(child)
            order.append(m)

        visit(self)
        for m in order:
            fn(m)
        return self

    # -------------------------------------------------------------------- modes
    def train(self, mode: bool = True) -> Module:
        """Set training mode (dropout active) on this module and its submodules.

        As PyTorch, each child's own ``train(mode)`` is called, so a submodule that
        overrides ``train`` (to keep a part frozen in eval mode, say) is obeyed; a
        module reached again while its ``train`` runs (it contains itself) is skipped.
        ``mode`` must be a bool (``ValueError`` otherwise, as PyTorch: ``train("False")``
        would turn training on)."""
        if not isinstance(mode, bool):
            raise ValueError(
                f"training mode is expected to be boolean, got {type(mode).__name__} {mode!r}"
            )
        if self.__dict__.get("_in_train"):
            return self
        object.__setattr__(self, "_in_train", True)
        try:
            object.__setattr__(self, "training", mode)
            for m in self._modules.values():
                m.train(mode)
        finally:
            del self.__dict__["_in_train"]
        return self

    def eval(self) -> Module:
        """Set evaluation mode (``train(False)``)."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all parameters (to None, or to zeros)."""
        for p in self.parameters():
            if set_to_none or not isinstance(p.grad, np.ndarray):
                p.grad = None  # also a Tensor left by backward(create_graph=True)
            else:
                p.grad[...] = 0

    # ---------------------------------------------------------------- state
    def state_dict(self) -> dict[str, np.ndarray]:
        """``{name: copy of the parameter's array}`` in registration order. As PyTorch, a
        parameter (or module) shared under several names is listed under each of them."""
        return {name: p.data.copy() for name, p in self._state_items()}

    def _state_items(
        self, prefix: str = "", ancestors: frozenset[int] = frozenset()
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) under every name, as PyTorch's ``state_dict``: own
        parameters, then each child's; a module containing itself is not re-entered."""
        for name, p in self._parameters.items():
            yield prefix + name, p
        for name, m in self._modules.items():
            if id(m) not in ancestors and m is not self:
                yield from m._state_items(f"{prefix}{name}.", ancestors | {id(self)})

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy arrays (anything array-like) into the parameters, in place, cast to each
        parameter's dtype.

        Every key and shape is checked before anything is written: a shape mismatch
        always raises, and so do missing or unexpected keys when ``strict``; the
        ``RuntimeError`` names each offending key (and both shapes). With
        ``strict=False`` the missing and unexpected keys are ignored and returned, as
        in PyTorch, in ``IncompatibleKeys(missing_keys, unexpected_keys)``. A parameter
        shared under several names is read from each of them present (the last wins,
        as PyTorch), and is not missing if any of its names is there.
        """
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
            if arr.shape != p.shape:
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

    # ---------------------------------------------------------------- display
    def extra_repr(self) -> str:
        """One line of constructor arguments, shown by ``repr``."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        head = f"{type(self).__name__}({extra}" if extra else f"{type(self).__name__}("
        return head + "\n" + "\n".join(lines) + "\n)"
