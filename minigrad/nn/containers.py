"""``Sequential``, ``ModuleList`` and ``ModuleDict``: modules held in order, registered
as "0", "1", ... or by key."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any, overload

from .module import Module

__all__ = ["ModuleDict", "ModuleList", "Sequential"]


class ModuleList(Module):
    """A list of modules whose parameters belong to the owner.

    Supports ``len``, iteration, indexing (negative and slices), assignment,
    ``append``, ``extend`` and ``insert``. It has no ``forward``.
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, i: int) -> int:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"{type(self).__name__}: index {i} is out of range for length {n}")
        return i % n

    def _set_all(self, modules: list[Module]) -> None:
        for k in list(self._modules):
            delattr(self, k)
        for k, m in enumerate(modules):
            self._check(m)
            setattr(self, str(k), m)

    @staticmethod
    def _check(m: Any) -> None:
        if not isinstance(m, Module):
            raise TypeError(f"expected a Module, got {type(m).__name__}")

    @overload
    def __getitem__(self, i: int) -> Module: ...
    @overload
    def __getitem__(self, i: slice) -> ModuleList: ...
    def __getitem__(self, i: int | slice) -> Module | ModuleList:
        if isinstance(i, slice):
            return type(self)(list(self._modules.values())[i])
        return self._modules[str(self._index(i))]

    def __setitem__(self, i: int, m: Module) -> None:
        self._check(m)
        setattr(self, str(self._index(i)), m)

    def __delitem__(self, i: int | slice) -> None:
        items = list(self._modules.values())
        del items[i if isinstance(i, slice) else self._index(i)]
        self._set_all(items)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def append(self, m: Module) -> ModuleList:
        """Add ``m`` at the end; returns self."""
        self._check(m)
        setattr(self, str(len(self)), m)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append each of ``modules``; returns self."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, m: Module) -> None:
        """Insert ``m`` before position ``index``."""
        items = list(self._modules.values())
        items.insert(index, m)
        self._set_all(items)


class Sequential(ModuleList):
    """Modules applied in order: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Built from modules (named "0", "1", ...) or from one ``OrderedDict`` of names.
    """

    def __init__(self, *modules: Module | OrderedDict[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self._check(m)
                setattr(self, name, m)
        else:
            self.extend(modules)  # type: ignore[arg-type]

    def __getitem__(self, i: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(i, slice):
            return type(self)(OrderedDict(items[i]))
        return items[self._index(i)][1]

    def __setitem__(self, i: int, m: Module) -> None:
        self._check(m)
        setattr(self, list(self._modules)[self._index(i)], m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x


class ModuleDict(Module):
    """An ordered dict of modules whose parameters belong to the owner, registered under
    their keys (``blocks.enc.weight``), as PyTorch's ``nn.ModuleDict``.

    Built from a mapping or from (key, module) pairs, in their order. Supports ``len``,
    iteration over the keys, ``in``, ``d[key]``, ``d[key] = module`` (a new key goes
    last, an existing one keeps its place), ``del d[key]``, ``keys``, ``items``,
    ``values``, ``update``, ``pop`` and ``clear``. A key is a string without "." that is
    not already an attribute of the dict (``"train"``, ``"training"``: ``KeyError``, as
    PyTorch). It has no ``forward``.
    """

    def __init__(
        self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None
    ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        if key not in self._modules:
            raise KeyError(key)
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> KeysView[str]:
        """The keys, in order."""
        return self._modules.keys()

    def items(self) -> ItemsView[str, Module]:
        """(key, module) pairs, in order."""
        return self._modules.items()

    def values(self) -> ValuesView[Module]:
        """The modules, in order."""
        return self._modules.values()

    def pop(self, key: str) -> Module:
        """Remove ``key`` and return its module."""
        m = self[key]
        del self[key]
        return m

    def clear(self) -> None:
        """Remove every module."""
        for key in list(self._modules):
            delattr(self, key)

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Set each (key, module) of a mapping (a dict, a ``ModuleDict``) or of an
        iterable of pairs, in order."""
        if isinstance(modules, (Mapping, ModuleDict)):
            pairs: Iterable[Any] = modules.items()
        elif isinstance(modules, Iterable) and not isinstance(modules, (str, bytes)):
            pairs = modules
        else:
            raise TypeError(
                "ModuleDict.update: expected a mapping or an iterable of (key, module) "
                f"pairs, got {type(modules).__name__}"
            )
        for i, pair in enumerate(pairs):
            if not isinstance(pair, Iterable) or isinstance(pair, (str, bytes)):
                raise TypeError(
                    f"ModuleDict.update: element #{i} should be a (key, module) pair, "
                    f"got {type(pair).__name__}"
                )
            pair = tuple(pair)
            if len(pair) != 2:
                raise ValueError(
                    f"ModuleDict.update: element #{i} has length {len(pair)}; 2 is required"
                )
            self[pair[0]] = pair[1]
