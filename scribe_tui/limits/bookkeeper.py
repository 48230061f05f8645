"""The writes to shared state that follow a provider call — re-stamping and resizing bucket
rows, the provider's reported limits, the breaker, the concurrency cap, counters — run on one
background thread per process, in the order they were submitted, never on a worker's event
loop.

A reply is paid for by the time these writes run, so nothing they do may lose it: a SQLite
error (a locked or full disk, a corrupt file) is logged and dropped, never raised into the
chunk's outcome, and a caller that awaits a write (``run``) waits at most ``wait_s``; after
that the chunk goes on with its result and the write finishes (or fails, logged) behind it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import structlog

log = structlog.get_logger(__name__)

WAIT_S = 0.5  # how long a caller waits for its bookkeeping before going on without it
WARN_EVERY_S = 30.0


class Bookkeeper:
    def __init__(self, *, wait_s: float = WAIT_S):
        self.wait_s = wait_s
        self.failures = 0
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="limits-books")
        self._lock = threading.Lock()
        self._last_warning = 0.0
        self._closed = False

    def submit(self, job: Callable[[], None]) -> Future[None]:
        """Queue ``job``; errors are logged, never raised."""
        return self._executor.submit(self._guarded, job)

    async def run(self, job: Callable[[], None]) -> None:
        """Queue ``job`` and wait for it, but never longer than ``wait_s``."""
        future = asyncio.wrap_future(self.submit(job))
        try:
            await asyncio.wait_for(asyncio.shield(future), self.wait_s)
        except TimeoutError:
            self._warn("shared-state bookkeeping is slow; going on without waiting for it", None)

    async def drain(self) -> None:
        """Wait until everything queued so far has run (tests, and before reading back)."""
        await asyncio.wrap_future(self.submit(lambda: None))

    def _guarded(self, job: Callable[[], None]) -> None:
        try:
            job()
        except (sqlite3.Error, OSError, TimeoutError) as exc:  # TimeoutError: a file lock not granted in time
            with self._lock:
                self.failures += 1
            self._warn("shared-state bookkeeping failed; the result is kept", exc)
        except Exception as exc:  # a bug here must not take a paid result down with it
            with self._lock:
                self.failures += 1
            log.exception("shared-state bookkeeping crashed", error_class=type(exc).__name__)

    def _warn(self, message: str, exc: BaseException | None) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_warning < WARN_EVERY_S:
                return
            self._last_warning = now
        log.warning(message, error=f"{type(exc).__name__}: {exc}" if exc else None)

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        if not self._closed:
            self._closed = True
            self._executor.shutdown(wait=True)
