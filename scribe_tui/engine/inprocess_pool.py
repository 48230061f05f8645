"""Workers on threads of this process: the real worker loop (gateway, limits, cache) with
thread channels instead of process queues. Unit tests step the runner over this pool and
give it in-memory providers; ``kill`` stops a worker's loop dead, as SIGKILL would."""

from __future__ import annotations

import asyncio
import os
import threading
from dataclasses import replace

from scribe_tui.engine.channels import Channel
from scribe_tui.engine.pool import PoolBook, WorkerProcess
from scribe_tui.engine.worker import ProviderFactory, WorkerLoop, WorkerSpec
from scribe_tui.engine.worker_protocol import Order, WorkerMessage

KILLED = -9


class WorkerThread:
    """A worker loop on its own thread and event loop, shaped like a process."""

    def __init__(self, loop_body: WorkerLoop, name: str):
        self._body = loop_body
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self._killed = False
        self.exitcode: int | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._ready.wait(timeout=10)

    @property
    def pid(self) -> int:
        return os.getpid()

    def _run(self) -> None:
        with asyncio.Runner() as runner:  # cancels whatever is left when the loop body ends
            try:
                runner.run(self._main_task())
                self.exitcode = KILLED if self._killed else 0
            except asyncio.CancelledError:
                self.exitcode = KILLED
            except Exception:
                self.exitcode = 1

    async def _main_task(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        self._ready.set()
        await self._body.run()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def kill(self) -> None:
        """Stop the loop body where it is: nothing more reaches the supervisor, in-flight chunks
        are abandoned (cancelled; what they report goes nowhere)."""
        self._killed = True
        self._body.events = Channel.between_threads()
        if self._loop is not None and self._main is not None:
            try:
                self._loop.call_soon_threadsafe(self._main.cancel)
            except RuntimeError:  # the loop already ended
                pass

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)


class InProcessPool(PoolBook):
    def __init__(self, base_spec: WorkerSpec, providers: ProviderFactory):
        super().__init__()
        self.base_spec = base_spec
        self.providers = providers
        self.events: Channel[WorkerMessage] = Channel.between_threads()

    def _new_channel(self) -> Channel[Order]:
        return Channel.between_threads()

    def _launch(self, worker_id: str, orders: Channel[Order]) -> WorkerProcess:
        spec = replace(self.base_spec, worker_id=worker_id)
        return WorkerThread(WorkerLoop(spec, orders, self.events, providers=self.providers), name=f"scribe-{worker_id}")
