"""Where the planned buffers live: one block of memory, laid out before it exists.

Planning a long sequence holds tens of thousands of Python objects at once (the trace,
the plans, the generated lines), and the buffers they describe are about as large
again. Held together they would double what a compiled step costs. So the planner
lays the buffers out in a *phantom* arena: an anonymous memory map of the arena's size
that is never touched, so it costs address space but no memory (nor any traced
allocation). Planning reads only what a view has (addresses, shapes, strides), so
every planned view is an ordinary view of the phantom. When the program is generated
and the trace is gone, :meth:`Arena.materialize` allocates the real arena (one
zeroed array) and rebuilds each view the program holds at the same offset with the
same shape and strides.
"""

from __future__ import annotations

import mmap
from typing import Any

import numpy as np

__all__ = ["Arena"]

ALIGN = 64  # bytes: every buffer starts on a cache line


class Arena:
    """Offsets of the planned buffers in one block, then the block itself."""

    def __init__(self) -> None:
        self.nbytes = 0
        self._phantom: np.ndarray | None = None
        self._done: dict[int, Any] = {}
        self.real: np.ndarray | None = None

    def reserve(self, nbytes: int) -> int:
        """The offset of a new buffer of ``nbytes`` (before :meth:`open`)."""
        if self._phantom is not None:
            raise RuntimeError("Arena.reserve after the layout was opened")
        offset = self.nbytes
        self.nbytes += -(-nbytes // ALIGN) * ALIGN
        return offset

    def open(self) -> None:
        """Make the phantom block, once every buffer is reserved."""
        self._phantom = np.frombuffer(mmap.mmap(-1, max(self.nbytes, ALIGN)), np.uint8)

    def buffer(self, offset: int, size: int, dtype: np.dtype) -> np.ndarray:
        """The flat (phantom) buffer of ``size`` elements of ``dtype`` at ``offset``."""
        assert self._phantom is not None
        nbytes = size * np.dtype(dtype).itemsize
        return self._phantom[offset : offset + nbytes].view(dtype)

    def is_phantom(self, a: Any) -> bool:
        """Whether ``a`` is a view of the phantom block."""
        root = self._phantom
        if root is None or type(a) is not np.ndarray:
            return False
        mem = root.base
        x: Any = a
        while x is not None:
            if x is root or x is mem:
                return True
            x = getattr(x, "base", None)
        return False

    def materialize(self, env: dict[str, Any], arrays: list[Any]) -> None:
        """Allocate the real block; rebuild, on it, every phantom view held in ``env``
        (directly or in a tuple, list or dict) and in the list ``arrays``."""
        if self._phantom is None:
            self.open()
        self.real = np.zeros(max(self.nbytes, 1), np.uint8)
        self._origin = self._phantom.ctypes.data
        # views of the same memory with the same layout (one array named by several
        # values, or held by several loops) become one array: found by the hash of
        # the layout, checked against the array's own (a table keyed by the layouts
        # themselves would hold a few hundred bytes per view while the arena is new;
        # so would a table by identity, which would also keep every replaced view alive)
        self._done: dict[int, Any] = {}
        for k, obj in env.items():
            env[k] = self._rebase(obj)
        arrays[:] = [self._rebase(a) for a in arrays]
        self._phantom = None  # the map is unmapped once its last view is gone
        self._done = {}

    def _rebase(self, obj: Any) -> Any:
        if type(obj) is np.ndarray:
            return self._rebase_array(obj)
        if type(obj) in (tuple, list):
            new = [self._rebase(x) for x in obj]
            same = all(x is y for x, y in zip(new, obj, strict=True))
            return obj if same else type(obj)(new)
        if type(obj) is dict:
            new_d = {k: self._rebase(v) for k, v in obj.items()}
            return obj if all(new_d[k] is v for k, v in obj.items()) else new_d
        return obj

    def _rebase_array(self, obj: np.ndarray) -> np.ndarray:
        if not self.is_phantom(obj):
            return obj
        assert self.real is not None
        offset = obj.ctypes.data - self._origin
        layout = (offset, obj.shape, obj.strides, obj.dtype.str, obj.flags.writeable)
        key = hash(layout)
        # each rebuilt view is kept with its offset (it was made at that offset of the
        # real block), so a candidate's offset is compared without reading its address
        found = self._done.get(key)
        for at, a in found if type(found) is list else (found,) if found is not None else ():
            if (
                at == offset
                and a.shape == obj.shape
                and a.strides == obj.strides
                and a.dtype == obj.dtype
                and a.flags.writeable == obj.flags.writeable
            ):
                return a
        a = np.ndarray(obj.shape, obj.dtype, self.real, offset, obj.strides)
        a.flags.writeable = obj.flags.writeable
        entry = (offset, a)
        self._done[key] = (
            entry if found is None else [*found, entry] if type(found) is list else [found, entry]
        )
        return a
