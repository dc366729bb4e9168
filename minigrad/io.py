"""Safe checkpoints: nested state dicts in one ``.npz``, never pickled, written atomically.

A checkpoint holds each array as an ``.npy`` member named by its path
(``state/0/exp_avg``) and a JSON manifest (a uint8 array under ``__manifest__``) that
records the nesting (dicts, lists, tuples) and the Python scalars (int, float, bool,
str, None). Loading uses ``np.load(allow_pickle=False)``, so a file carrying pickled
objects is refused, never executed.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["CheckpointError", "load", "save"]

MANIFEST = "__manifest__"
FORMAT = "minigrad-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint file cannot be read: corrupt, truncated, foreign or unsafe."""


def _encode(value: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """The manifest node for ``value``; its arrays go into ``arrays`` by path."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray | np.generic):
        arr = np.asarray(value)
        if arr.dtype.hasobject or arr.dtype.kind not in "biufcSU":
            raise TypeError(f"save: array at {path!r} has dtype {arr.dtype}, which needs pickle")
        key = path or "/"
        while key in arrays or key == MANIFEST:
            key += "~"
        arrays[key] = arr
        return {"t": "scalar" if isinstance(value, np.generic) else "array", "key": key}
    if value is None or isinstance(value, bool | int | float | str):
        return {"t": "py", "v": value}
    if isinstance(value, dict):
        items = []
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, str | int):
                raise TypeError(f"save: key {k!r} at {path!r} is not a str or int")
            items.append([k, _encode(v, f"{path}/{k}" if path else str(k), arrays)])
        return {"t": "dict", "items": items}
    if isinstance(value, list | tuple):
        nodes = [_encode(v, f"{path}/{i}" if path else str(i), arrays) for i, v in enumerate(value)]
        return {"t": type(value).__name__, "items": nodes}
    raise TypeError(
        f"save: cannot store {type(value).__name__} at {path!r}; expected arrays, tensors, "
        "numbers, str, None, and dicts, lists or tuples of those"
    )


def _decode(node: dict[str, Any], members: Any) -> Any:
    t = node["t"]
    if t == "py":
        return node["v"]
    if t == "array":
        return members[node["key"]]
    if t == "scalar":
        return members[node["key"]][()]
    if t == "dict":
        return {k: _decode(v, members) for k, v in node["items"]}
    if t in ("list", "tuple"):
        items = [_decode(v, members) for v in node["items"]]
        return items if t == "list" else tuple(items)
    raise KeyError(f"unknown node type {t!r}")


def save(state: Any, path: str | os.PathLike[str]) -> None:
    """Write ``state`` (nested dicts/lists of arrays, Tensors, numbers, str, None) to
    ``path`` as one ``.npz``, atomically.

    The file is written to a temporary file in the same folder, flushed and fsynced,
    then renamed over ``path`` (``os.replace``) and the folder fsynced. If anything
    fails, the temporary file is removed and a previous file at ``path`` is untouched.
    Tensors are stored as their arrays.
    """
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    manifest = {"format": FORMAT, "version": VERSION, "root": _encode(state, "", arrays)}
    blob = np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8)
    folder = path.parent
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates the file 0600; give the checkpoint the mode any new file gets.
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{MANIFEST: blob}, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(folder)


def _umask() -> int:
    """The process umask (read by setting it and setting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def load(path: str | os.PathLike[str]) -> Any:
    """Read a checkpoint written by :func:`save`; arrays come back as ndarrays with
    their dtype, scalars and nesting as saved (Tensors come back as arrays).

    Raises ``FileNotFoundError`` for a missing file and :class:`CheckpointError`
    naming the file if it is truncated, corrupt, not a minigrad checkpoint, or holds
    pickled objects (which are refused, not loaded).
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"load: no checkpoint at {str(path)!r}")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"PK\x03\x04":
        if magic[:1] == b"\x80":
            raise CheckpointError(
                f"load: {str(path)!r} is a Python pickle; refusing to load it "
                "(minigrad checkpoints never need pickle)"
            )
        raise CheckpointError(
            f"load: {str(path)!r} is not an .npz archive (empty, truncated or another format)"
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            members = {k: npz[k] for k in npz.files}
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise CheckpointError(
                f"load: {str(path)!r} holds pickled Python objects; refusing to load it "
                "(minigrad checkpoints never need pickle)"
            ) from None
        raise CheckpointError(f"load: {str(path)!r} is corrupt or truncated ({e})") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError, zipfile.LargeZipFile) as e:
        raise CheckpointError(
            f"load: {str(path)!r} is corrupt or truncated ({type(e).__name__}: {e})"
        ) from None
    try:
        manifest = json.loads(members.pop(MANIFEST).tobytes().decode())
        if manifest.get("format") != FORMAT:
            raise KeyError("format")
        if manifest.get("version") != VERSION:
            raise CheckpointError(
                f"load: {str(path)!r} has checkpoint version {manifest.get('version')}; "
                f"this minigrad reads version {VERSION}"
            )
        return _decode(manifest["root"], members)
    except CheckpointError:
        raise
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as e:
        raise CheckpointError(
            f"load: {str(path)!r} is not a minigrad checkpoint (bad manifest: {e!r})"
        ) from None
