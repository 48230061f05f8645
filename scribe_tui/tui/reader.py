"""Reading the engine and the job store into one ``EngineState``: the snapshot, new events,
the Jobs window the query asks for, the failures, and the chunks of the job open in the
detail screen.

``StateReader.read`` runs on a worker thread, one read at a time (the app starts the next
one only after the last was rendered); everything it needs to know comes in the immutable
``ReadRequest``. No Textual here.
"""

from __future__ import annotations

import time

from scribe_tui.engine.api import Notice, Snapshot
from scribe_tui.store import FAILED_JOB_STATUSES, JobRow, JobStore
from scribe_tui.tui.failure_log import FailureLog
from scribe_tui.tui.job_query import STATUSES, JobQuery, order_and_window
from scribe_tui.tui.state import EngineState, EngineWithStore, JobDetail, JobsWindow, Reading, ReadRequest

FAILED_LIMIT = 200
"""Failed and dead jobs listed in the Failures pane at most (newest kept)."""

FULL_REFRESH_EVERY = 10
"""Re-read the job listing at least every this many reads even if no count moved."""

SORTED_REFRESH_S = 2.0
"""A sort other than by id reads every matching job: not more often than this."""


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


def fetch_window(store: JobStore, query: JobQuery) -> tuple[tuple[JobRow, ...], bool]:
    """The first ``query.window`` jobs in id order (cheap: SQL does the limit). True when
    there were more."""
    rows: list[JobRow] = []
    for status, language in _combinations(query):
        rows.extend(store.jobs(status=status, language=language, text=query.filter.text or None,
                               limit=query.window + 1))
    rows.sort(key=lambda r: r.id)
    return tuple(rows[: query.window]), len(rows) > query.window


def fetch_sorted(store: JobStore, query: JobQuery) -> tuple[tuple[JobRow, ...], int]:
    """Every matching job, sorted by the query's order, cut to the window, and the number matched."""
    rows: list[JobRow] = []
    for status, language in _combinations(query):
        rows.extend(store.jobs(status=status, language=language, text=query.filter.text or None))
    return order_and_window(rows, query), len(rows)


def fetch_failed(store: JobStore, snapshot: Snapshot) -> list[JobRow]:
    """The newest failed and dead jobs (by id), at most FAILED_LIMIT of each."""
    rows: list[JobRow] = []
    for status in FAILED_JOB_STATUSES:
        offset = max(0, snapshot.counts.get(status, 0) - FAILED_LIMIT)
        rows.extend(store.jobs(status=status, limit=FAILED_LIMIT, offset=offset))
    rows.sort(key=lambda r: (r.completed_at or r.created_at, r.id), reverse=True)
    return rows[:FAILED_LIMIT]


class StateReader:
    def __init__(self, api: EngineWithStore):
        self.api = api
        self.failures = FailureLog()
        self._reads = 0
        self._last_key: object = None  # the query and the counts the last window was read at
        self._last_query: JobQuery | None = None
        self._last_window = JobsWindow((), 0)
        self._last_sorted_at = 0.0

    def read(self, seq: int, request: ReadRequest) -> Reading:
        events = self.api.poll_events(timeout=0)
        self.failures.add_events(events)
        snapshot = self.api.snapshot()
        store = self.api.store
        detail_id = request.detail_job_id
        state = EngineState(
            seq=seq,
            snapshot=snapshot,
            query=request.query,
            jobs=self._jobs(store, request, snapshot),
            total=sum(snapshot.counts.get(status, 0) for status in STATUSES),
            failures=self.failures.merged(fetch_failed(store, snapshot)),
            detail=self._detail(store, detail_id) if detail_id is not None else None,
        )
        return Reading(state, tuple(e for e in events if isinstance(e, Notice)))

    def _jobs(self, store: JobStore, request: ReadRequest, snapshot: Snapshot) -> JobsWindow:
        """The Jobs window, read again only when something it shows can have changed. The id
        order reads only the window; other orders read every matching job, so they are
        re-read at most every SORTED_REFRESH_S seconds unless the request asks for fresh rows."""
        query = request.query
        key = (query, tuple(sorted(snapshot.counts.items())), tuple(sorted(snapshot.chunk_counts.items())))
        self._reads += 1
        same_query = query == self._last_query
        changed = request.fresh or not same_query or key != self._last_key or self._reads % FULL_REFRESH_EVERY == 0
        if not changed:
            return self._last_window
        if query.order.name != "id" and not request.fresh and same_query \
                and time.monotonic() - self._last_sorted_at < SORTED_REFRESH_S:
            return self._last_window
        self._last_key, self._last_query = key, query
        self._last_window = self._read_window(store, query, snapshot)
        return self._last_window

    def _read_window(self, store: JobStore, query: JobQuery, snapshot: Snapshot) -> JobsWindow:
        if query.order.name == "id":
            rows, more = fetch_window(store, query)
            counted = matching_count(query, snapshot)
            return JobsWindow(rows, counted, False) if counted is not None else JobsWindow(rows, len(rows), more)
        self._last_sorted_at = time.monotonic()
        rows, matched = fetch_sorted(store, query)
        return JobsWindow(rows, matched)

    @staticmethod
    def _detail(store: JobStore, job_id: int) -> JobDetail | None:
        job = store.job(job_id)
        if job is None:
            return None
        return JobDetail(job=job, tasks=tuple(store.tasks_of_job(job_id)))
