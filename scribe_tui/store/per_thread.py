"""One job store connection per thread: a SQLite connection is used only by the thread that
opened it, and the front ends, the supervisor and its output writers each run on threads of
their own. A PostgreSQL store is thread-safe (a connection pool), so all threads share one."""

from __future__ import annotations

import threading
from pathlib import Path

from scribe_tui.store.api import JobStoreAPI
from scribe_tui.store.url import is_postgres, open_store


class PerThreadStores:
    def __init__(self, data_dir: Path, store_url: str | None = None):
        self.data_dir = data_dir
        self.store_url = store_url
        self._shared = is_postgres(store_url)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[JobStoreAPI] = []

    def get(self) -> JobStoreAPI:
        """This thread's connection (the shared store for PostgreSQL), opened on first use."""
        if self._shared:
            with self._lock:
                if not self._open:
                    self._open.append(open_store(self.store_url, self.data_dir))
                return self._open[0]
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = open_store(self.store_url, self.data_dir)
            with self._lock:
                self._open.append(store)
        return store

    def close_current(self) -> None:
        """Close this thread's connection, if it has one (the shared store stays open)."""
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
