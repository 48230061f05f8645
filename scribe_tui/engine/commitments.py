"""Which of a worker's chunks are committed: their first provider call has started, so the
request may already be paid for and the chunk must run to its end (its reply is cached and
recorded). A chunk not committed yet — waiting on the bulkhead, a rate-limit permit or a
shared pause — can be dropped at once when the run stops quickly: nothing is lost, its lease
goes back to the queue and no attempt is burnt."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from scribe_tui.providers.base import Provider, TranslationRequest, TranslationResult

_CHUNK: ContextVar[int | None] = ContextVar("scribe_chunk", default=None)


class Commitments:
    def __init__(self) -> None:
        self._committed: set[int] = set()

    def running(self, task_id: int) -> None:
        """The calling task (and the tasks it starts) works on chunk ``task_id`` from now on."""
        _CHUNK.set(task_id)

    def commit(self) -> None:
        """A provider call starts for the current chunk."""
        task_id = _CHUNK.get()
        if task_id is not None:
            self._committed.add(task_id)

    def committed(self, task_id: int) -> bool:
        return task_id in self._committed

    def forget(self, task_id: int) -> None:
        self._committed.discard(task_id)


class CommittingProvider:
    """A provider as the gateway sees it: the same in every way, except that entering
    ``translate`` commits the current chunk."""

    def __init__(self, inner: Provider, commitments: Commitments):
        self._inner = inner
        self._commitments = commitments

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def translate(self, request: TranslationRequest) -> TranslationResult:
        self._commitments.commit()
        return await self._inner.translate(request)
