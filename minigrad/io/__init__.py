"""Safe checkpoints: nested state dicts in one ``.npz``, never pickled, written atomically,
read back in bounded memory.

A checkpoint holds each array as an uncompressed ``.npy`` member named by its path
(``state/0/exp_avg``) and a JSON manifest (a uint8 array under ``__manifest__``) that
records the nesting (dicts, lists, tuples) and the Python scalars (int, float, bool,
str, None); see :mod:`minigrad.io.manifest`. :func:`save` refuses anything :func:`load`
could not give back, before it touches the target, and replaces the target atomically
(:mod:`minigrad.io.atomic`). :func:`load` parses every header itself, never unpickles,
and checks each array's declared size before allocating it (:mod:`minigrad.io.npz`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

import numpy as np

from .atomic import remove_stale_partials, write_atomically
from .manifest import MANIFEST, decode, encode, parse
from .npz import (
    Budget,
    FormatError,
    NeedsPickle,
    needs_pickle,
    open_archive,
    read_array,
    write_members,
)

__all__ = ["CheckpointError", "load", "save"]


class CheckpointError(ValueError):
    """A checkpoint file cannot be read: corrupt, truncated, foreign, unsafe or too large."""


def save(state: Any, path: str | os.PathLike[str]) -> None:
    """Write ``state`` (nested dicts/lists/tuples of arrays, Tensors, numbers, str, None)
    to ``path`` as one ``.npz``, atomically.

    Everything is checked first: a value a checkpoint cannot hold raises ``TypeError``,
    and a key or value that would not read back (a key with NUL or a lone surrogate,
    an int of more than 13,000 bits, nesting deeper than 100, a container holding
    itself) raises ``ValueError``, naming its path; in both cases nothing is written.
    Then the file is written to ``.<name>.partial.<hex>.tmp`` in the same folder,
    fsynced, renamed over ``path`` and the folder fsynced. If anything fails, the
    partial file is removed and a previous file at ``path`` is untouched; partial files
    left by killed writers are removed by the next save or load in the folder. Tensors
    are stored as their arrays, dict keys (str or int) in order.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"save: {str(path)!r} is a folder; give a file name in it")
    blob, arrays = encode(state)
    members = {MANIFEST: blob, **arrays}
    write_atomically(path, lambda f: write_members(f, members))


def load(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> Any:
    """Read a checkpoint written by :func:`save`; arrays come back as ndarrays with
    their dtype, scalars and nesting as saved (Tensors come back as arrays). The arrays
    may take at most ``max_bytes`` of memory (default: the file's size on disk).

    ``max_bytes`` bounds the memory the arrays may take, all together. The default,
    ``None``, allows as many bytes as the file takes on disk: :func:`save` stores arrays
    uncompressed, so its checkpoints always fit, while a member compressed to inflate
    past that (a zip bomb) is refused. Pass a number to read compressed archives or to
    cap memory. Every member's declared size is checked against the zip's record and
    the limit before it is allocated, and data is read in bounded chunks.

    Raises ``FileNotFoundError`` for a missing file and :class:`CheckpointError`
    naming the file if it is truncated, corrupt, not a minigrad checkpoint, larger than
    ``max_bytes``, or holds pickled objects (which are refused, never loaded).
    """
    if max_bytes is not None and (
        isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0
    ):
        raise ValueError(f"load: max_bytes must be None or an int >= 0, got {max_bytes!r}")
    path = Path(path)
    remove_stale_partials(path.parent)
    if not path.exists():
        raise FileNotFoundError(f"load: no checkpoint at {str(path)!r}")
    if path.is_dir():
        raise IsADirectoryError(f"load: {str(path)!r} is a folder, not a checkpoint file")
    with open(path, "rb") as f:
        magic = f.read(4)
        if magic != b"PK\x03\x04":
            raise CheckpointError(f"load: {str(path)!r} {_not_npz(magic)}")
        f.seek(0)
        size = os.fstat(f.fileno()).st_size
        if max_bytes is None:
            budget = Budget(
                size, "the file's size on disk; minigrad.save stores arrays uncompressed"
            )
        else:
            budget = Budget(max_bytes, "max_bytes")
        try:
            return _read(f, budget)
        except NeedsPickle as e:
            raise CheckpointError(
                f"load: {str(path)!r} holds pickled Python objects; refusing to load it "
                f"(minigrad checkpoints never need pickle; {e})"
            ) from None
        except FormatError as e:
            raise CheckpointError(f"load: {str(path)!r} {e}") from None


def _read(f: IO[bytes], budget: Budget) -> Any:
    with open_archive(f) as zf:
        if MANIFEST + ".npy" not in zf.namelist():
            if any(needs_pickle(zf, name) for name in zf.namelist()[:100]):
                raise NeedsPickle("a member holds Python objects")
            raise FormatError("is not a minigrad checkpoint (it has no manifest)")
        blob = read_array(zf, MANIFEST, budget)
        if blob.dtype != np.uint8 or blob.ndim != 1:
            raise FormatError("is not a minigrad checkpoint (its manifest is not bytes)")
        root = parse(blob.tobytes())
        arrays: dict[str, np.ndarray] = {}

        def read(key: str) -> np.ndarray:
            if key not in arrays:
                arrays[key] = read_array(zf, key, budget)
            return arrays[key]

        return decode(root, read)


def _not_npz(magic: bytes) -> str:
    if magic[:1] == b"\x80":
        return "is a Python pickle; refusing to load it (minigrad checkpoints never need pickle)"
    return "is not an .npz archive (empty, truncated or another format)"
