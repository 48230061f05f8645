"""One JobStore connection per thread on one data directory: a SQLite connection is used only
by the thread that opened it, and the front ends, the supervisor and its output writers each
run on threads of their own."""

from __future__ import annotations

import threading
from pathlib import Path

from scribe_tui.store.sqlite import JobStore


class PerThreadStores:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[JobStore] = []

    def get(self) -> JobStore:
        """This thread's connection, opened on first use."""
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = JobStore.open(self.data_dir)
            with self._lock:
                self._open.append(store)
        return store

    def close_current(self) -> None:
        """Close this thread's connection, if it has one."""
        store = getattr(self._local, "store", None)
        if store is not None:
            self._local.store = None
            with self._lock:
                self._open.remove(store)
            store.close()

    def close_all(self) -> None:
        """Close every connection opened here (once their threads are done with them)."""
        with self._lock:
            stores, self._open = self._open, []
        for store in stores:
            store.close()
