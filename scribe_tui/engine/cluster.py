"""Several supervisors on one shared store (``store_url = "postgresql://…"``): this machine's
name, the control keys that belong to one host rather than to the whole cluster, and the
lock that allows one supervisor per host per store.

On the SQLite store there is one machine, so the host-scoped keys are the plain ones and
the data directory's lock is the only lock. On a shared store ``paused`` and
``target_workers`` act on the whole cluster and ``paused@HOST`` / ``target_workers@HOST``
on one machine; each supervisor reports itself under ``supervisor@HOST``.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from scribe_tui.engine.lockfile import ExclusiveLock
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


class HostStoreLock(ExclusiveLock):
    """One supervisor per host per store: a lock file named after this machine and the store
    URL in the machine's temp dir (dropped by the kernel however the process dies)."""

    def __init__(self, store_url: str):
        store = describe(store_url, Path())
        digest = hashlib.sha256(f"{HOST} {store}".encode()).hexdigest()[:20]
        super().__init__(Path(tempfile.gettempdir()) / f"scribe-tui-store-{digest}.lock", lambda holder: (
            f"another scribe-tui supervisor (pid {holder}) on this machine already works for {store}; "
            "one supervisor per machine per store: attach to it, or run this one on another machine"))
