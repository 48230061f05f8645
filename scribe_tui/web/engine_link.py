"""The few threads every store read and engine command of the dashboard runs on, so the
server's event loop never waits on the store (the engine itself is opened by
engine/attach.py).

Each thread keeps its own store connection (the engine's per-thread stores) and closes it
when the threads stop."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar

from scribe_tui.config import Settings
from scribe_tui.engine.api import SupervisorAPI
from scribe_tui.store import JobStoreAPI

T = TypeVar("T")

STORE_THREADS = 3
"""Enough for a status read, a job listing and a command at once on a 2-core machine."""


class Engine(SupervisorAPI, Protocol):
    """A Supervisor or a Monitor: the SupervisorAPI plus this thread's store connection."""

    attached: bool

    @property
    def store(self) -> JobStoreAPI: ...

    def scale_to(self, workers: int) -> int: ...


def close_thread_connection(engine: Engine) -> None:
    """Close the calling thread's store connection only: ``Supervisor.close`` would also stop
    the supervisor, which is ``close_engine``'s job."""
    from scribe_tui.engine.store_commands import StoreCommands

    if isinstance(engine, StoreCommands):
        StoreCommands.close(engine)
    else:
        engine.close()


_STOP = object()


class StoreThreads:
    """A few daemon threads that run engine and store calls for the event loop."""

    def __init__(self, engine: Engine, threads: int = STORE_THREADS):
        self.engine = engine
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._serve, name=f"scribe-web-store-{n}", daemon=True)
                         for n in range(threads)]
        for thread in self._threads:
            thread.start()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` on a store thread and wait for it without blocking the loop."""
        future: Future[T] = Future()
        self._jobs.put((future, fn, args))
        return await asyncio.wrap_future(future)

    def _serve(self) -> None:
        try:
            while (job := self._jobs.get()) is not _STOP:
                future, fn, args = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(fn(*args))
                except BaseException as exc:  # handed to the awaiting request, which reports it
                    future.set_exception(exc)
        finally:
            close_thread_connection(self.engine)

    def stop(self, timeout: float = 5.0) -> None:
        """Let queued calls finish, then end the threads, each closing its store connection."""
        for _ in self._threads:
            self._jobs.put(_STOP)
        for thread in self._threads:
            thread.join(timeout)
