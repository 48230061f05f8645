"""Putting work on the PostgreSQL queue and taking it off, for supervisors on several machines.

Leasing is one statement: the best runnable tasks are picked ``FOR UPDATE SKIP LOCKED`` (so
concurrent supervisors each take different tasks without waiting for one another) and
marked leased in the same statement. Lease expiry is computed and compared on the
database's clock, never a host's: hosts whose clocks disagree still agree on who holds what.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import Any

import psycopg

from scribe_tui.store.models import EnqueueResult, LeasedTask, StoreError, TaskStatus
from scribe_tui.store.postgres.connection import PostgresBase, clock
from scribe_tui.store.postgres.transitions import ids
from scribe_tui.store.rows import LIVE_SQL, leased_task

Cursor = psycopg.Cursor[dict[str, Any]]

_LEASE = f"""
WITH clock AS (
    SELECT COALESCE(%(now)s::float8, extract(epoch FROM clock_timestamp())::float8) AS now
), picked AS (
    SELECT id FROM tasks
    WHERE status = 'queued' AND job_live = 1 AND not_before <= (SELECT now FROM clock) {{providers}}
    ORDER BY eff_priority DESC, job_id, idx
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), leased AS (
    UPDATE tasks t SET status = 'leased', lease_owner = %(owner)s, lease_expires = clock.now + %(lease_s)s,
                       updated_at = clock.now
    FROM picked, clock, chunks c, jobs j
    WHERE t.id = picked.id AND c.id = t.chunk_id AND j.id = t.job_id
    RETURNING t.id, t.job_id, t.chunk_id, t.idx, t.attempts, t.lease_expires, t.eff_priority,
              c.text, c.context, c.meta, j.target_language, j.provider, j.model
), started AS (
    UPDATE jobs SET status = 'processing', started_at = COALESCE(started_at, (SELECT now FROM clock)),
                    worker_id = %(owner)s,
                    wait_reason = NULL, wait_until = NULL
    WHERE id IN (SELECT job_id FROM leased) AND status IN {LIVE_SQL}
)
SELECT * FROM leased
"""
"""One statement: pick the best runnable tasks nobody else is taking (SKIP LOCKED), lease them,
and mark their jobs processing."""

_REQUEUE = "status = CASE status WHEN 'leased' THEN 'queued' ELSE status END, lease_owner = NULL, lease_expires = NULL"


class QueueOps(PostgresBase):
    def enqueue(self, document_id: int, language: str, provider: str, model: str, *,
                priority: int = 0, language_priority: int = 0, output_path: str) -> EnqueueResult:
        """One job and one task per chunk, in one transaction; an existing job is returned as is."""
        def work(cur: Cursor) -> EnqueueResult:
            now = clock(cur)
            document = cur.execute("SELECT path, error FROM documents WHERE id = %s", (document_id,)).fetchone()
            if document is None:
                raise StoreError(f"no document with id {document_id}")
            if document["error"] is not None:
                raise StoreError(f"{document['path']}: could not be read ({document['error']}); it cannot be enqueued")
            row = cur.execute(
                """INSERT INTO jobs (document_id, target_language, provider, model, status, priority,
                                     language_priority, created_at, output_path)
                   VALUES (%s, %s, %s, %s, 'queued', %s, %s, %s, %s)
                   ON CONFLICT (document_id, target_language, provider, model) DO NOTHING RETURNING id""",
                (document_id, language, provider, model, priority, language_priority, now, output_path)).fetchone()
            if row is None:
                existing = cur.execute("SELECT id FROM jobs WHERE document_id = %s AND target_language = %s "
                                       "AND provider = %s AND model = %s",
                                       (document_id, language, provider, model)).fetchone()
                return EnqueueResult(job_id=int(existing["id"]), created=False)
            job_id = int(row["id"])
            created = cur.execute(
                """INSERT INTO tasks (job_id, chunk_id, idx, status, not_before, updated_at, eff_priority, job_live,
                                      provider)
                   SELECT %s, id, idx, 'queued', 0, %s, %s, 1, %s FROM chunks WHERE document_id = %s ORDER BY idx""",
                (job_id, now, priority + language_priority, provider, document_id)).rowcount
            cur.execute("UPDATE jobs SET chunks_total = %s WHERE id = %s", (created, job_id))
            return EnqueueResult(job_id=job_id, created=True)

        return self._transact(work)

    def lease(self, owner: str, limit: int, lease_s: float, *,
              providers: Collection[str] | None = None, now: float | None = None) -> list[LeasedTask]:
        """Take up to ``limit`` runnable tasks for ``owner`` until ``now + lease_s`` (the
        database's clock), best first; tasks another supervisor is taking are skipped, not waited for."""
        if limit <= 0 or (providers is not None and not providers):
            return []

        def work(cur: Cursor) -> list[LeasedTask]:
            params: dict[str, Any] = {"now": now, "lease_s": lease_s, "owner": owner, "limit": limit}
            where = ""
            if providers is not None:
                where, params["providers"] = "AND provider = ANY(%(providers)s)", sorted(providers)
            rows = cur.execute(_LEASE.format(providers=where), params).fetchall()
            rows.sort(key=lambda r: (-r["eff_priority"], r["job_id"], r["idx"]))
            return [leased_task(row) for row in rows]

        return self._transact(work, single=True)

    def renew(self, owner: str, task_ids: Collection[int] | None, lease_s: float,
              now: float | None = None) -> int:
        """Extend ``owner``'s leases (all of them when ``task_ids`` is None); how many were renewed."""
        if task_ids is not None and not task_ids:
            return 0

        def work(cur: Cursor) -> int:
            sql, params = _only_ids("UPDATE tasks SET lease_expires = %s WHERE lease_owner = %s AND status = 'leased'",
                                    [clock(cur, now) + lease_s, owner], task_ids)
            return cur.execute(sql, params).rowcount

        return self._transact(work)

    def release(self, owner: str, task_ids: Collection[int] | None = None) -> int:
        """Give leases back unfinished (attempts unchanged); a cancelled task just drops its lease."""
        if task_ids is not None and not task_ids:
            return 0

        def work(cur: Cursor) -> int:
            sql, params = _only_ids(f"UPDATE tasks SET {_REQUEUE}, updated_at = %s "
                                    "WHERE lease_owner = %s AND status IN ('leased', 'cancelled')",
                                    [clock(cur), owner], task_ids)
            return cur.execute(sql, params).rowcount

        return self._transact(work)

    def reclaim_expired(self, now: float | None = None) -> int:
        """Expired leases (on the database's clock) go back to the queue, attempts unchanged;
        how many were requeued."""
        def work(cur: Cursor) -> int:
            at = clock(cur, now)
            rows = cur.execute(f"UPDATE tasks SET {_REQUEUE}, updated_at = %s "
                               "WHERE lease_owner IS NOT NULL AND lease_expires < %s RETURNING status",
                               (at if math.isfinite(at) else clock(cur), at)).fetchall()
            return sum(1 for row in rows if row["status"] == TaskStatus.QUEUED)

        return self._transact(work)

    def cancelled_in_flight(self, owner: str | None = None) -> list[int]:
        """Tasks still held by a lease although their job was cancelled: the engine aborts them."""
        sql = "SELECT id FROM tasks WHERE lease_owner IS NOT NULL AND status = 'cancelled'"
        params: list[Any] = []
        if owner is not None:
            sql += " AND lease_owner = %s"
            params.append(owner)
        return [row["id"] for row in self._rows(sql + " ORDER BY id", params)]


def _only_ids(sql: str, params: list[Any], task_ids: Collection[int] | None) -> tuple[str, list[Any]]:
    if task_ids is None:
        return sql, params
    return sql + " AND id = ANY(%s)", [*params, ids(task_ids)]
