"""One poll of the engine and the job store: the snapshot, new events, the Jobs window the
current query asks for, the failures, and the chunks of the job open in the detail screen.

Runs on the app's background thread only; hands back one immutable ``PollResult``. The
query and the detail job are set from the UI thread by replacing immutable values.
No Textual here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from scribe_tui.engine.api import Notice, Snapshot, SupervisorAPI
from scribe_tui.store import FAILED_JOB_STATUSES, JobRow, JobStoreAPI, TaskRow
from scribe_tui.tui.failure_log import FailureEntry, FailureLog
from scribe_tui.tui.job_query import STATUSES, JobQuery, order_and_window

FAILED_LIMIT = 200
"""Failed and dead jobs listed in the Failures pane at most (newest kept)."""

FULL_REFRESH_EVERY = 10
"""Re-read the job listing at least every this many polls even if no count moved."""

SORTED_REFRESH_S = 2.0
"""A sort other than by id reads every matching job: not more often than this."""


class EngineWithStore(SupervisorAPI, Protocol):
    """A SupervisorAPI that also exposes its job store (Supervisor and Monitor both do)."""

    @property
    def store(self) -> JobStoreAPI: ...


@dataclass(frozen=True)
class JobDetail:
    job: JobRow
    tasks: tuple[TaskRow, ...]


@dataclass(frozen=True)
class JobsWindow:
    rows: tuple[JobRow, ...]  # in display order
    matched: int  # jobs matching the filter (at least this many when ``more``)
    more: bool = False  # more jobs match than were counted (a text filter over a full window)


@dataclass(frozen=True)
class PollResult:
    seq: int  # polls are numbered from 1 in the order they started
    snapshot: Snapshot
    query: JobQuery  # the query the rows below answer
    jobs: JobsWindow | None  # None when nothing it shows changed since the last poll
    total: int  # jobs in the store
    failures: tuple[FailureEntry, ...]
    notices: tuple[Notice, ...]
    detail: JobDetail | None


def _combinations(query: JobQuery) -> list[tuple[str | None, str | None]]:
    flt = query.filter
    return [(status, language) for status in (flt.statuses or (None,)) for language in (flt.languages or (None,))]


def matching_count(query: JobQuery, snapshot: Snapshot) -> int | None:
    """How many jobs the filter matches, from the snapshot's counts; None with a text filter."""
    flt = query.filter
    if flt.text:
        return None
    statuses = flt.statuses or STATUSES
    if not flt.languages:
        return sum(snapshot.counts.get(status, 0) for status in statuses)
    return sum(snapshot.languages.get(language, {}).get(status, 0)
               for language in flt.languages for status in statuses)


def fetch_window(store: JobStoreAPI, query: JobQuery) -> tuple[tuple[JobRow, ...], bool]:
    """The first ``query.window`` jobs in id order (cheap: SQL does the limit). True when
    there were more."""
    rows: list[JobRow] = []
    for status, language in _combinations(query):
        rows.extend(store.jobs(status=status, language=language, text=query.filter.text or None,
                               limit=query.window + 1))
    rows.sort(key=lambda r: r.id)
    return tuple(rows[: query.window]), len(rows) > query.window


def fetch_sorted(store: JobStoreAPI, query: JobQuery) -> tuple[tuple[JobRow, ...], int]:
    """Every matching job, sorted by the query's order, cut to the window, and the number matched."""
    rows: list[JobRow] = []
    for status, language in _combinations(query):
        rows.extend(store.jobs(status=status, language=language, text=query.filter.text or None))
    return order_and_window(rows, query), len(rows)


def fetch_failed(store: JobStoreAPI, snapshot: Snapshot) -> list[JobRow]:
    """The newest failed and dead jobs (by id), at most FAILED_LIMIT of each."""
    rows: list[JobRow] = []
    for status in FAILED_JOB_STATUSES:
        offset = max(0, snapshot.counts.get(status, 0) - FAILED_LIMIT)
        rows.extend(store.jobs(status=status, limit=FAILED_LIMIT, offset=offset))
    rows.sort(key=lambda r: (r.completed_at or r.created_at, r.id), reverse=True)
    return rows[:FAILED_LIMIT]


class Poller:
    def __init__(self, api: EngineWithStore, query: JobQuery | None = None):
        self.api = api
        self.query = query or JobQuery()
        self.detail_job_id: int | None = None
        self.failures = FailureLog()
        self.seq = 0  # the number of the latest poll started
        self._polls = 0
        self._last_key: object = None
        self._last_sorted_query: JobQuery | None = None
        self._last_sorted_at = 0.0
        self._dirty = True

    def invalidate(self) -> None:
        """Re-read the job listing on the next poll (after a command or a query change)."""
        self._dirty = True

    def poll(self) -> PollResult:
        self.seq += 1
        seq = self.seq
        events = self.api.poll_events(timeout=0)
        self.failures.add_events(events)
        snapshot = self.api.snapshot()
        store = self.api.store
        query = self.query
        jobs = self._jobs_if_changed(store, query, snapshot)
        detail_id = self.detail_job_id
        return PollResult(
            seq=seq,
            snapshot=snapshot,
            query=query,
            jobs=jobs,
            total=sum(snapshot.counts.get(status, 0) for status in STATUSES),
            failures=self.failures.merged(fetch_failed(store, snapshot)),
            notices=tuple(e for e in events if isinstance(e, Notice)),
            detail=self._detail(store, detail_id) if detail_id is not None else None,
        )

    def _jobs_if_changed(self, store: JobStoreAPI, query: JobQuery,
                         snapshot: Snapshot) -> JobsWindow | None:
        """The Jobs window, or (None, None) when nothing it shows can have changed. The id
        order reads only the window; other orders read every matching job, so they are
        re-read at most every SORTED_REFRESH_S seconds unless a command invalidated them."""
        key = (query, tuple(sorted(snapshot.counts.items())), tuple(sorted(snapshot.chunk_counts.items())))
        self._polls += 1
        changed = self._dirty or key != self._last_key or self._polls % FULL_REFRESH_EVERY == 0
        if not changed:
            return None
        if query.order.name != "id" and not self._dirty and query == self._last_sorted_query \
                and time.monotonic() - self._last_sorted_at < SORTED_REFRESH_S:
            return None
        self._dirty = False
        self._last_key = key
        if query.order.name == "id":
            rows, more = fetch_window(store, query)
            counted = matching_count(query, snapshot)
            return JobsWindow(rows, counted, False) if counted is not None else JobsWindow(rows, len(rows), more)
        self._last_sorted_query, self._last_sorted_at = query, time.monotonic()
        rows, matched = fetch_sorted(store, query)
        return JobsWindow(rows, matched)

    @staticmethod
    def _detail(store: JobStoreAPI, job_id: int) -> JobDetail | None:
        job = store.job(job_id)
        if job is None:
            return None
        return JobDetail(job=job, tasks=tuple(store.tasks_of_job(job_id)))

