"""A worker's slots for one provider: how many of its chunks may be in the gateway at once.

The supervisor gives each worker a share of every provider's concurrency cap (the shares add
up to the cap) and a few orders more than its share — a backlog. A backlog chunk waits here;
when a chunk ends, the next one starts at once, with no round trip to the supervisor. Slots
are handed over first come, first served (orders arrive best first), and a share can change
while chunks run (workers come and go, the cap moves)."""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType


class SlotGate:
    def __init__(self, size: int | None = None):
        self.size = size  # None: no limit of its own (the gateway's bulkhead still applies)
        self.used = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    def resize(self, size: int | None) -> None:
        self.size = size
        self._hand_over()

    async def __aenter__(self) -> None:
        if not self._waiters and self._has_room():
            self.used += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # done: a slot was handed to us (already counted)
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():  # handed over as we were cancelled: pass it on
                self.used -= 1
                self._hand_over()
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        self.used -= 1
        self._hand_over()

    def _has_room(self) -> bool:
        return self.size is None or self.used < self.size

    def _hand_over(self) -> None:
        while self._waiters and self._has_room():
            waiter = self._waiters.popleft()
            if waiter.done():  # its task was cancelled
                continue
            self.used += 1
            waiter.set_result(None)
