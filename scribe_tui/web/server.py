"""The HTTP server: uvicorn on a socket bound beforehand, stopped by Ctrl-C or SIGTERM or by
``stop()`` from another thread — each also ends the open event streams, so that the shutdown
never waits on a page left open (recent uvicorn disconnects them as well). Uvicorn's access
log is off: ``app.Guard`` logs requests without their query strings."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
from collections.abc import Iterator
from types import FrameType

import uvicorn
from fastapi import FastAPI

from scribe_tui.web.live import LiveStatus

GRACEFUL_SHUTDOWN_S = 3.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one); OSError when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host.strip("[]"), port), family=family, backlog=128)


class WebServer(uvicorn.Server):
    def __init__(self, app: FastAPI, live: LiveStatus):
        config = uvicorn.Config(app, log_config=None, access_log=False, server_header=False, lifespan="on",
                                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S)
        super().__init__(config)
        self.live = live
        self.stopped_by: int | None = None  # the signal that stopped it, if one did
        self.ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def stop(self, sig: int | None = None) -> None:
        """Stop serving (any thread). A second Ctrl-C stops without waiting for connections."""
        if sig is not None and self.stopped_by is None:
            self.stopped_by = sig
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self.live.close)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Replaces uvicorn's: also ends the event streams, and does not re-raise the signal
        afterwards (the caller turns ``stopped_by`` into its exit code)."""
        self._loop = asyncio.get_running_loop()
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handle(sig: int, frame: FrameType | None) -> None:
            self.stop(sig)

        previous = {sig: signal.signal(sig, handle) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
