"""Several supervisors on one shared store (``store_url = "postgresql://…"``): this machine's
name, the control keys that belong to one host rather than to the whole cluster, and the
lock that allows one supervisor per host per store.

On the SQLite store there is one machine, so the host-scoped keys are the plain ones and
the data directory's lock is the only lock. On a shared store ``paused`` and
``target_workers`` act on the whole cluster and ``paused@HOST`` / ``target_workers@HOST``
on one machine; each supervisor reports itself under ``supervisor@HOST``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from pathlib import Path

from scribe_tui.errors import AlreadyRunning
from scribe_tui.store import describe, is_postgres
from scribe_tui.store.locations import HOST
SUPERVISOR_KEY = "supervisor"


def host_key(key: str, host: str = HOST) -> str:
    """The control key for ``key`` on one machine only."""
    return f"{key}@{host}"


def supervisor_key(shared: bool) -> str:
    return host_key(SUPERVISOR_KEY) if shared else SUPERVISOR_KEY


def is_shared(store_url: str | None) -> bool:
    """Whether supervisors on other machines may share this store."""
    return is_postgres(store_url)


class HostStoreLock:
    """An exclusive ``flock`` on a file named after the store URL in this machine's temp dir:
    one supervisor per host per store, dropped by the kernel however the process dies."""

    def __init__(self, store_url: str):
        digest = hashlib.sha256(f"{HOST} {describe(store_url, Path())}".encode()).hexdigest()[:20]
        self.path = Path(tempfile.gettempdir()) / f"scribe-tui-store-{digest}.lock"
        self.store = describe(store_url, Path())
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except PermissionError:
            raise AlreadyRunning(f"another user's scribe-tui supervisor runs on this machine for {self.store}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"another scribe-tui supervisor (pid {holder}) on this machine already works for {self.store}; "
                "one supervisor per machine per store: attach to it, or run this one on another machine") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
