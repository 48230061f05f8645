"""The live status: read on a store thread about once a second while someone watches, and
handed to every open event stream (``GET /api/events``) as server-sent events. A slow client
gets the newest status, never a backlog."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import structlog

from scribe_tui.web.engine_link import StoreThreads
from scribe_tui.web.reads import read_status
from scribe_tui.web.views import RecentEvents

log = structlog.get_logger("scribe_tui.web")

INTERVAL_S = 1.0
KEEPALIVE_S = 15.0
RECONNECT_MS = 2000
READ_ERROR_BACKOFF_S = 2.0

Status = dict[str, Any]


def sse(event: str, data: Any) -> str:
    """One server-sent event (``data`` as one JSON line)."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'), ensure_ascii=False)}\n\n"


class LiveStatus:
    def __init__(self, threads: StoreThreads, recent: RecentEvents | None = None, interval_s: float = INTERVAL_S):
        self.threads = threads
        self.recent = recent or RecentEvents()
        self.interval_s = interval_s
        self._latest: Status | None = None
        self._latest_at = 0.0
        self._subscribers: set[asyncio.Queue[Status | None]] = set()
        self._refreshing: asyncio.Lock | None = None
        self._wake: asyncio.Event | None = None
        self._closing = False

    @property
    def closing(self) -> bool:
        return self._closing

    async def current(self, max_age_s: float = 0.5) -> Status:
        """The newest status, read again when older than ``max_age_s``."""
        if self._refreshing is None:
            self._refreshing = asyncio.Lock()
        async with self._refreshing:
            if self._latest is None or time.monotonic() - self._latest_at > max_age_s:
                status = await self.threads.call(read_status, self.threads.engine, self.recent)
                self._latest, self._latest_at = status, time.monotonic()
                self._publish(status)
            return self._latest

    def _publish(self, status: Status | None) -> None:
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()  # the client has not taken the last one: the newest replaces it
            queue.put_nowait(status)

    def poke(self) -> None:
        """Read and publish again now (after a command changed something)."""
        self._latest_at = 0.0
        if self._wake is not None:
            self._wake.set()

    async def run(self) -> None:
        """Refresh and publish every ``interval_s`` while anyone is subscribed, until closed."""
        self._wake = asyncio.Event()
        while not self._closing:
            if self._subscribers:
                try:
                    await self.current(max_age_s=self.interval_s / 2)
                except Exception as exc:  # the store may be busy or gone; say so and try again
                    log.warning("reading the status failed", error_class=type(exc).__name__, error=str(exc))
                    await asyncio.sleep(READ_ERROR_BACKOFF_S)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_s)
            self._wake.clear()

    def close(self) -> None:
        """End every open stream (the server is stopping)."""
        self._closing = True
        self._publish(None)
        if self._wake is not None:
            self._wake.set()

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[Status | None]]:
        queue: asyncio.Queue[Status | None] = asyncio.Queue(maxsize=1)
        self._subscribers.add(queue)
        self.poke()
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    async def stream(self) -> AsyncIterator[str]:
        """The body of ``GET /api/events``: ``status`` events, comments to keep proxies open."""
        yield f"retry: {RECONNECT_MS}\n\n"
        async with self.subscribe() as queue:
            while not self._closing:
                try:
                    status = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    yield ": keepalive\n\n"
                    continue
                if status is None:
                    break
                yield sse("status", status)
