"""The C allocator's thresholds, fixed for the whole run.

glibc's malloc serves a large block (128 KiB and up, at first) with a fresh ``mmap`` and
raises that threshold to the size of the largest such block freed since. Whether a step's
large arrays cost fresh pages (a minor page fault per 4 KiB, in kernel time) therefore
depends on what the process happened to free before, not on the step: the reference W1
step took 3.4 to 3.9 ms of system time per step (1,900 faults) in one run of this
benchmark and none in another of the same code, which moved every ratio to it by a tenth.
The benchmark fixes both thresholds before anything is built, so every implementation is
served from the heap, whatever ran before it (``--malloc default`` leaves glibc's own
policy). Elsewhere than glibc nothing is changed, and the report says so.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

# mallopt's parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: the largest mmap threshold glibc accepts on 64-bit machines (32 MiB)
MMAP_THRESHOLD = 32 << 20
#: memory at the top of the heap kept rather than given back to the system
TRIM_THRESHOLD = 256 << 20


def fix() -> str:
    """Fix glibc's mmap and trim thresholds; returns what is in force, for the report."""
    if not sys.platform.startswith("linux"):
        return "allocator: the system's own (not glibc)"
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return "allocator: the system's own (no mallopt)"
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    fixed = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    if not fixed:
        return "allocator: glibc's own (mallopt refused the thresholds)"
    return (
        f"allocator: glibc malloc, mmap threshold {MMAP_THRESHOLD >> 20} MiB and trim "
        f"threshold {TRIM_THRESHOLD >> 20} MiB, fixed"
    )
