"""Atomic file writes: readers see the old file or the new one, never half of one.

The bytes go to a temporary file in the target's directory, are fsynced, then renamed over
the target with ``os.replace``; the directory is fsynced too (where the OS allows). Parent
directories are created. A new file gets the usual permissions (0666 less the umask); a
replaced file keeps its mode. On any failure the temporary file is removed and a
``DocumentError`` names the path and the reason.

The umask is read once, where Linux shows it (``/proc/self/status``) without changing it;
elsewhere it is probed under a lock, set to the most private value for that instant, so a
file another thread creates meanwhile is never more open than it should be. (Probing by
setting 022 raced writer threads: one could read another's 022 back and leave it set.)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from pathlib import Path

from scribe_tui.errors import DocumentError

_umask: int | None = None
_umask_lock = threading.Lock()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see module docstring)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace(path, data)
    except OSError as exc:
        raise DocumentError(f"{path}: cannot write ({exc.strerror or exc})") from None


def _replace(path: Path, data: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(path.parent)


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_current_umask()


def _current_umask() -> int:
    global _umask
    if _umask is None:
        with _umask_lock:
            if _umask is None:
                _umask = _read_umask()
    return _umask


def _read_umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _fsync_directory(directory: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
