"""Reading the engine and the job store into one ``EngineState``: the snapshot, new events,
the Jobs window the query asks for, the failures, and the chunks of the job open in the
detail screen.

``StateReader.read`` runs on a worker thread, one read at a time (the app starts the next
one only after the last was rendered); everything it needs to know comes in the immutable
``ReadRequest``. No Textual here.
"""

from __future__ import annotations

from dataclasses import replace

from scribe_tui.engine.api import Notice, Snapshot
from scribe_tui.store import FAILED_JOB_STATUSES, JobRow, JobStore
from scribe_tui.tui.failure_log import FailureLog
from scribe_tui.tui.job_query import STATUSES, JobQuery
from scribe_tui.tui.state import EngineState, EngineWithStore, JobDetail, JobsWindow, Reading, ReadRequest

FAILED_LIMIT = 100
"""Failed and dead jobs listed in the Failures pane at most (newest kept)."""

FULL_REFRESH_EVERY = 10
"""Re-read the job listing at least every this many reads even if no count moved."""


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


def fetch_window(store: JobStore, query: JobQuery, snapshot: Snapshot) -> JobsWindow:
    """The first ``query.window`` jobs in the query's order: the store filters, sorts and cuts,
    so only those rows are read. The match count comes from the snapshot when it can."""
    page = query.page()
    counted = matching_count(query, snapshot)
    matched = store.job_count(page) if counted is None else counted
    return JobsWindow(tuple(store.job_page(page)), matched, query.offset)


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
        self._last_window = JobsWindow((), 0)
        self._failed_key: object = None  # the failed and dead counts the failed jobs were read at
        self._failed: list[JobRow] = []
        self._last_state: EngineState | None = None

    def read(self, seq: int, request: ReadRequest) -> Reading:
        last = self._last_state
        if request.jobs_only and last is not None:
            jobs = fetch_window(self.api.store, request.query, last.snapshot)
            self._last_state = replace(last, seq=seq, query=request.query, jobs=jobs)
            return Reading(self._last_state, ())
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
            failures=self.failures.merged(self._failed_jobs(store, request, snapshot)),
            detail=self._detail(store, detail_id) if detail_id is not None else None,
        )
        self._last_state = state
        return Reading(state, tuple(e for e in events if isinstance(e, Notice)))

    def _jobs(self, store: JobStore, request: ReadRequest, snapshot: Snapshot) -> JobsWindow:
        """The Jobs window, read again only when something it shows can have changed: the
        query, a count, a command (``fresh``), or every FULL_REFRESH_EVERY reads."""
        query = request.query
        key = (query, tuple(sorted(snapshot.counts.items())), tuple(sorted(snapshot.chunk_counts.items())))
        self._reads += 1
        if request.fresh or key != self._last_key or self._reads % FULL_REFRESH_EVERY == 0:
            self._last_key = key
            self._last_window = fetch_window(store, query, snapshot)
        return self._last_window

    def _failed_jobs(self, store: JobStore, request: ReadRequest, snapshot: Snapshot) -> list[JobRow]:
        """The failed and dead jobs, read again only when their counts moved or after a command."""
        key = tuple(snapshot.counts.get(status, 0) for status in FAILED_JOB_STATUSES)
        if request.fresh or key != self._failed_key or self._reads % FULL_REFRESH_EVERY == 0:
            self._failed_key, self._failed = key, fetch_failed(store, snapshot)
        return self._failed

    @staticmethod
    def _detail(store: JobStore, job_id: int) -> JobDetail | None:
        job = store.job(job_id)
        if job is None:
            return None
        return JobDetail(job=job, tasks=tuple(store.tasks_of_job(job_id)))
