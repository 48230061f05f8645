"""Accuracy at the provider: a request holds its place in every window until the provider can
no longer count it late.

The problem. A provider counts a request when it *arrives*; we count it when we *admit* it.
The two are apart by a delay nobody controls — a new connection (TCP and TLS set-up, or a
SYN retransmission a second later when the server's accept queue is full), a busy machine, the
network — and that delay varies from request to request. A row stamped at admission leaves
our window a span after admission, while the provider may count the request until a span
after its arrival: in between, we would admit a request the provider's window still has no
room for. No fixed margin covers a delay that has no upper bound.

The mechanism: re-stamping. The provider's count of a request happens no later than its
reply (or failure) reaches us, so a row stamped with that moment leaves our window no
earlier than the request leaves the provider's.

* While a request is in flight its rows are re-stamped to "now" every quarter of the shortest
  window (``Holds``), so an in-flight request always counts, however long it takes.
* When the reply arrives, its rows are re-stamped to the moment the provider counted it at the
  latest (``settle``): the reply's arrival here, less the provider's own processing time when
  it reports one (OpenAI's ``openai-processing-ms``, measured from its arrival to its reply,
  so the difference is still no earlier than the arrival). They are resized to the reply's
  reported usage at the same time (calibration.py).
* A request that failed is settled the same way: a 5xx, a reset or a timeout may have been
  counted too. One that was never sent (parked, cancelled before sending) keeps its
  admission stamp.

So the provider's window can never hold a request that ours no longer does, whatever the delay;
the cost is the reply's latency per round of a window (none with ``openai-processing-ms``).
``bench/engine.py delay`` measures it against an arrival-counting server with 0–1 s delays.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from scribe_tui.limits.admission import Admission
from scribe_tui.limits.bookkeeper import Bookkeeper

MIN_REFRESH_S = 0.05
MAX_REFRESH_S = 5.0


class Holds:
    """The in-flight requests of one provider in this process, kept in the window."""

    def __init__(self, shortest_span_s: float | None, restamp: Callable[[list[str], float], None], books: Bookkeeper,
                 clock: Callable[[], float] = time.time):
        self.refresh_s = min(MAX_REFRESH_S, max(MIN_REFRESH_S, (shortest_span_s or 0.0) / 4))
        self.active = shortest_span_s is not None
        self._restamp = restamp
        self._books = books
        self._clock = clock
        self._held: dict[str, float] = {}  # ticket -> when its rows were last stamped
        self._task: asyncio.Task[None] | None = None

    def start(self, admission: Admission) -> None:
        if not self.active:
            return
        self._held[admission.ticket] = admission.at
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._keep_fresh(), name="limits-holds")

    def finish(self, admission: Admission) -> None:
        self._held.pop(admission.ticket, None)

    async def _keep_fresh(self) -> None:
        while self._held:
            await asyncio.sleep(self.refresh_s)
            now = self._clock()
            due = [ticket for ticket, stamped in self._held.items() if now - stamped >= self.refresh_s]
            if due:
                for ticket in due:
                    self._held[ticket] = now
                self._books.submit(lambda due=due, now=now: self._restamp(due, now))

    async def aclose(self) -> None:
        self._held.clear()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
