"""The ``.npz`` container of a checkpoint: one ``.npy`` member per array in a zip.

Members are written uncompressed (as ``np.savez`` does), so the arrays of an honest
checkpoint never take more memory than the file takes on disk. Reading trusts nothing in
the file. Before anything is allocated, each member's ``.npy`` header is parsed as a
literal of bounded length, its dtype must be one that needs no pickle, its declared size
(shape × itemsize) must equal the size the zip records for the member, and the running
total must fit a :class:`Budget`. The data is then copied in chunks of at most ``CHUNK``
bytes, and the zip reader never yields more than the recorded size, so a member whose
headers lie cannot inflate past what was checked.
"""

from __future__ import annotations

import ast
import math
import re
import struct
import zipfile
import zlib
from typing import IO

import numpy as np

MAGIC = b"\x93NUMPY"
MAX_HEADER = 10_000  # numpy's own bound on a .npy header's length
MAX_DIMS = 64  # numpy's limit on ndim
CHUNK = 1 << 20
KINDS = "biufcSU"  # bool, int, uint, float, complex, bytes, str: none needs pickle
HEADER_KEYS = {"descr", "fortran_order", "shape"}
DESCR = re.compile(r"[<>|][biufcSU][1-9][0-9]{0,8}")  # byte order, kind, itemsize
OBJECT = re.compile(r"[<>|=]?O[0-9]*")

# What the zip and zlib modules raise on damaged archives; caught at this boundary only.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
    OverflowError,
    IndexError,
    KeyError,
)


class FormatError(Exception):
    """The archive or one of its members is not what a checkpoint holds; says why."""


class NeedsPickle(FormatError):
    """A member holds Python objects (an object dtype), which only pickle can read."""


class Budget:
    """The bytes that arrays read from one file may take in memory, all together.

    ``take(n, member)`` books ``n`` more bytes or raises :class:`FormatError` naming the
    member, the bytes it asks for and the limit, before anything is allocated.
    """

    def __init__(self, limit: int, source: str) -> None:
        self.limit = limit
        self.source = source
        self.used = 0

    def take(self, nbytes: int, member: str) -> None:
        if self.used + nbytes > self.limit:
            raise FormatError(
                f"member {member!r} would take {nbytes:,} bytes in memory "
                f"({self.used:,} already read), past the limit of {self.limit:,} "
                f"bytes ({self.source}); pass a larger max_bytes= to load it anyway"
            )
        self.used += nbytes


def storable(dtype: np.dtype) -> bool:
    """Whether arrays of ``dtype`` go into a checkpoint and come back without pickle."""
    return not dtype.hasobject and dtype.kind in KINDS and dtype.itemsize > 0


def write_members(file: IO[bytes], members: dict[str, np.ndarray]) -> None:
    """Write each array as the uncompressed member ``<name>.npy`` of a zip on ``file``."""
    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, arr in members.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, arr, allow_pickle=False)


def open_archive(file: IO[bytes]) -> zipfile.ZipFile:
    """The zip on ``file``; a damaged directory raises :class:`FormatError`."""
    try:
        return zipfile.ZipFile(file)
    except ZIP_ERRORS as e:
        raise FormatError(f"is corrupt or truncated ({type(e).__name__}: {e})") from None


def read_array(zf: zipfile.ZipFile, name: str, budget: Budget) -> np.ndarray:
    """The array stored as member ``<name>.npy``, checked before it is allocated.

    Raises :class:`FormatError` (naming the member) when the member is missing, damaged,
    compressed with a method other than deflate, needs pickle, declares a size that
    differs from the zip's record, or does not fit ``budget``.
    """
    member = name + ".npy"
    try:
        info = zf.getinfo(member)
    except KeyError:
        raise FormatError(f"has no member {member!r}") from None
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise FormatError(
            f"member {member!r} uses compression method {info.compress_type}; "
            "checkpoints hold stored or deflated members only"
        )
    try:
        with zf.open(info) as f:
            dtype, shape, fortran, offset = _read_header(f, member)
            count = math.prod(shape)
            nbytes = count * dtype.itemsize
            if offset + nbytes != info.file_size:
                raise FormatError(
                    f"member {member!r} declares shape {shape} of {dtype} ({nbytes:,} "
                    f"bytes) but the zip records {info.file_size - offset:,} bytes of data"
                )
            budget.take(nbytes, member)
            flat = _allocate(count, dtype, member)
            _fill(f, flat.view(np.uint8), member)
            if f.read(1):
                raise FormatError(f"member {member!r} holds more data than it declares")
    except ZIP_ERRORS as e:
        raise FormatError(
            f"is corrupt or truncated (member {member!r}: {type(e).__name__}: {e})"
        ) from None
    if fortran:
        return flat.reshape(shape[::-1]).transpose()
    return flat.reshape(shape)


def needs_pickle(zf: zipfile.ZipFile, member: str) -> bool:
    """Whether ``member`` is a ``.npy`` array of Python objects (read from its header)."""
    try:
        with zf.open(member) as f:
            _read_header(f, member)
    except NeedsPickle:
        return True
    except (FormatError, *ZIP_ERRORS):
        return False
    return False


def _read_header(f: IO[bytes], member: str) -> tuple[np.dtype, tuple[int, ...], bool, int]:
    """(dtype, shape, fortran_order, bytes before the data) of a ``.npy`` stream."""
    preamble = f.read(8)
    if len(preamble) < 8 or preamble[:6] != MAGIC:
        raise FormatError(f"member {member!r} is not a .npy array")
    major = preamble[6]
    if major not in (1, 2, 3):
        raise FormatError(f"member {member!r} has .npy format version {major}.{preamble[7]}")
    width = 2 if major == 1 else 4
    raw_len = f.read(width)
    length = int.from_bytes(raw_len, "little")
    if len(raw_len) < width or length > MAX_HEADER:
        raise FormatError(f"member {member!r} has a .npy header of {length:,} bytes")
    raw = f.read(length)
    if len(raw) < length:
        raise FormatError(f"member {member!r} ends inside its .npy header")
    try:
        header = ast.literal_eval(raw.decode("utf-8" if major == 3 else "latin-1"))
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError) as e:
        raise FormatError(
            f"member {member!r} has an unreadable .npy header ({type(e).__name__})"
        ) from None
    dtype, shape, fortran = _check_header(header, member)
    return dtype, shape, fortran, 8 + width + length


def _check_header(header: object, member: str) -> tuple[np.dtype, tuple[int, ...], bool]:
    if not isinstance(header, dict) or set(header) != HEADER_KEYS:
        raise FormatError(f"member {member!r} has a .npy header that is not one numpy writes")
    descr, shape, fortran = header["descr"], header["shape"], header["fortran_order"]
    if not isinstance(descr, str) or not isinstance(fortran, bool):
        raise FormatError(f"member {member!r} has a .npy header that is not one numpy writes")
    if (
        not isinstance(shape, tuple)
        or len(shape) > MAX_DIMS
        or not all(type(n) is int and n >= 0 for n in shape)
    ):
        raise FormatError(f"member {member!r} declares an impossible shape {shape!r}")
    if OBJECT.fullmatch(descr):
        raise NeedsPickle(f"member {member!r} holds Python objects (dtype {descr!r})")
    # Only the exact spelling numpy writes (dtype.str) is parsed: no aliases, no warnings.
    try:
        dtype = np.dtype(descr) if DESCR.fullmatch(descr) else None
    except (TypeError, ValueError, OverflowError, MemoryError):  # e.g. '<f3'
        dtype = None
    if dtype is None or dtype.str != descr or not storable(dtype):
        raise FormatError(
            f"member {member!r} declares dtype {descr!r}, which checkpoints never hold"
        )
    return dtype, shape, fortran


def _allocate(count: int, dtype: np.dtype, member: str) -> np.ndarray:
    try:
        return np.empty(count, dtype)
    except (MemoryError, ValueError):
        raise FormatError(
            f"member {member!r} needs {count * dtype.itemsize:,} bytes, more than can be allocated"
        ) from None


def _fill(f: IO[bytes], out: np.ndarray, member: str) -> None:
    """Copy the stream's next ``out.size`` bytes into ``out``, ``CHUNK`` bytes at a time."""
    pos = 0
    while pos < out.size:
        chunk = f.read(min(CHUNK, out.size - pos))
        if not chunk:
            raise FormatError(f"member {member!r} ends after {pos:,} of {out.size:,} data bytes")
        out[pos : pos + len(chunk)] = np.frombuffer(chunk, np.uint8)
        pos += len(chunk)
