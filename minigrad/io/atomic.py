"""Atomic file replacement, and removal of what killed writers leave behind.

A save writes ``.<name>.partial.<12 hex digits>.tmp`` beside the target, holds an
exclusive ``flock`` on it while writing, fsyncs it, renames it over the target
(``os.replace``) and fsyncs the folder: readers see the old file or the new one, never
a mix. A writer killed mid-save (SIGKILL, out of memory) leaves its partial file behind,
and the kernel drops the dead process's lock. Every later save or load in that folder
removes the partial files it can lock: never one a live writer holds (its lock is
taken before it writes a byte), never a finished file (the rename takes the partial
name away). Where ``flock`` is not available, a partial file untouched for
``STALE_AFTER`` seconds counts as abandoned. Files the previous naming left
(``.<name>.npz.<8 characters>.tmp``, written without a lock) are removed by that age
rule only.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # not POSIX: the age rule alone decides
    fcntl = None  # type: ignore[assignment]

__all__ = ["remove_stale_partials", "replaced_path", "write_atomically"]

STALE_AFTER = 24 * 3600.0
PARTIAL = re.compile(r"\..+\.partial\.[0-9a-f]{12}\.tmp")
LEGACY = re.compile(r"\..+\.npz\.[a-z0-9_]{8}\.tmp")
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def replaced_path(path: Path) -> tuple[Path, bool]:
    """Where an atomic write of ``path`` goes, and whether it can be atomic: a symbolic
    link is followed (its target is replaced, the link kept, as ``open(path, "w")``
    writes through it); a device, pipe or socket there (``/dev/null``, ``/dev/stdout``)
    is written into as it is, since renaming a file over it would replace it."""
    target = Path(os.path.realpath(path)) if os.path.islink(path) else path
    try:
        kind = os.stat(target).st_mode
    except OSError:
        return target, True  # nothing there yet (or a dangling link's target): a new file
    return target, stat.S_ISREG(kind) or stat.S_ISDIR(kind)


def write_atomically(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Replace ``path`` with what ``write(file)`` writes, or leave it as it was. A
    symbolic link's target is replaced; a device or pipe is written into as it is
    (:func:`replaced_path`).

    Raises ``ValueError`` (before writing) if ``path``'s name has the partial files' form.

    If ``write`` (or the flush, fsync or rename) raises, the partial file is removed
    and the exception propagates; a previous file at ``path`` is untouched.
    """
    path, atomic = replaced_path(path)
    if not atomic:
        # Written whole to a seekable file first (a zip archive seeks back to write its
        # directory), then copied in.
        with tempfile.TemporaryFile() as spool, open(path, "wb") as out:
            write(spool)
            spool.seek(0)
            shutil.copyfileobj(spool, out)
        return
    if PARTIAL.fullmatch(path.name):
        raise ValueError(
            f"save: {path.name!r} is named like a partial file, which later saves and loads "
            "in its folder would remove; choose another name"
        )
    folder = path.parent
    remove_stale_partials(folder)
    try:
        fd, partial = _create_locked(folder, path.name)
    except OSError as e:
        # Name the file asked for, not the partial file beside it.
        raise type(e)(e.errno, f"save: cannot write {str(path)!r}: {e.strerror}") from None
    try:
        # Closing the file drops the lock, so it stays open until the rename is done.
        with os.fdopen(fd, "wb") as f:
            write(f)
            _keep_mode(path, partial)
            f.flush()
            os.fsync(f.fileno())
            os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    _fsync_dir(folder)


def _keep_mode(path: Path, partial: Path) -> None:
    """Give ``partial`` the mode of the file it replaces, as ``open(path, "w")`` keeps
    it; a new file keeps the mode it was created with (``0o666`` less the umask)."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return
    os.chmod(partial, mode)


def remove_stale_partials(folder: Path) -> list[str]:
    """Remove the abandoned partial files in ``folder``; return their names.

    Best effort: a folder or file that cannot be read or changed is left alone.
    """
    try:
        names = [e.name for e in os.scandir(folder) if PARTIAL.fullmatch(e.name)]
        legacy = [e.name for e in os.scandir(folder) if LEGACY.fullmatch(e.name)]
    except OSError:
        return []
    removed = [n for n in names if _remove_if_abandoned(folder / n, lockable=True)]
    removed += [n for n in legacy if _remove_if_abandoned(folder / n, lockable=False)]
    return removed


def _create_locked(folder: Path, name: str) -> tuple[int, Path]:
    """A new partial file for ``name``, open for writing and locked by this writer."""
    for _ in range(100):
        partial = folder / f".{name}.partial.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC, 0o666)
        except FileExistsError:
            continue
        # A cleaner may lock and remove the file between its creation and our lock;
        # then the name no longer leads to our file and we start again with a new one.
        if _lock(fd) is not False and _same_file(partial, fd):
            return fd, partial
        os.close(fd)
    raise FileExistsError(f"save: could not create a partial file for {name!r} in {str(folder)!r}")


def _remove_if_abandoned(partial: Path, lockable: bool) -> bool:
    try:
        fd = os.open(partial, os.O_RDONLY | _CLOEXEC | _NOFOLLOW)
    except OSError:
        return False
    try:
        locked = _lock(fd) if lockable else None
        if locked is False:
            return False  # a live writer holds it
        if locked is None and time.time() - os.fstat(fd).st_mtime < STALE_AFTER:
            return False
        if not _same_file(partial, fd):
            return False
        os.unlink(partial)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _lock(fd: int) -> bool | None:
    """Take an exclusive lock without waiting: True if taken, False if another open
    file holds it, None where locks are not available."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return None
    return True


def _same_file(path: Path, fd: int) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


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
