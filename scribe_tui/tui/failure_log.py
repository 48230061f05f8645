"""The Failures pane's content: recent chunk failures and scheduled retries (from engine
events) and failed or dead-lettered jobs (from the store), newest first. No Textual."""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from scribe_tui.engine.api import Event, JobFinished, RetryScheduled
from scribe_tui.store import JobRow

RECENT_LIMIT = 100
_JOB_ERROR = re.compile(r"^chunk (?P<chunk>\d+): (?P<cls>[A-Za-z_][\w.]*): (?P<msg>.*)$", re.DOTALL)


@dataclass(frozen=True)
class FailureEntry:
    """One line of the Failures pane."""

    ts: float
    job_id: int
    chunk_index: int | None
    error_class: str
    message: str
    attempts: int
    next_retry_at: float | None  # None: no retry is scheduled
    dead: bool
    kind: str  # retrying | failed | dead

    @property
    def key(self) -> tuple[int, int | None]:
        return (self.job_id, self.chunk_index)


def split_job_error(message: str | None) -> tuple[int | None, str, str]:
    """``"chunk 3: RateLimited: 429 (gave up…)"`` → ``(3, "RateLimited", "429 (gave up…)")``."""
    text = (message or "").strip()
    match = _JOB_ERROR.match(text)
    if match:
        return int(match["chunk"]), match["cls"], match["msg"]
    return None, "DocumentError" if text else "Error", text or "failed"


def entry_from_job(row: JobRow) -> FailureEntry:
    chunk, error_class, message = split_job_error(row.error_message or row.document_error)
    dead = row.status == "dead"
    return FailureEntry(ts=row.completed_at or row.created_at, job_id=row.id, chunk_index=chunk,
                        error_class=error_class, message=message, attempts=row.attempts,
                        next_retry_at=None, dead=dead, kind="dead" if dead else "failed")


def entry_from_retry(event: RetryScheduled) -> FailureEntry:
    return FailureEntry(ts=event.ts, job_id=event.job_id, chunk_index=event.chunk_index,
                        error_class=event.error_class, message=event.message, attempts=event.attempts,
                        next_retry_at=event.ts + event.delay_s, dead=False, kind="retrying")


class FailureLog:
    """Chunks waiting for a retry (from events), one per (job, chunk), the newest kept,
    until their job finishes. Failed and dead jobs come from the store, which is the truth
    about them (a retried job leaves the pane at once). Lives with the state reader (one
    read at a time) and hands out immutable tuples."""

    def __init__(self, limit: int = RECENT_LIMIT):
        self.limit = limit
        self._recent: OrderedDict[tuple[int, int | None], FailureEntry] = OrderedDict()

    def add_events(self, events: Iterable[Event]) -> None:
        for event in events:
            if isinstance(event, JobFinished):
                self._forget_job(event.job_id)
                continue
            if isinstance(event, RetryScheduled):
                entry = entry_from_retry(event)
                self._recent.pop(entry.key, None)
                self._recent[entry.key] = entry
        while len(self._recent) > self.limit:
            self._recent.popitem(last=False)

    def _forget_job(self, job_id: int) -> None:
        for key in [k for k in self._recent if k[0] == job_id]:
            del self._recent[key]

    def merged(self, failed_jobs: Iterable[JobRow]) -> tuple[FailureEntry, ...]:
        """Failed/dead jobs from the store plus chunks waiting for a retry, newest first."""
        entries = list(self._recent.values()) + [entry_from_job(row) for row in failed_jobs]
        return tuple(sorted(entries, key=lambda e: (-e.ts, -e.job_id)))
