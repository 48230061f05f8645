"""Job status changes every part of the PostgreSQL store makes the same way (as in the
SQLite store: each task carries ``job_live`` so that leasing never joins jobs). All
functions run inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import psycopg

from scribe_tui.store.models import JobStatus
from scribe_tui.store.rows import LIVE_SQL

Cursor = psycopg.Cursor[dict[str, Any]]


def ids(values: Collection[int]) -> list[int]:
    """Ids as a list for ``= ANY(%s)`` (sorted: rows are then locked in one order everywhere)."""
    return sorted({int(value) for value in values})


def sync_job_live(cur: Cursor, job_ids: Collection[int]) -> None:
    """Copy each job's liveness onto its tasks."""
    if not job_ids:
        return
    cur.execute(
        f"""UPDATE tasks t SET job_live = CASE WHEN j.status IN {LIVE_SQL} THEN 1 ELSE 0 END
            FROM jobs j WHERE j.id = t.job_id AND t.job_id = ANY(%s)
            AND t.job_live IS DISTINCT FROM CASE WHEN j.status IN {LIVE_SQL} THEN 1 ELSE 0 END""",
        (ids(job_ids),))


def end_live_job(cur: Cursor, job_id: int, status: JobStatus, message: str, now: float) -> bool:
    """Move a live job to ``failed`` or ``dead`` with its error; False if it was not live."""
    row = cur.execute(
        f"""UPDATE jobs SET status = %s, error_message = %s, completed_at = %s, wait_reason = NULL,
                           wait_until = NULL
            WHERE id = %s AND status IN {LIVE_SQL} RETURNING id""",
        (status, message, now, job_id)).fetchone()
    if row is not None:
        sync_job_live(cur, [job_id])
    return row is not None
