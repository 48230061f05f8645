"""The dashboard's hold on the engine: a supervisor started here, or a read-only monitor
when another process's supervisor holds the data directory, and the few threads every store
read and command runs on, so the server's event loop never waits on SQLite.

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
from scribe_tui.errors import AlreadyRunning
from scribe_tui.store import JobStore

T = TypeVar("T")

STORE_THREADS = 3
"""Enough for a status read, a job listing and a command at once on a 2-core machine."""


class Engine(SupervisorAPI, Protocol):
    """A Supervisor or a Monitor: the SupervisorAPI plus this thread's store connection."""

    attached: bool

    @property
    def store(self) -> JobStore: ...

    def scale_to(self, workers: int) -> int: ...


def open_engine(settings: Settings, *, read_cache: bool = True) -> Engine:
    """A started Supervisor, or a Monitor when another supervisor holds the data directory."""
    from scribe_tui.engine.monitor import Monitor
    from scribe_tui.engine.supervisor import Supervisor

    supervisor = Supervisor(settings, read_cache=read_cache)
    try:
        supervisor.start()
    except AlreadyRunning:
        supervisor.close()
        return Monitor(settings)
    return supervisor


def close_engine(engine: Engine, settings: Settings) -> None:
    """Stop a supervisor started here (in-flight chunks finish briefly, the rest stays queued)."""
    stop = getattr(engine, "stop", None)
    if callable(stop):
        stop(grace_s=settings.engine.shutdown_grace_s)
    engine.close()


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
