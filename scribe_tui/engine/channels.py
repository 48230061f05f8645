"""Typed one-way channels between the supervisor and its workers: a ``Channel[T]`` carries
only ``T`` and wraps either a multiprocessing queue (worker processes) or a thread queue
(the in-process pool of the unit tests), so both pools and the worker loop read the same."""

from __future__ import annotations

import queue
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_GONE = (OSError, EOFError, ValueError)  # a closed queue, or a peer that died mid-message


class Channel(Generic[T]):
    """A queue of ``T``. ``get`` returns None when nothing arrived in time."""

    def __init__(self, backing: Any, *, crosses_processes: bool):
        self._queue = backing
        self.crosses_processes = crosses_processes

    @classmethod
    def between_processes(cls, context: Any) -> Channel[T]:
        """Over a ``multiprocessing`` queue made by ``context`` (picklable to a spawned child)."""
        return cls(context.Queue(), crosses_processes=True)

    @classmethod
    def between_threads(cls) -> Channel[T]:
        return cls(queue.Queue(), crosses_processes=False)

    def put(self, item: T) -> bool:
        """Send ``item``; False when the other side is gone."""
        try:
            self._queue.put(item)
        except _GONE:
            return False
        return True

    def get(self, timeout: float | None = None) -> T | None:
        """The next item: wait up to ``timeout`` seconds (0: do not wait, None: forever)."""
        try:
            if timeout is not None and timeout <= 0:
                return self._queue.get_nowait()  # type: ignore[no-any-return]
            return self._queue.get(timeout=timeout)  # type: ignore[no-any-return]
        except queue.Empty:
            return None

    def drain(self) -> list[T]:
        """Everything waiting now, without blocking (a dead peer's half-sent message is dropped)."""
        items: list[T] = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except (queue.Empty, *_GONE):
                return items

    def flush(self) -> None:
        """Block until everything put so far has left this process (before ``os._exit``)."""
        if self.crosses_processes:
            self._queue.close()
            self._queue.join_thread()

    def close(self) -> None:
        """Drop what is waiting and let the process exit without flushing to a dead reader."""
        self.drain()
        if self.crosses_processes:
            self._queue.close()
            self._queue.cancel_join_thread()
