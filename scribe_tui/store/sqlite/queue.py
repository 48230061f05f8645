"""Putting work on the queue and taking it off: enqueue, lease, renew, release, reclaim.

A task is leased, not taken: the lease has an owner and an expiry, and an expired lease
goes back to the queue. Leasing walks the ``tasks_runnable`` partial index in the order
it is built for: effective priority (language + job) high first, older job first, then
chunk order.
"""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from typing import Any

from scribe_tui.store.models import EnqueueResult, LeasedTask, StoreError, TaskStatus
from scribe_tui.store.rows import leased_task
from scribe_tui.store.sqlite.connection import SQLiteBase, id_list
from scribe_tui.store.sqlite.transitions import LIVE_SQL, RUNNABLE_SQL

_LEASED_DETAIL = """
SELECT t.id, t.job_id, t.chunk_id, t.idx, t.attempts, t.lease_expires,
       c.text, c.context, c.meta, j.target_language, j.provider, j.model
FROM tasks t JOIN chunks c ON c.id = t.chunk_id JOIN jobs j ON j.id = t.job_id
WHERE t.id IN (SELECT value FROM json_each(?))
"""


class QueueOps(SQLiteBase):
    def enqueue(self, document_id: int, language: str, provider: str, model: str, *,
                priority: int = 0, language_priority: int = 0, output_path: str) -> EnqueueResult:
        """One job and one task per chunk, in one transaction; an existing job is returned as is."""
        now = time.time()
        with self._write() as db:
            document = db.execute("SELECT path, error FROM documents WHERE id = ?", (document_id,)).fetchone()
            if document is None:
                raise StoreError(f"no document with id {document_id}")
            if document[1] is not None:
                raise StoreError(f"{document[0]}: could not be read ({document[1]}); it cannot be enqueued")
            rows = db.execute(
                """INSERT INTO jobs (document_id, target_language, provider, model, status, priority,
                                     language_priority, created_at, output_path)
                   VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)
                   ON CONFLICT (document_id, target_language, provider, model) DO NOTHING
                   RETURNING id""",
                (document_id, language, provider, model, priority, language_priority, now, output_path),
            ).fetchall()
            if not rows:
                existing = db.execute(
                    """SELECT id FROM jobs WHERE document_id = ? AND target_language = ? AND provider = ?
                       AND model = ?""", (document_id, language, provider, model)).fetchone()
                return EnqueueResult(job_id=int(existing[0]), created=False)
            job_id = int(rows[0][0])
            created = db.execute(
                """INSERT INTO tasks (job_id, chunk_id, idx, status, not_before, updated_at,
                                      eff_priority, job_live, provider)
                   SELECT ?, id, idx, 'queued', 0, ?, ?, 1, ? FROM chunks WHERE document_id = ? ORDER BY idx""",
                (job_id, now, priority + language_priority, provider, document_id),
            ).rowcount
            db.execute("UPDATE jobs SET chunks_total = ? WHERE id = ?", (created, job_id))
        return EnqueueResult(job_id=job_id, created=True)

    def lease(self, owner: str, limit: int, lease_s: float, *,
              providers: Collection[str] | None = None, now: float | None = None) -> list[LeasedTask]:
        """Take up to ``limit`` runnable tasks for ``owner`` until ``now + lease_s``, best first."""
        if limit <= 0 or (providers is not None and not providers):
            return []
        now = time.time() if now is None else now
        expires = now + lease_s
        sql = f"SELECT id FROM tasks INDEXED BY tasks_runnable WHERE {RUNNABLE_SQL} AND not_before <= ?"
        params: list[Any] = [now]
        if providers is not None:
            sql += " AND provider IN (SELECT value FROM json_each(?))"
            params.append(json.dumps(sorted(providers)))
        sql += " ORDER BY eff_priority DESC, job_id, idx LIMIT ?"
        params.append(limit)
        with self._write() as db:
            ids = [row[0] for row in db.execute(sql, params).fetchall()]
            if not ids:
                return []
            db.execute(
                """UPDATE tasks SET status = 'leased', lease_owner = ?, lease_expires = ?, updated_at = ?
                   WHERE id IN (SELECT value FROM json_each(?))""", (owner, expires, now, id_list(ids)))
            details = {row["id"]: row for row in db.query(_LEASED_DETAIL, (id_list(ids),))}
            job_ids = {row["job_id"] for row in details.values()}
            db.execute(
                f"""UPDATE jobs SET status = 'processing', started_at = COALESCE(started_at, ?), worker_id = ?,
                                   wait_reason = NULL, wait_until = NULL
                    WHERE id IN (SELECT value FROM json_each(?)) AND status IN {LIVE_SQL}""",
                (now, owner, id_list(job_ids)))
        return [leased_task(details[task_id]) for task_id in ids]

    def renew(self, owner: str, task_ids: Collection[int] | None, lease_s: float,
              now: float | None = None) -> int:
        """Extend ``owner``'s leases (all of them when ``task_ids`` is None); how many were renewed."""
        if task_ids is not None and not task_ids:
            return 0
        now = time.time() if now is None else now
        sql = "UPDATE tasks SET lease_expires = ? WHERE lease_owner = ? AND status = 'leased'"
        sql, params = _only_ids(sql, [now + lease_s, owner], task_ids)
        return self._execute(sql, params)

    def release(self, owner: str, task_ids: Collection[int] | None = None) -> int:
        """Give leases back unfinished (attempts unchanged); a cancelled task just drops its lease."""
        if task_ids is not None and not task_ids:
            return 0
        sql = """UPDATE tasks SET status = CASE status WHEN 'leased' THEN 'queued' ELSE status END,
                                  lease_owner = NULL, lease_expires = NULL, updated_at = ?
                 WHERE lease_owner = ? AND status IN ('leased', 'cancelled')"""
        sql, params = _only_ids(sql, [time.time(), owner], task_ids)
        return self._execute(sql, params)

    def reclaim_expired(self, now: float | None = None) -> int:
        """Expired leases go back to the queue (attempts unchanged); how many were requeued."""
        now = time.time() if now is None else now
        with self._write() as db:
            rows = db.execute(
                """UPDATE tasks SET status = CASE status WHEN 'leased' THEN 'queued' ELSE status END,
                                    lease_owner = NULL, lease_expires = NULL, updated_at = ?
                   WHERE lease_owner IS NOT NULL AND lease_expires < ? RETURNING status""",
                (now, now)).fetchall()
        return sum(1 for (status,) in rows if status == TaskStatus.QUEUED)

    def cancelled_in_flight(self, owner: str | None = None) -> list[int]:
        """Tasks still held by a lease although their job was cancelled: the engine aborts them."""
        sql = "SELECT id FROM tasks WHERE lease_owner IS NOT NULL AND status = 'cancelled'"
        params: list[Any] = []
        if owner is not None:
            sql += " AND lease_owner = ?"
            params.append(owner)
        return [row["id"] for row in self._rows(sql + " ORDER BY id", params)]


def _only_ids(sql: str, params: list[Any], task_ids: Collection[int] | None) -> tuple[str, list[Any]]:
    if task_ids is None:
        return sql, params
    return sql + " AND id IN (SELECT value FROM json_each(?))", [*params, id_list(task_ids)]

