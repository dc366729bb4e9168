"""What a compiled function reads from outside its arguments: its environment.

A captured program fixes every value the traced run read, not only the arguments: a
module's training flag (dropout on or off), a Python number in a closure or a global
(``scale`` in ``lambda x: (lin(x) * scale).sum()``), a tensor bound by name. So the
cache key also holds, per call, the current state of the names the function's code
reads from its closure cells and its globals, and of those read by the plain Python
functions it calls through them (to a depth of :data:`DEPTH`), and the default values
of their parameters other than numbers, strings and None; a ``functools.partial``'s
bound arguments are read as such names, and its function is followed; for an object
called as the function, what its class's methods read:

- a module: its identity, every submodule's training flag, its parameters' identities
  and requires-grad flags, the state of its and its submodules' other attributes (as
  below; :func:`minigrad.compile.key.module_key`); the names its methods read are
  followed as a function's, and the data attributes of its classes (``Model.scale``,
  which ``self.scale`` reads while the instance has none of its own) are read as names;
- a Tensor: its identity, shape, dtype and requires-grad flag;
- a NumPy array: its shape, dtype and values (as an argument's);
- a Python number, string, None, ...: its value; a tuple of at most :data:`ITEMS`
  items: its items, the same way;
- a list or dict: its identity and the state of the tensors and modules in it (of at
  most :data:`ITEMS` items): a list a loop appends numbers to would otherwise recapture
  each call, so its other items are not read;
- a function: what it reads (followed above); anything else: its identity.

Not followed: attributes of other objects (``cfg.scale`` for a ``cfg`` of your own
class: pass it as an argument; a module's attributes are read, see above), code
in minigrad and the libraries (only the caller's own functions are read), and values
reached through ``getattr`` or ``eval``. The names are found once, from the code
objects; their values are read at every call.
"""

from __future__ import annotations

import functools
import types
import weakref
from collections.abc import Callable
from typing import Any

from ..nn import Module
from . import key as keys
from .key import ITEMS, state_of

__all__ = ["DEPTH", "ITEMS", "Environment"]

DEPTH = 4  # functions followed through the names they read
_MISSING = object()
_FOLLOWED = (types.FunctionType, types.MethodType, functools.partial, Module)
_OPAQUE = (type, types.ModuleType, types.BuiltinFunctionType, types.MethodWrapperType)


class Environment:
    """The names ``fn`` reads from outside its arguments, found once; :meth:`key`
    reads their current values."""

    def __init__(self, fn: Callable) -> None:
        self.reads: list[tuple[str, Any, str]] = []  # (label, dict or cell, name)
        self._follow(fn)

    def key(self, found: set[int] | None = None) -> tuple:
        """One entry per name: the state of its current value (see the module doc).
        ``found`` receives the ids of the tensors reached: tensors bound by name (also
        in tuples, lists and dicts of at most :data:`ITEMS` items) and the parameters
        of the modules there. Their values change between calls, so a capture must not
        freeze a value read from one, and an argument that is one of them is not an
        input like the others."""
        if found is None:
            found = set()
        return tuple(
            state_of(_read(where, name), ITEMS, found) for _label, where, name in self.reads
        )

    def values(self) -> list[Any]:
        """The current values of the names read."""
        return [_read(where, name) for _label, where, name in self.reads]

    def labels(self) -> list[str]:
        return [label for label, _where, _name in self.reads]

    def _follow(self, fn: Callable) -> None:
        seen: set[int] = set()
        stack: list[tuple[Any, int]] = [(fn, 0)]
        while stack:
            f, depth = stack.pop()
            if type(f) is keys.COMPILED:  # a compiled function compiled again: what it compiles
                stack.append((f.fn, depth))
                continue
            if isinstance(f, functools.partial):  # its bound arguments, then its function
                bound = [*enumerate(f.args), *f.keywords.items()]
                for name, value in bound:
                    label = f"{'argument ' if type(name) is int else ''}{name} bound by partial"
                    self._add(label, {"value": value}, "value", stack, depth)
                stack.append((f.func, depth))
                continue
            if isinstance(f, Module):  # what its methods read, and its submodules'
                if depth < DEPTH:
                    stack.extend((m, depth + 1) for m in f._modules.values())
                stack.extend((m, depth) for m in _methods(type(f)))
                for klass, name in _class_data(type(f)):  # Model.scale = 2.0, M.act = g
                    label = f"{name} (attribute of class {klass.__qualname__})"
                    self._add(label, vars(klass), name, stack, depth)
                continue
            if not isinstance(f, (types.FunctionType, types.MethodType, type)):
                # an object of the caller's class called as a function: its __call__
                # and the methods it calls (its attributes are not read: see above)
                stack.extend((m, depth) for m in _methods(type(f)))
                continue
            owner = getattr(f, "__self__", None)
            if isinstance(owner, Module) and depth < DEPTH:  # a module's bound method
                stack.append((owner, depth + 1))
            f = getattr(f, "__func__", f)  # a bound method: its function
            code = getattr(f, "__code__", None)
            if code is None or id(code) in seen or not _own(f):
                continue
            seen.add(id(code))
            where = f"{getattr(f, '__qualname__', '?')}"
            for cell_name, cell in zip(code.co_freevars, f.__closure__ or (), strict=False):
                self._add(f"{cell_name} (read by {where})", cell, cell_name, stack, depth)
            g = f.__globals__
            for name in sorted(_global_names(code)):
                if name in g:
                    self._add(f"{name} (read by {where})", g, name, stack, depth)
            # default values of its parameters (a number is fixed; an array, a module or
            # a tensor may change in place)
            names, given = code.co_varnames[: code.co_argcount], f.__defaults__ or ()
            defaults = zip(names[len(names) - len(given) :], given, strict=True)
            for name, value in (*defaults, *(f.__kwdefaults__ or {}).items()):
                if not isinstance(value, keys.SCALARS):
                    self._add(f"{name}= (default of {where})", {"v": value}, "v", stack, depth)

    def _add(self, label: str, where: Any, name: str, stack: list, depth: int) -> None:
        value = _read(where, name)
        if type(value) is keys.COMPILED:  # a compiled function or module: what it compiles
            value = value.fn
        if isinstance(value, _OPAQUE):
            return  # classes, modules, builtins: fixed for the program's purposes
        self.reads.append((label, where, name))
        if depth < DEPTH and isinstance(value, _FOLLOWED):
            stack.append((value, depth + 1))


# id(module) -> (a weak reference to it, its Environment); by id, as a module may define
# __eq__ without __hash__
_ARGUMENTS: dict[int, tuple[weakref.ref, Environment]] = {}


def module_reads(m: Module, found: set[int] | None = None) -> tuple:
    """The key of what a module passed as an argument reads from outside through its
    methods and its submodules' (its :class:`Environment`, found at its first call)."""
    held = _ARGUMENTS.get(id(m))
    if held is None or held[0]() is not m:
        k = id(m)
        held = _ARGUMENTS[k] = (weakref.ref(m, lambda _r: _ARGUMENTS.pop(k, None)), Environment(m))
    env = held[1]
    return env.key(found) if env.reads else ()


keys.MODULE_READS = module_reads


def _methods(cls: type) -> list[Any]:
    """The functions the caller's classes in ``cls``'s hierarchy define (methods, static
    and class methods, property getters): a module's ``forward`` calls the others."""
    found = []
    for klass in cls.__mro__:
        if not _own(klass):
            continue
        for attr in vars(klass).values():
            if isinstance(attr, (staticmethod, classmethod)):
                attr = attr.__func__
            elif isinstance(attr, property):
                attr = attr.fget
            if isinstance(attr, types.FunctionType):
                found.append(attr)
    return found


def _class_data(cls: type) -> list[tuple[type, str]]:
    """The attributes (not dunder names) of the caller's classes in ``cls``'s hierarchy:
    data, which ``self.scale`` reads while the instance has none, and methods, which a
    class may have replaced since (``Model.act = ...``): keyed by identity."""
    found = []
    for klass in cls.__mro__:
        if not _own(klass):
            continue
        for name in vars(klass):
            if not name.startswith("__"):
                found.append((klass, name))
    return found


def _own(f: Any) -> bool:
    """Whether ``f`` is the caller's code (not minigrad's, rnn's or a library's)."""
    module = getattr(f, "__module__", None) or ""
    top = module.split(".")[0]
    return top not in ("minigrad", "rnn", "numpy", "functools", "builtins")


def _global_names(code: types.CodeType) -> set[str]:
    """The names ``code`` and the code nested in it (lambdas, comprehensions) load;
    attribute names are among them, harmless: only those bound in the globals count."""
    names: set[str] = set()
    stack = [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return names


def _read(where: Any, name: str) -> Any:
    if type(where) is dict or type(where) is types.MappingProxyType:  # (a class's)
        return where.get(name, _MISSING)
    try:
        return where.cell_contents
    except ValueError:  # a cell not yet filled
        return _MISSING
