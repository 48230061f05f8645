"""What a person asks of the PostgreSQL queue: cancel, retry, change a job's priority — from
any machine, while supervisors on every machine run. Each is one transaction."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import psycopg

from scribe_tui.store.models import JobStatus
from scribe_tui.store.postgres.connection import PostgresBase, clock
from scribe_tui.store.postgres.transitions import ids, sync_job_live
from scribe_tui.store.rows import OPEN_TASK_SQL, RETRYABLE_BY_NAME_SQL, RETRYABLE_SQL

Cursor = psycopg.Cursor[dict[str, Any]]


class CommandOps(PostgresBase):
    def cancel(self, job_ids: Collection[int]) -> list[int]:
        """Cancel jobs not yet completed; return the ids that exist (see the SQLite store)."""
        if not job_ids:
            return []

        def work(cur: Cursor) -> list[int]:
            now = clock(cur)
            found = cur.execute("SELECT id, status FROM jobs WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                                (ids(job_ids),)).fetchall()
            targets = [row["id"] for row in found if row["status"] not in (JobStatus.COMPLETED, JobStatus.CANCELLED)]
            if targets:
                cur.execute("""UPDATE jobs SET status = 'cancelled', completed_at = %s, wait_reason = NULL,
                                   wait_until = NULL WHERE id = ANY(%s)""", (now, targets))
                cur.execute(f"UPDATE tasks SET status = 'cancelled', updated_at = %s "
                            f"WHERE job_id = ANY(%s) AND status IN {OPEN_TASK_SQL}", (now, targets))
                sync_job_live(cur, targets)
            return [row["id"] for row in found]

        return self._transact(work)

    def retry(self, job_ids: Collection[int] | None = None) -> list[int]:
        """Requeue failed and dead jobs (all when ``job_ids`` is None; a cancelled one only when
        named); unfinished tasks start again with no attempts burnt, done ones are kept, and a
        cancelled task the engine has not aborted yet (it still holds its lease) keeps running."""
        def work(cur: Cursor) -> list[int]:
            sql = ("SELECT j.id FROM jobs j JOIN documents d ON d.id = j.document_id WHERE d.error IS NULL AND ")
            if job_ids is None:
                found = cur.execute(sql + f"j.status IN {RETRYABLE_SQL} ORDER BY j.id FOR UPDATE OF j").fetchall()
            else:
                found = cur.execute(sql + f"j.status IN {RETRYABLE_BY_NAME_SQL} AND j.id = ANY(%s) "
                                    "ORDER BY j.id FOR UPDATE OF j", (ids(job_ids),)).fetchall()
            targets = [row["id"] for row in found]
            if not targets:
                return []
            cur.execute("""UPDATE tasks SET attempts = 0, not_before = 0, last_error = NULL, error_class = NULL,
                               updated_at = %s WHERE job_id = ANY(%s) AND status != 'done'""", (clock(cur), targets))
            # A cancelled task that still holds its lease is still running (the engine has not
            # aborted it yet): it stays leased and its result counts, instead of going out twice.
            cur.execute("""UPDATE tasks SET status = 'leased', completed_at = NULL
                           WHERE job_id = ANY(%s) AND status = 'cancelled' AND lease_owner IS NOT NULL""", (targets,))
            cur.execute("""UPDATE tasks SET status = 'queued', lease_owner = NULL, lease_expires = NULL,
                               completed_at = NULL
                           WHERE job_id = ANY(%s) AND status IN ('queued', 'failed', 'dead', 'cancelled')""", (targets,))
            cur.execute("""UPDATE jobs SET status = CASE WHEN EXISTS (SELECT 1 FROM tasks t WHERE t.job_id = jobs.id
                                                                         AND t.status = 'leased')
                                                        THEN 'processing' ELSE 'queued' END,
                               error_message = NULL, completed_at = NULL, wait_reason = NULL, wait_until = NULL,
                               attempts = (SELECT COALESCE(SUM(t.attempts), 0) FROM tasks t WHERE t.job_id = jobs.id)
                           WHERE id = ANY(%s)""", (targets,))
            sync_job_live(cur, targets)
            return targets

        return self._transact(work)

    def set_output_path(self, job_id: int, output_path: str) -> None:
        """Point a job at another output path (an enqueue with another ``-o``); the machine
        that assembles the job writes there."""
        self._execute("UPDATE jobs SET output_path = %s WHERE id = %s", (output_path, job_id))

    def change_priority(self, job_id: int, delta: int) -> int | None:
        """Add ``delta`` to a job's own priority; the new priority, or None for an unknown job."""
        def work(cur: Cursor) -> int | None:
            row = cur.execute("UPDATE jobs SET priority = priority + %s WHERE id = %s "
                              "RETURNING priority, language_priority", (delta, job_id)).fetchone()
            if row is None:
                return None
            cur.execute("UPDATE tasks SET eff_priority = %s WHERE job_id = %s",
                        (row["priority"] + row["language_priority"], job_id))
            return int(row["priority"])

        return self._transact(work)
