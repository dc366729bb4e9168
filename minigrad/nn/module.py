"""``Parameter`` and ``Module``: the containers models are built from, as in PyTorch."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..ops.casts import to_arguments
from ..tensor import Tensor, as_array, get_default_dtype
from .state import IncompatibleKeys, ModuleState

__all__ = ["IncompatibleKeys", "Module", "Parameter", "float_dtype", "not_inplace"]


def float_dtype(dtype: Any, who: str) -> np.dtype:
    """``dtype`` (default: the default dtype), checked to be float32 or float64."""
    try:
        d = get_default_dtype() if dtype is None else np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{who}: expected a NumPy dtype or its name, got {dtype!r}") from None
    if d not in (np.float32, np.float64):
        raise TypeError(f"{who}: dtype must be float32 or float64, got {d}")
    return d


def not_inplace(who: str, inplace: bool) -> bool:
    """False, the only ``inplace`` offered: an in-place activation would overwrite a value
    the graph saved for backward."""
    if inplace:
        raise ValueError(
            f"{who}: inplace=True is not supported (minigrad computes activations out of "
            "place, so the graph keeps the values it saved for backward); use inplace=False"
        )
    return False


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


class Module(ModuleState):
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
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
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
        modules, buffers = self.__dict__["_modules"], self.__dict__["_buffers"]
        # Re-assigning a registered name keeps its place in the registration order.
        if isinstance(value, Parameter):
            modules.pop(name, None)
            self._forget_buffer(name)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            self._forget_buffer(name)
            modules[name] = value
        elif name in buffers:
            # As PyTorch: a buffer takes a new tensor (or None) and stays a buffer,
            # persistent or not as it was registered.
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__!r} as buffer {name!r} "
                    "(a Tensor or None expected)"
                )
            buffers[name] = value
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
        self._forget_buffer(name)
        object.__delattr__(self, name)

    def _forget_buffer(self, name: str) -> None:
        self._buffers.pop(name, None)
        self._non_persistent_buffers_set.discard(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name`` (None records an absent parameter, e.g. no bias).

        As PyTorch: ``param`` must be a :class:`Parameter` or None (``TypeError``), and
        ``name`` a string without "." that is new or already a parameter's, present or
        absent (``KeyError`` for another attribute: a method, a buffer, a child)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign a parameter before Module.__init__() is called")
        if not isinstance(name, str):
            raise TypeError(f"parameter name should be a string, got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f"parameter name can't be empty or contain '.', got {name!r}")
        absent = self.__dict__.get(name, self) is None and name not in self._buffers
        if hasattr(self, name) and name not in self._parameters and not absent:
            raise KeyError(f"attribute {name!r} already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {type(param).__name__!r} object to parameter {name!r} "
                "(nn.Parameter or None required)"
            )
        if param is None:
            self._parameters.pop(name, None)
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register ``tensor`` as a buffer named ``name``: state that is not a parameter
        (running statistics, a mask), read as ``self.name``.

        A buffer is listed by ``buffers()`` and ``named_buffers()``, never by
        ``parameters()`` (an optimizer leaves it alone); it is saved by ``state_dict``
        and checked and loaded by ``load_state_dict`` as a parameter is, unless
        ``persistent=False`` or it is None. ``to``, ``double`` and ``float`` cast it
        (when it is floating point). Assigning ``self.name = t`` later replaces it,
        keeping it a buffer (a Tensor or None); ``del self.name`` removes it. As
        PyTorch: ``name`` must be new (not another attribute), without ".".
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign a buffer before Module.__init__() is called")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string, got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f"buffer name can't be empty or contain '.', got {name!r}")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute {name!r} already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign {type(tensor).__name__!r} object to buffer {name!r} "
                "(a Tensor or None required: wrap an array with minigrad.tensor)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)
        object.__setattr__(self, name, tensor)

    def add_module(self, name: str, module: Module) -> None:
        """Register ``module`` as the child ``name`` (``setattr``, with PyTorch's checks:
        ``name`` a new attribute name, or a child's, without "."; ``module`` a Module)."""
        if not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string, got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f"module name can't be empty or contain '.', got {name!r}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute {name!r} already exists")
        setattr(self, name, module)

    # ----------------------------------------------------------------- calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --------------------------------------------------------------- traversal
    def named_modules(
        self, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """(name, module) for this module and every submodule, depth first, each listed
        once (under each of its names if ``remove_duplicate`` is False, as PyTorch; a
        module containing itself is not entered again)."""
        seen: set[int] = set()
        stack: list[tuple[str, Module, frozenset[int]]] = [(prefix, self, frozenset())]
        while stack:
            name, m, ancestors = stack.pop()
            if remove_duplicate:
                if id(m) in seen:
                    continue
                seen.add(id(m))
            elif id(m) in ancestors:
                continue
            yield name, m
            inner = ancestors if remove_duplicate else ancestors | {id(m)}
            children = [(f"{name}.{k}" if name else k, c, inner) for k, c in m._modules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) in registration order, this module's then each
        submodule's (only this module's unless ``recurse``); a parameter held under
        several names, or by a module held under several, once (unless
        ``remove_duplicate`` is False: then under each name, as PyTorch)."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters of :meth:`named_parameters`."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer), as :meth:`named_parameters` lists parameters; None
        buffers are skipped."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers of :meth:`named_buffers`."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def _named_members(
        self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool
    ) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix, remove_duplicate) if recurse else [(prefix, self)]
        for mname, m in modules:
            for name, t in getattr(m, registry).items():
                if t is None or (remove_duplicate and id(t) in seen):
                    continue
                seen.add(id(t))
                yield (f"{mname}.{name}" if mname else name), t

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

    # ---------------------------------------------------------------- dtype
    def to(
        self, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False
    ) -> Module:
        """Cast every floating-point parameter and buffer to ``dtype`` (float32 or
        float64), in place; returns self. PyTorch's forms ``to(dtype)``, ``to(device)``,
        ``to(device, dtype)``, ``to(tensor)`` (its dtype) and ``device=`` are taken as a
        tensor's ``to`` takes them: the device ``"cpu"`` changes nothing (minigrad
        computes on the CPU), and ``non_blocking`` is accepted.

        As PyTorch's ``Module.to``: each parameter stays the same :class:`Parameter`
        (an optimizer built from ``parameters()`` still holds it) with its array
        replaced by a cast copy, and a gradient it holds is cast too; integer and
        boolean buffers (counts, masks) are left as they are. Another dtype, or a
        device other than the CPU, raises ``TypeError``. An optimizer's state
        (Adam's moments) is not cast: build the optimizer after the cast.
        """
        who = f"{type(self).__name__}.to"
        dtype = to_arguments(who, args, dtype, device)
        if isinstance(dtype, Tensor):
            dtype = dtype.dtype
        if dtype is None:
            return self
        d = float_dtype(dtype, who)
        seen: set[int] = set()
        for m in self.modules():
            for t in (*m._parameters.values(), *m._buffers.values()):
                if t is None or id(t) in seen or t.dtype.kind != "f":
                    continue
                seen.add(id(t))
                if t.dtype != d:
                    t.data = t.data.astype(d)
                grad = t.grad
                if isinstance(grad, np.ndarray) and grad.dtype != d:
                    t.grad = grad.astype(d)
                elif isinstance(grad, Tensor):  # left by backward(create_graph=True)
                    grad.data = grad.data.astype(d)
        return self

    def cpu(self) -> Module:
        """``to("cpu")``: the module itself, where minigrad computes (as PyTorch's
        ``Module.cpu``, which PyTorch code calls before saving or plotting)."""
        return self.to("cpu")

    def double(self) -> Module:
        """Cast floating-point parameters and buffers to float64 (``to(np.float64)``)."""
        return self.to(np.float64)

    def float(self) -> Module:
        """Cast floating-point parameters and buffers to float32 (``to(np.float32)``)."""
        return self.to(np.float32)

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
