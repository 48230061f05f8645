"""What a person asks of the queue: cancel, retry, change a job's priority.

These come from the TUI, from ``scribe-tui jobs …`` in another terminal, or from the
engine; each is one IMMEDIATE transaction, so they are safe while workers run.
"""

from __future__ import annotations

import time
from collections.abc import Collection

import sqlite_utils

from scribe_tui.store.models import JobStatus
from scribe_tui.store.sqlite.connection import SQLiteBase, id_list
from scribe_tui.store.sqlite.transitions import OPEN_TASK_SQL, RETRYABLE_BY_NAME_SQL, RETRYABLE_SQL, sync_job_live

_IN_IDS = "IN (SELECT value FROM json_each(?))"


class CommandOps(SQLiteBase):
    def cancel(self, job_ids: Collection[int]) -> list[int]:
        """Cancel jobs not yet completed; return the ids that exist. Their queued and leased tasks
        become cancelled (a leased one keeps its lease until the engine aborts it: cancelled_in_flight)."""
        if not job_ids:
            return []
        now = time.time()
        with self._write() as db:
            found = db.execute(f"SELECT id, status FROM jobs WHERE id {_IN_IDS} ORDER BY id",
                               (id_list(job_ids),)).fetchall()
            targets = [job_id for job_id, status in found
                       if status not in (JobStatus.COMPLETED, JobStatus.CANCELLED)]
            if targets:
                db.execute(
                    f"""UPDATE jobs SET status = 'cancelled', completed_at = ?, wait_reason = NULL,
                                       wait_until = NULL WHERE id {_IN_IDS}""", (now, id_list(targets)))
                db.execute(
                    f"""UPDATE tasks SET status = 'cancelled', updated_at = ?
                        WHERE job_id {_IN_IDS} AND status IN {OPEN_TASK_SQL}""", (now, id_list(targets)))
                sync_job_live(db, targets)
        return [job_id for job_id, _ in found]

    def retry(self, job_ids: Collection[int] | None = None) -> list[int]:
        """Requeue failed and dead jobs (all of them when ``job_ids`` is None; a cancelled job only
        when named). Their unfinished tasks start again with no attempts burnt; done ones are kept,
        and a cancelled task the engine has not aborted yet (it still holds its lease) keeps running.
        A job whose document could not be read is not requeued: enqueue its path again instead."""
        now = time.time()
        with self._write() as db:
            targets = _retryable(db, job_ids)
            if not targets:
                return []
            ids = id_list(targets)
            db.execute(
                f"""UPDATE tasks SET attempts = 0, not_before = 0, last_error = NULL, error_class = NULL,
                                    updated_at = ?
                    WHERE job_id {_IN_IDS} AND status != 'done'""", (now, ids))
            # A cancelled task that still holds its lease is still running (the engine has not
            # aborted it yet): it stays leased and its result counts, instead of going out twice.
            db.execute(
                f"""UPDATE tasks SET status = 'leased', completed_at = NULL
                    WHERE job_id {_IN_IDS} AND status = 'cancelled' AND lease_owner IS NOT NULL""", (ids,))
            db.execute(
                f"""UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_expires = NULL, completed_at = NULL
                    WHERE job_id {_IN_IDS} AND status IN ('queued', 'failed', 'dead', 'cancelled')""", (ids,))
            db.execute(
                f"""UPDATE jobs SET status = CASE WHEN EXISTS (SELECT 1 FROM tasks t WHERE t.job_id = jobs.id
                                                              AND t.status = 'leased')
                                             THEN 'processing' ELSE 'queued' END,
                                   error_message = NULL, completed_at = NULL, wait_reason = NULL, wait_until = NULL,
                                   attempts = (SELECT COALESCE(SUM(t.attempts), 0) FROM tasks t
                                               WHERE t.job_id = jobs.id)
                    WHERE id {_IN_IDS}""", (ids,))
            sync_job_live(db, targets)
        return targets

    def set_output_path(self, job_id: int, output_path: str) -> None:
        """Point a job at another output path (an enqueue with another ``-o``); the writer uses
        the job's path when it assembles, so a live job simply writes there."""
        self._execute("UPDATE jobs SET output_path = ? WHERE id = ?", (output_path, job_id))

    def change_priority(self, job_id: int, delta: int) -> int | None:
        """Add ``delta`` to a job's own priority; the new priority, or None for an unknown job."""
        with self._write() as db:
            rows = db.execute(
                "UPDATE jobs SET priority = priority + ? WHERE id = ? RETURNING priority, language_priority",
                (delta, job_id)).fetchall()
            if not rows:
                return None
            priority, language_priority = rows[0]
            db.execute("UPDATE tasks SET eff_priority = ? WHERE job_id = ?", (priority + language_priority, job_id))
        return int(priority)


def _retryable(db: sqlite_utils.Database, job_ids: Collection[int] | None) -> list[int]:
    sql = "SELECT j.id FROM jobs j JOIN documents d ON d.id = j.document_id WHERE d.error IS NULL AND "
    if job_ids is None:
        rows = db.execute(sql + f"j.status IN {RETRYABLE_SQL} ORDER BY j.id").fetchall()
    else:
        rows = db.execute(sql + f"j.status IN {RETRYABLE_BY_NAME_SQL} AND j.id {_IN_IDS} ORDER BY j.id",
                          (id_list(job_ids),)).fetchall()
    return [row[0] for row in rows]
