"""The cache key of a call: everything a captured program depends on.

Arguments are walked recursively through tuples, lists and dicts (keyword arguments
included), so a tensor inside a list is an input like any other. For each leaf:

- a Tensor: its shape, dtype and requires-grad flag (its values are the input);
- a NumPy array: its shape, dtype *and values* (arrays are constants of the program:
  lengths, masks, index arrays; pass a Tensor for data that changes every call);
- a module: its identity, its parameters' identities and requires-grad flags, its
  submodules' identities and training flags, and the state of their other attributes
  (:func:`state_of`); and what its methods read from outside (a global, say: see
  :mod:`minigrad.compile.environment`);
- a Python number, string, None, ...: its value (a float by its ``repr``, so ``-0.0``
  and ``0.0`` differ and a NaN matches a NaN); any other object: its identity, the
  object kept alive with the key (so no other object can take its address meanwhile).

Grad mode, the default dtype and which tensor arguments are one and the same tensor
are part of the key too.
"""

from __future__ import annotations

import hashlib
import types
from typing import Any

import numpy as np

from ..nn import Module
from ..tensor import Tensor, get_default_dtype
from .guards import grad_mode

__all__ = [
    "ITEMS",
    "SCALARS",
    "array_key",
    "describe_change",
    "flatten",
    "identity_key",
    "labels",
    "module_key",
    "scalar_key",
    "state_of",
]

SCALARS = (int, float, complex, bool, str, bytes, type(None), np.generic)
ITEMS = 64  # containers larger than this are keyed by identity
COMPILED: Any = None  # minigrad.compile.api.Compiled (set there: it imports this module)
# minigrad.compile.environment.module_reads (set there): what a module argument's methods
# read from outside, keyed as a function's environment
MODULE_READS: Any = None
_INEXACT = (float, complex, np.inexact)


def scalar_key(x: Any) -> tuple:
    """The key of a Python or NumPy scalar: its value, a float's by its ``repr``
    (floats compare ``-0.0 == 0.0`` and ``nan != nan``, which would share a program
    between a signed zero and zero and capture again at every call with a NaN)."""
    if isinstance(x, _INEXACT):
        return ("F", type(x).__name__, repr(x))
    return ("V", type(x).__name__, x)


class _Same:
    """An object in a key, equal only to itself. Holding it keeps it alive while the
    key is cached: a key of its bare ``id`` would match a new object that took the
    address of a dead one."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return type(other) is _Same and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)


def identity_key(x: Any) -> tuple:
    """The key of an object keyed by identity."""
    return ("id", _Same(x))


def flatten(
    args: tuple, kwargs: dict, extra: tuple = (), found: set[int] | None = None
) -> tuple[list[Tensor], tuple]:
    """(the tensors in order, the key); the ids of the parameters of the modules in
    ``extra`` go into ``found``."""
    tensors: list[Tensor] = []
    key: list[Any] = []
    _walk(args, kwargs, tensors, key, None, found)
    # A tensor passed twice is one input of the program: (x, x) and (a, b) differ.
    ids = [id(t) for t in tensors]
    if len(set(ids)) == len(ids):
        key.append(("same", None))  # all distinct, the common case
    else:
        first: dict[int, int] = {}
        key.append(("same", tuple(first.setdefault(i, k) for k, i in enumerate(ids))))
    key.append(grad_mode())
    key.append(get_default_dtype().str)
    key.extend(module_key(m, found) for m in extra)
    return tensors, tuple(key)


def labels(args: tuple, kwargs: dict, extra: tuple = ()) -> list[str]:
    """What each entry of the key describes (``*args[0]``, ``**kwargs['lr']``, ...)."""
    names: list[str] = []
    _walk(args, kwargs, [], [], names)
    names += ["which tensor arguments are the same tensor", "grad mode", "default dtype"]
    names += [f"module {type(m).__name__} #{i}" for i, m in enumerate(extra)]
    return names


def _walk(
    args: tuple,
    kwargs: dict,
    tensors: list,
    key: list,
    names: list | None,
    found: set[int] | None = None,
) -> None:
    if names is None and not kwargs and all(type(a) is Tensor for a in args):
        # The common call, tensors only, at every replay: the entries the walk below
        # would make, without its paths.
        key.append(("tuple", len(args)))
        for x in args:
            tensors.append(x)
            d = x.data
            key.append(("T", d.shape, d.dtype, x._requires_grad))
        key.append(("dict", ()))
        return
    stack: list[tuple[str, Any]] = [("**kwargs", kwargs), ("*args", args)]
    while stack:
        path, x = stack.pop()
        kind = type(x)
        if kind is Tensor or isinstance(x, Tensor):
            tensors.append(x)
            d = x.data
            key.append(("T", d.shape, d.dtype, x._requires_grad))
        elif kind is tuple or kind is list or isinstance(x, (tuple, list)):
            key.append((kind.__name__, len(x)))
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(x))))
        elif isinstance(x, dict):
            key.append(("dict", tuple(x)))
            stack.extend((f"{path}[{k!r}]", x[k]) for k in reversed(list(x)))
        elif kind is np.ndarray or isinstance(x, np.ndarray):
            key.append(array_key(x))
        elif isinstance(x, Module):
            key.append((*module_key(x, found), MODULE_READS(x, found)))
        elif isinstance(x, SCALARS):
            key.append(scalar_key(x))
        else:
            key.append(identity_key(x))
        if names is not None:
            names.append(path)


_SMALL_ARRAY = 4096  # bytes: an array this small is keyed by its bytes, not a digest


def array_key(x: np.ndarray) -> tuple:
    """The key of a NumPy array: its shape, dtype and values (its bytes when small, else a
    128-bit digest of them)."""
    if x.nbytes <= _SMALL_ARRAY:
        return ("A", x.shape, x.dtype, x.tobytes())
    digest = hashlib.blake2b(np.ascontiguousarray(x).view(np.uint8), digest_size=16)
    return ("A", x.shape, x.dtype, digest.digest())


# A module's own bookkeeping, keyed on its own: what is registered, and the training flag.
# A buffer is an attribute too (``self.running_mean``): keyed with the others, by name.
_REGISTRY = frozenset(
    ("_parameters", "_modules", "training", "_buffers", "_non_persistent_buffers_set")
)
_PLAIN = frozenset((int, bool, str, type(None)))  # keyed by value as they are


def module_key(m: Module, found: set[int] | None = None) -> tuple:
    """The key of a module: its identity, its parameters' identities and requires-grad
    flags, every submodule's identity and training flag, and the state of every other
    attribute of each (:func:`state_of`: a tensor kept as a buffer or a mask by its
    identity, a number such as ``Dropout.p`` by its value). One walk of the modules' own
    tables: this runs at every call. The ids of the parameters and of the tensors among
    the attributes go into ``found``."""
    if found is None:
        found = set()
    params: list[Any] = []
    modes: list[Any] = []
    attrs: list[Any] = []
    seen: set[int] = set()
    stack = [m]
    while stack:
        mod = stack.pop()
        if id(mod) in seen:
            continue
        seen.add(id(mod))
        modes.append(id(mod))  # a submodule replaced by another is a new key
        modes.append(mod.training)
        registered, children = mod._parameters, mod._modules
        for p in registered.values():
            params.append(id(p))
            params.append(p._requires_grad)
        attrs.append(type(mod))  # whose attributes follow (for the warning's words)
        for name, value in mod.__dict__.items():
            if name in _REGISTRY:
                continue
            if name in registered or name in children:
                if registered.get(name, children.get(name)) is value:
                    continue  # keyed above (functional_call puts another tensor in its place)
            kind = type(value)
            if kind in _PLAIN:  # most attributes (sizes, flags, names): the value itself
                attrs += (name, kind, value)
            else:
                attrs += (name, kind, state_of(value, ITEMS, found, False))
        stack.extend(children.values())
    found.update(params[::2])
    return ("M", id(m), tuple(params), tuple(modes), tuple(attrs))


def state_of(x: Any, budget: int, found: set[int], modules: bool = True) -> Any:
    """The part of a value a captured program depends on when the function reads it from
    outside its arguments (a name it reads, a module's attribute); the ids of the tensors
    it holds go into ``found``:

    - a Tensor: its identity, shape, dtype and requires-grad flag (its values are read
      at every call, as a parameter's);
    - a module: :func:`module_key` (with ``modules`` False, as for a module's attributes:
      its identity only);
    - a NumPy array: :func:`array_key`; a number, string, None: :func:`scalar_key`; a
      tuple of at most ``budget`` items: its items, the same way;
    - a list or dict: its identity and the state of the tensors and modules in it (at
      most ``budget`` items): a list a loop appends numbers to would otherwise capture
      again at every call, so its other items are not read;
    - a function: itself (what it reads is keyed on its own); anything else: its identity.
    """
    if isinstance(x, Tensor):
        found.add(id(x))
        d = x.data
        return ("T", id(x), d.shape, d.dtype, x._requires_grad)
    if isinstance(x, Module):
        return module_key(x, found) if modules else identity_key(x)
    if isinstance(x, np.ndarray):
        return array_key(x)
    if isinstance(x, SCALARS):
        return scalar_key(x)
    if isinstance(x, tuple) and len(x) <= budget:
        return ("tuple", tuple(state_of(v, budget // 4, found, modules) for v in x))
    if isinstance(x, (list, dict)):
        if len(x) > budget:
            return ("L", id(x), ())
        items = x.values() if isinstance(x, dict) else x
        held = [v for v in items if isinstance(v, (Tensor, Module))]
        return ("L", _Same(x), tuple(state_of(v, 0, found, modules) for v in held))
    if isinstance(x, types.MethodType) and isinstance(x.__self__, Module):
        return ("method", x.__func__, state_of(x.__self__, budget, found, modules))
    if isinstance(x, (types.FunctionType, types.MethodType)):
        return ("fn", x)  # what it reads is in the key on its own
    if type(x) is COMPILED:
        return state_of(x.fn, budget, found, modules)
    return identity_key(x)


def _show(item: Any) -> str:
    kind = item[0] if isinstance(item, tuple) and item else None
    if kind == "T":
        grad = ", requires_grad" if item[3] else ""
        return f"tensor of shape {item[1]}, {np.dtype(item[2])}{grad}"
    if kind == "A":
        return f"array of shape {item[1]}, {np.dtype(item[2])} (values {item[3].hex()[:8]})"
    if kind == "V":
        return repr(item[2])
    if kind == "F":
        return item[2]
    if kind == "fn":
        return f"function {getattr(item[1], '__qualname__', item[1])}"
    if kind == "same":
        return "all distinct" if item[1] is None else f"first places {list(item[1])}"
    if kind == "M":
        return "module (its parameters, submodules, training flags or attributes)"
    if kind == "id":
        return f"{type(item[1].obj).__name__} at {id(item[1].obj):#x}"
    if kind == "method":
        return f"method {getattr(item[1], '__qualname__', item[1])} of {_show(item[2])}"
    if kind == "L":
        held = f", holding {', '.join(_show(v) for v in item[2])}" if item[2] else ""
        if type(item[1]) is _Same:
            return f"{type(item[1].obj).__name__} at {id(item[1].obj):#x}{held}"
        return f"container at {item[1]:#x}"  # a long one, keyed by its identity alone
    if kind in ("tuple", "list"):
        return f"{kind} of {item[1]}"
    if kind == "dict":
        return f"dict with keys {list(item[1])}"
    return repr(item)


def _is_module(item: Any) -> bool:
    return isinstance(item, tuple) and len(item) == 5 and item[0] == "M"


def _module_change(old: tuple, new: tuple) -> str:
    """What differs between two keys of a module (:func:`module_key`), in words."""
    if old[1] != new[1]:
        return "another module"
    said = []
    if old[2] != new[2]:
        said.append("a parameter replaced, or its requires_grad changed")
    if old[3] != new[3]:
        said.append("a submodule replaced, or a training flag changed")
    if old[4] != new[4]:
        a, b = _attributes(old[4]), _attributes(new[4])
        changed = [
            f"{k}: {a[k]} -> {b[k]}" if k in a and k in b else f"{k} {'gone' if k in a else 'new'}"
            for k in [*a, *(k for k in b if k not in a)]
            if a.get(k) != b.get(k)
        ]
        said.append(", ".join(changed[:3]) or "an attribute")
    return "; ".join(said) or "module (its state)"


def _attributes(flat: tuple) -> dict[str, str]:
    """``Class.name`` -> the value's description, from a module key's attributes."""
    out: dict[str, str] = {}
    owner, i = "?", 0
    while i < len(flat):
        if not isinstance(flat[i], str):  # the next module's class
            owner, i = flat[i].__name__, i + 1
            continue
        name, kind, value = flat[i : i + 3]
        if kind in _PLAIN:
            shown = repr(value)
        elif isinstance(value, tuple) and len(value) == 5 and value[0] == "T":  # state_of's
            shown = f"tensor {value[1]:#x} of shape {value[2]}"
        else:
            shown = _show(value)
        out[f"{owner}.{name}"] = shown
        i += 3
    return out


def describe_change(
    old: tuple, new: tuple, labels: list[str], old_labels: list[str] | None = None
) -> str:
    """What differs between two keys, e.g. ``*args[0]: tensor of shape (5, 3) -> ...``;
    when the arguments' structure changed, the entries that went and came (by
    ``old_labels``, the labels of ``old``)."""
    if len(old) != len(new) or (old_labels is not None and old_labels != labels):
        said = f"the structure of the arguments ({len(old)} -> {len(new)} items)"
        if old_labels is None:
            return said
        gone = [x for x in old_labels if x not in labels]
        came = [x for x in labels if x not in old_labels]
        parts = [f"no longer passed: {', '.join(gone[:3])}"] if gone else []
        parts += [f"new: {', '.join(came[:3])}"] if came else []
        return said + (": " + "; ".join(parts) if parts else "")
    diffs = [
        f"{label}: {_module_change(a, b)}" if _is_module(a) and _is_module(b)
        else f"{label}: {_show(a)} -> {_show(b)}"
        for a, b, label in zip(old, new, labels, strict=True)
        if a != b
    ]  # fmt: skip
    return "; ".join(diffs[:3]) + (f" (and {len(diffs) - 3} more)" if len(diffs) > 3 else "")
