"""In-place version tracking: refusing a vjp whose saved values were overwritten.

The tape stamps every node with the in-place epoch it was recorded at
(:func:`minigrad.tape.bump_inplace_epoch` advances it at every in-place change); this
module keeps the epoch at which each memory buffer was last written in place, and
:func:`check_versions` compares both before backward runs a node's vjp. It sits beside
the tape at the bottom of the engine and imports nothing else from minigrad.
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

from .tape import Node

__all__ = ["check_versions", "mark_written", "root_of", "written_after"]

# In-place writes by memory buffer: id(root array) -> (weak reference to it, epoch of the
# last write). A view shares its root's buffer, so a write through any view (a slice, a
# transpose, a detach()) marks every array that reads the same memory, as PyTorch's
# version counter is kept per storage.
_written: dict[int, tuple[weakref.ref, int]] = {}


def root_of(a: np.ndarray) -> np.ndarray:
    """The array that owns ``a``'s memory (``a`` itself unless it is a view)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def _forget(ref: weakref.ref, key: int) -> None:
    entry = _written.get(key)
    if entry is not None and entry[0] is ref:
        del _written[key]


def mark_written(array: np.ndarray, epoch: int) -> None:
    """Note that ``array``'s memory was written in place at ``epoch``."""
    root = root_of(array)
    key = id(root)
    entry = _written.get(key)
    if entry is not None and entry[0]() is root:
        _written[key] = (entry[0], epoch)
    else:
        _written[key] = (weakref.ref(root, functools.partial(_forget, key=key)), epoch)


def written_after(array: np.ndarray, epoch: int) -> bool:
    """True when memory that ``array`` reads was written in place after ``epoch``."""
    root = root_of(array)
    entry = _written.get(id(root))
    return entry is not None and entry[0]() is root and entry[1] > epoch


def check_versions(node: Node) -> None:
    """Refuse to run a vjp whose saved values were modified in place after recording.

    Only values the vjp saved matter: an op that saved no array (add, sub, reshape...)
    is never refused. A leaf input counts when its very array was saved; the output of
    an earlier op (whose array the tape does not keep) counts whenever arrays were
    saved, which errs on the side of refusing.
    """
    arrays = [v for v in node.saved if type(v) is np.ndarray]
    if not arrays:
        return
    if node.modified_at > node.epoch:
        raise RuntimeError(
            f"{node.op}: its output, saved for backward, was modified in place after it "
            "was computed; compute with a copy instead of modifying it in place"
        )
    for p in node.parents:
        if type(p) is Node:
            modified, what = p.modified_at, p.op
        elif any(a is p.data for a in arrays):
            modified, what = p._modified_at, f"tensor of shape {p.data.shape}"
        else:
            continue
        if modified > node.epoch:
            raise RuntimeError(
                f"{node.op}: an input ({what}) saved for backward was modified in place "
                "after it was used; compute with a copy instead of modifying it in place"
            )
    for a in arrays:
        if written_after(a, node.epoch):
            raise RuntimeError(
                f"{node.op}: a value of shape {a.shape} saved for backward shares memory "
                "with a tensor modified in place after it was used (through a view, a "
                "slice or a detach()); compute with a copy instead of modifying it in place"
            )
