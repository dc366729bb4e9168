"""``Sequential`` and ``ModuleList``: modules held in order, registered as "0", "1", ..."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any, overload

from .module import Module

__all__ = ["ModuleList", "Sequential"]


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
