"""One supervisor per data directory: an exclusive ``flock`` on ``supervisor.lock``.

The kernel drops the lock when the process dies, even by SIGKILL, so a crashed run never
leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from scribe_tui.errors import AlreadyRunning
from scribe_tui.paths import ensure_private_dir

LOCK_NAME = "supervisor.lock"


class SupervisorLock:
    def __init__(self, data_dir: Path):
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        ensure_private_dir(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"another scribe-tui supervisor (pid {holder}) is already running on {self.path.parent}; "
                "wait for it, attach with `scribe-tui` (monitor), or use another --data-dir"
            ) from None
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
