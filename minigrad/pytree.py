"""Nested containers of tensors: flatten to a list of leaves and rebuild the same shape.

The function transforms (:mod:`minigrad.func`) accept and return tensors nested in
tuples, lists and dicts, as torch.func does. A :class:`Spec` records the nesting so
results come back in the caller's structure: ``flatten(((a, b), [c]))`` gives
``[a, b, c]`` and a spec from which ``unflatten`` rebuilds ``((a', b'), [c'])``.
Nesting follows the caller's own data structures (a few levels), so plain recursion
is used here; graph walks elsewhere are iterative.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Spec", "flatten", "map_leaves", "unflatten"]


class Spec:
    """The nesting of one value: ``kind`` is None for a leaf, else ``tuple``, ``list``
    or ``dict``; ``keys`` are a dict's keys; ``children`` the specs of its items."""

    __slots__ = ("children", "keys", "kind", "size")

    def __init__(
        self, kind: type | None, children: tuple[Spec, ...] = (), keys: tuple = ()
    ) -> None:
        self.kind = kind
        self.children = children
        self.keys = keys
        self.size = 1 if kind is None else sum(c.size for c in children)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Spec) and (self.kind, self.keys, self.children) == (
            other.kind,
            other.keys,
            other.children,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self.kind is None:
            return "*"
        if self.kind is dict:
            pairs = zip(self.keys, self.children, strict=True)
            return "{" + ", ".join(f"{k!r}: {c!r}" for k, c in pairs) + "}"
        inner = ", ".join(repr(c) for c in self.children)
        if self.kind is tuple:
            return f"({inner},)" if len(self.children) == 1 else f"({inner})"
        return f"[{inner}]"


def _container(x: Any) -> bool:
    # A namedtuple is a leaf: rebuilding it from a plain tuple would change its type.
    return type(x) in (tuple, list, dict)


def flatten(tree: Any) -> tuple[list[Any], Spec]:
    """The leaves of ``tree`` in order (depth first; dicts in insertion order) and its
    spec. Anything but a tuple, list or dict is a leaf."""
    leaves: list[Any] = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree: Any, leaves: list[Any]) -> Spec:
    if not _container(tree):
        leaves.append(tree)
        return Spec(None)
    if type(tree) is dict:
        return Spec(dict, tuple(_flatten(v, leaves) for v in tree.values()), tuple(tree))
    return Spec(type(tree), tuple(_flatten(v, leaves) for v in tree))


def unflatten(spec: Spec, leaves: list[Any]) -> Any:
    """Rebuild the structure described by ``spec`` from ``leaves`` (in flatten order)."""
    if len(leaves) != spec.size:
        raise ValueError(f"unflatten: the structure has {spec.size} leaves, got {len(leaves)}")
    return _rebuild(spec, iter(leaves))


def _rebuild(spec: Spec, it: Any) -> Any:
    if spec.kind is None:
        return next(it)
    items = [_rebuild(c, it) for c in spec.children]
    if spec.kind is dict:
        return dict(zip(spec.keys, items, strict=True))
    return spec.kind(items)


def map_leaves(fn: Callable[[Any], Any], tree: Any) -> Any:
    """``tree`` with every leaf replaced by ``fn(leaf)``."""
    leaves, spec = flatten(tree)
    return unflatten(spec, [fn(x) for x in leaves])
