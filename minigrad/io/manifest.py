"""The manifest: a checkpoint's nesting and Python scalars, as JSON.

Each value becomes a node::

    {"t": "py", "v": None | bool | int | float | str}
    {"t": "array" | "scalar", "key": member name}        (ndarray | NumPy scalar)
    {"t": "dict", "items": [[key, node], ...]}           (keys str or int, in order)
    {"t": "list" | "tuple", "items": [node, ...]}

Saving checks everything that loading would refuse, before a byte is written: keys
that cannot name a zip member (NUL, lone surrogates, too long), dtypes that need
pickle, ints too long for JSON, nesting deeper than ``MAX_DEPTH`` (or a container that
holds itself). Loading checks every node's shape and types and raises
:class:`~minigrad.io.npz.FormatError` for anything else.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .npz import FormatError, storable

MANIFEST = "__manifest__"
FORMAT = "minigrad-checkpoint"
VERSION = 1
MAX_DEPTH = 100
MAX_INT_BITS = 13_000  # below Python's 4,300-digit limit on int <-> str conversion
MAX_NAME_BYTES = 65_535 - len(".npy")  # a zip member name's length field is 16 bits


class _Encoder:
    """Builds the manifest of one state, collecting its arrays by member name."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.open: set[int] = set()  # ids of the containers being encoded (cycle check)

    def node(self, value: Any, path: str, depth: int) -> Any:
        if isinstance(value, Tensor):
            value = value.data
        if isinstance(value, np.ndarray | np.generic):
            return self.array(value, path)
        if value is None or isinstance(value, bool | float | str):
            return {"t": "py", "v": value}
        if isinstance(value, int):
            _check_int(value, path)
            return {"t": "py", "v": value}
        if not isinstance(value, dict | list | tuple):
            raise TypeError(
                f"save: cannot store {type(value).__name__} at {path!r}; expected arrays, "
                "tensors, numbers, str, None, and dicts, lists or tuples of those"
            )
        if id(value) in self.open:
            raise ValueError(f"save: the {type(value).__name__} at {path!r} contains itself")
        if depth >= MAX_DEPTH:
            raise ValueError(f"save: nesting deeper than {MAX_DEPTH} levels at {_short(path)}")
        self.open.add(id(value))
        try:
            if isinstance(value, dict):
                items = []
                for k, v in value.items():
                    _check_key(k, path)
                    items.append([k, self.node(v, _child(path, k), depth + 1)])
                return {"t": "dict", "items": items}
            nodes = [self.node(v, _child(path, i), depth + 1) for i, v in enumerate(value)]
            return {"t": type(value).__name__, "items": nodes}
        finally:
            self.open.discard(id(value))

    def array(self, value: np.ndarray | np.generic, path: str) -> dict[str, str]:
        arr = np.asarray(value)
        if arr.dtype.hasobject:
            raise TypeError(f"save: array at {path!r} has dtype {arr.dtype}, which needs pickle")
        if not storable(arr.dtype):
            raise TypeError(
                f"save: array at {path!r} has dtype {arr.dtype}; checkpoints hold bool, "
                "integer, float, complex, bytes and str arrays"
            )
        key = path or "/"
        while key in self.arrays or key == MANIFEST:
            key += "~"
        if len(key.encode("utf-8")) > MAX_NAME_BYTES:
            raise ValueError(
                f"save: the path {_short(path)} is too long to name a zip member "
                f"({len(key.encode('utf-8')):,} bytes; at most {MAX_NAME_BYTES:,})"
            )
        self.arrays[key] = arr
        return {"t": "scalar" if isinstance(value, np.generic) else "array", "key": key}


def encode(state: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(the manifest as a uint8 array, the arrays by member name) for ``state``.

    Raises ``TypeError`` for values a checkpoint cannot hold and ``ValueError`` for keys
    or values that would not read back, naming the path; nothing is written.
    """
    encoder = _Encoder()
    manifest = {"format": FORMAT, "version": VERSION, "root": encoder.node(state, "", 0)}
    blob = json.dumps(manifest).encode()
    return np.frombuffer(blob, dtype=np.uint8), encoder.arrays


def _short(path: str) -> str:
    return repr(path) if len(path) <= 60 else f"{path[:60]!r}..."


def _child(path: str, key: object) -> str:
    return f"{path}/{key}" if path else str(key)


def _check_key(key: object, path: str) -> None:
    if isinstance(key, bool) or not isinstance(key, str | int):
        raise TypeError(f"save: key {key!r} at {path!r} is not a str or int")
    if isinstance(key, int):
        _check_int(key, path)
        return
    if "\x00" in key:
        raise ValueError(f"save: key {key!r} at {path!r} contains NUL, which zip names cannot hold")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"save: key {key!r} at {path!r} has a lone surrogate, which zip names cannot hold"
        ) from None


def _check_int(value: int, path: str) -> None:
    if value.bit_length() > MAX_INT_BITS:
        raise ValueError(
            f"save: the int at {path!r} has {value.bit_length():,} bits; "
            f"checkpoints hold ints of up to {MAX_INT_BITS:,} bits"
        )


def parse(blob: bytes) -> Any:
    """The root node of a manifest's JSON, after checking its format and version."""
    try:
        manifest = json.loads(blob.decode("utf-8"))
    except RecursionError:
        raise FormatError("is not a minigrad checkpoint (its manifest nests too deeply)") from None
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError, int too long
        raise FormatError(f"is not a minigrad checkpoint (unreadable manifest: {e})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise FormatError("is not a minigrad checkpoint (its manifest names another format)")
    if manifest.get("version") != VERSION:
        raise FormatError(
            f"has checkpoint version {manifest.get('version')!r}; "
            f"this minigrad reads version {VERSION}"
        )
    if "root" not in manifest:
        raise FormatError("is not a minigrad checkpoint (its manifest has no root)")
    return manifest["root"]


def decode(node: Any, read: Callable[[str], np.ndarray], path: str = "", depth: int = 0) -> Any:
    """The value a manifest node describes; ``read(key)`` gives a member's array.

    Raises :class:`FormatError` naming the path for any node :func:`encode` never writes.
    """
    t = node.get("t") if isinstance(node, dict) else None
    if t == "py":
        v = node.get("v")
        if v is not None and type(v) not in (bool, int, float, str):
            raise _bad(path, f"a Python value of type {type(v).__name__}")
        return v
    if t in ("array", "scalar"):
        key = node.get("key")
        if not isinstance(key, str) or key == MANIFEST:
            raise _bad(path, f"an array key {key!r}")
        arr = read(key)
        if t == "array":
            return arr
        if arr.shape != ():
            raise _bad(path, f"a scalar of shape {arr.shape}")
        return arr[()]
    items = node.get("items") if isinstance(node, dict) else None
    if t not in ("dict", "list", "tuple") or not isinstance(items, list):
        raise _bad(path, "a node that is not one minigrad writes")
    if depth >= MAX_DEPTH:
        raise _bad(path, f"nesting deeper than {MAX_DEPTH} levels")
    if t != "dict":
        values = [decode(v, read, _child(path, i), depth + 1) for i, v in enumerate(items)]
        return values if t == "list" else tuple(values)
    out = {}
    for item in items:
        if not (isinstance(item, list) and len(item) == 2 and type(item[0]) in (str, int)):
            raise _bad(path, f"a dict entry {str(item)[:60]}")
        out[item[0]] = decode(item[1], read, _child(path, item[0]), depth + 1)
    return out


def _bad(path: str, what: str) -> FormatError:
    return FormatError(f"is not a minigrad checkpoint (its manifest has {what} at {path!r})")
