"""One supervisor per data directory: an exclusive ``flock`` on ``supervisor.lock``.

The kernel drops the lock when the process dies, even by SIGKILL, so a crashed run never
leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

from scribe_tui.errors import AlreadyRunning
from scribe_tui.paths import ensure_private_dir

LOCK_NAME = "supervisor.lock"


class ExclusiveLock:
    """An exclusive, non-blocking ``flock`` on ``path`` holding this process's pid; ``busy(pid)``
    words the AlreadyRunning error when another process holds it."""

    def __init__(self, path: Path, busy: Callable[[str], str]):
        self.path = path
        self._busy = busy
        self._fd: int | None = None

    def acquire(self) -> None:
        ensure_private_dir(self.path.parent)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except PermissionError:  # another user's lock
            raise AlreadyRunning(self._busy("of another user")) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(self._busy(holder)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


class SupervisorLock(ExclusiveLock):
    def __init__(self, data_dir: Path):
        super().__init__(data_dir / LOCK_NAME, lambda holder: (
            f"another scribe-tui supervisor (pid {holder}) is already running on {data_dir}; "
            "wait for it, attach with `scribe-tui` (monitor), or use another --data-dir"))


def is_locked(data_dir: Path) -> bool:
    """True when some process holds the data directory's supervisor lock."""
    path = data_dir / LOCK_NAME
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
