"""The API's reads of the engine and the job store. Each runs on a store thread (see
``engine_link.StoreThreads``), never on the server's event loop."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scribe_tui.store import FAILED_JOB_STATUSES, JobRow, JobStatus
from scribe_tui.web.engine_link import Engine
from scribe_tui.web.views import RecentEvents, job_detail_json, job_json, status_json

FAILURES_SHOWN = 50
"""Newest failed and dead-lettered jobs in the status, of each kind."""

MAX_PAGE = 500
JOB_STATUSES = tuple(status.value for status in JobStatus)
STATUS_RANK = {"processing": 0, "queued": 1, "failed": 2, "dead": 3, "cancelled": 4, "completed": 5}


def _progress(row: JobRow) -> float:
    return row.chunks_done / row.chunks_total if row.chunks_total else 0.0


SORTS: dict[str, tuple[Callable[[JobRow], Any], bool]] = {
    "id": (lambda r: r.id, False),
    "newest": (lambda r: r.id, True),
    "priority": (lambda r: (r.effective_priority, -r.id), True),
    "status": (lambda r: (STATUS_RANK.get(r.status, 9), r.id), False),
    "document": (lambda r: (r.path.lower(), r.target_language), False),
    "progress": (lambda r: (_progress(r), -r.id), True),
    "attempts": (lambda r: (r.attempts, -r.id), True),
}
"""Sort name → (key, descending). Every order but ``id`` reads all matching jobs."""


@dataclass(frozen=True)
class JobQuery:
    """``GET /api/jobs``'s query, already checked (see ``api.job_query``)."""

    status: str | None = None
    language: str | None = None
    text: str | None = None
    sort: str = "id"
    limit: int = 100
    offset: int = 0


def read_status(engine: Engine, recent: RecentEvents) -> dict[str, Any]:
    recent.add(engine.poll_events(timeout=0))
    snapshot = engine.snapshot()
    store = engine.store
    failed: list[JobRow] = []
    for status in FAILED_JOB_STATUSES:
        offset = max(0, snapshot.counts.get(status, 0) - FAILURES_SHOWN)
        failed.extend(store.jobs(status=status, limit=FAILURES_SHOWN, offset=offset))
    failed.sort(key=lambda r: (r.completed_at or r.created_at, r.id), reverse=True)
    return status_json(snapshot, failed[:FAILURES_SHOWN], recent, store.get_control("supervisor"))


def _matching_count(engine: Engine, query: JobQuery) -> int:
    """Jobs the status and language filters match, from the store's counts."""
    store = engine.store
    if query.language is None:
        counts = store.job_counts()
    else:
        counts = store.counts_by_language().get(query.language, {})
    if query.status is not None:
        return int(counts.get(query.status, 0))
    return sum(int(counts.get(status, 0)) for status in JOB_STATUSES)


def read_jobs(engine: Engine, query: JobQuery) -> dict[str, Any]:
    """One page of jobs. ``total`` is exact, except with a text filter in id order, where it is
    None and ``more`` says whether another page follows."""
    store = engine.store
    filters = {"status": query.status, "language": query.language, "text": query.text or None}
    if query.sort == "id":
        rows = store.jobs(**filters, limit=query.limit + 1, offset=query.offset)
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        total = None if query.text else _matching_count(engine, query)
    else:
        key, descending = SORTS[query.sort]
        matched = sorted(store.jobs(**filters), key=key, reverse=descending)
        rows = matched[query.offset: query.offset + query.limit]
        total = len(matched)
        more = query.offset + len(rows) < total
    return {"jobs": [job_json(row) for row in rows], "total": total, "more": more,
            "limit": query.limit, "offset": query.offset, "sort": query.sort}


def read_job(engine: Engine, job_id: int) -> dict[str, Any] | None:
    store = engine.store
    row = store.job(job_id)
    if row is None:
        return None
    return job_detail_json(row, store.tasks_of_job(job_id))


def read_job_row(engine: Engine, job_id: int) -> dict[str, Any] | None:
    row = engine.store.job(job_id)
    return None if row is None else job_json(row)
