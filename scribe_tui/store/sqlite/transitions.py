"""Job status changes that every part of the store makes the same way.

Each task carries ``job_live`` (1 while its job is queued or processing) so the lease
query never looks at jobs; every job status change goes through here to keep it true.
All functions run inside a transaction the caller opened.
"""

from __future__ import annotations

from collections.abc import Collection

import sqlite_utils

from scribe_tui.store.models import JobStatus
from scribe_tui.store.rows import LIVE_SQL, OPEN_TASK_SQL, RETRYABLE_BY_NAME_SQL, RETRYABLE_SQL
from scribe_tui.store.sqlite.connection import id_list

__all__ = ["LIVE_SQL", "OPEN_TASK_SQL", "RETRYABLE_BY_NAME_SQL", "RETRYABLE_SQL", "RUNNABLE_SQL", "end_live_job",
           "sync_job_live"]

RUNNABLE_SQL = "status = 'queued' AND job_live = 1"
"""A queued task of a live job: the condition of the partial indexes tasks_runnable and
tasks_wakeup, verbatim (SQLite uses a partial index only when the query repeats it)."""


def sync_job_live(db: sqlite_utils.Database, job_ids: Collection[int]) -> None:
    """Copy each job's liveness onto its tasks."""
    if not job_ids:
        return
    db.execute(
        f"""UPDATE tasks SET job_live = (SELECT j.status IN {LIVE_SQL} FROM jobs j WHERE j.id = tasks.job_id)
            WHERE job_id IN (SELECT value FROM json_each(?))""",
        (id_list(job_ids),),
    )


def end_live_job(db: sqlite_utils.Database, job_id: int, status: JobStatus, message: str,
                 now: float) -> bool:
    """Move a live job to ``failed`` or ``dead`` with its error; False if it was not live."""
    rows = db.execute(
        f"""UPDATE jobs SET status = ?, error_message = ?, completed_at = ?, wait_reason = NULL,
                           wait_until = NULL
            WHERE id = ? AND status IN {LIVE_SQL} RETURNING id""",
        (status, message, now, job_id),
    ).fetchall()
    if rows:
        sync_job_live(db, [job_id])
    return bool(rows)
