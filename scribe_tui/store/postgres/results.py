"""Recording what became of leased tasks in PostgreSQL, and finishing jobs.

The same rules as the SQLite store (``store.sqlite.results``): a batch is one transaction,
only an open task takes a result, the first result wins, and with an ``owner`` a result
applies only while that owner still holds the task (``rows.result_guard``), so a supervisor
that comes back after its lease expired cannot disturb the one that holds the task now.
Job counters are added in job-id order, so concurrent batches lock jobs in one order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from scribe_tui.store.models import (JobStatus, StoreError, TaskDefer, TaskDone, TaskFail, TaskResult, TaskRetry,
                                     TaskStatus)
from scribe_tui.store.postgres.connection import PostgresBase, clock
from scribe_tui.store.postgres.transitions import end_live_job, ids, sync_job_live
from scribe_tui.store.rows import LIVE_SQL, OPEN_TASK_SQL, JobDelta, result_guard

Cursor = psycopg.Cursor[dict[str, Any]]
Guard = tuple[str, list[Any]]

_OPEN = f"status IN {OPEN_TASK_SQL}"
_NO_LEASE = "lease_owner = NULL, lease_expires = NULL"
_NOW = "COALESCE(%s::float8, extract(epoch FROM now())::float8)"
"""The caller's ``now``, else the database's clock at the start of the transaction (the same
for every statement of a batch, and no round trip of its own)."""


_ADD_TO_JOB = f"""
UPDATE jobs SET chunks_done = chunks_done + %s, tokens_in = tokens_in + %s, tokens_out = tokens_out + %s,
                characters = characters + %s, cost_usd = cost_usd + %s, attempts = attempts + %s
WHERE id = %s RETURNING chunks_done >= chunks_total AND status IN {LIVE_SQL} AS ready
"""

_DONE = f"""
UPDATE tasks SET status = 'done', translation = %s, provider_used = %s, model_used = %s, tokens_in = %s,
                 tokens_out = %s, characters = %s, cost_usd = %s, cached = %s, completed_at = {_NOW},
                 updated_at = {_NOW}, last_error = NULL, error_class = NULL, qa = %s, {_NO_LEASE}
WHERE id = %s AND {_OPEN}{{guard}} RETURNING job_id
"""


class ResultOps(PostgresBase):
    def record_results(self, results: Sequence[TaskResult], *, max_attempts: int,
                       now: float | None = None, owner: str | None = None) -> list[int]:
        """Apply a batch of results; return the jobs it made ready to assemble (all chunks done)."""
        def work(cur: Cursor) -> list[int]:
            deltas: dict[int, JobDelta] = {}
            for run in _runs(results, owner):
                applied = (_apply_dones(cur, run, now, deltas, owner) if isinstance(run[0], TaskDone)
                           else [_apply(cur, run[0], max_attempts, now, deltas, result_guard(run[0], owner, "%s"))])
                for result, ok in zip(run, applied, strict=True):
                    if not ok:
                        cur.execute(f"UPDATE tasks SET {_NO_LEASE} WHERE id = %s AND status = 'cancelled' "
                                    "AND lease_owner IS NOT NULL", (result.task_id,))
            jobs = sorted(deltas.items())  # one order for every batch: no deadlock between them
            if not jobs:
                return []
            cur.executemany(_ADD_TO_JOB, [(d.chunks_done, d.tokens_in, d.tokens_out, d.characters, d.cost_usd,
                                           d.attempts, job_id) for job_id, d in jobs], returning=True)
            ready = []
            for job_id, d in jobs:
                row = cur.fetchone()
                if row is not None and row["ready"] and d.chunks_done:
                    ready.append(job_id)
                cur.nextset()
            return ready

        return self._transact(work)

    def ready_to_assemble(self) -> list[int]:
        """Live jobs whose every chunk is done."""
        rows = self._rows(
            f"""SELECT j.id FROM jobs j JOIN documents d ON d.id = j.document_id
                WHERE j.status IN {LIVE_SQL} AND j.chunks_done >= j.chunks_total AND d.error IS NULL
                ORDER BY j.id""")
        return [row["id"] for row in rows]

    def record_qa(self, job_id: int, findings: str, count: int) -> None:
        """Store a finished job's quality findings (a JSON list) and their number."""
        self._execute("UPDATE jobs SET qa = %s, qa_count = %s WHERE id = %s", (findings, count, job_id))

    def complete_job(self, job_id: int, output_path: str, now: float | None = None) -> None:
        """Mark a job completed once its output is written. A cancelled job stays cancelled."""
        def work(cur: Cursor) -> None:
            row = cur.execute("SELECT status, chunks_done, chunks_total FROM jobs WHERE id = %s FOR UPDATE",
                              (job_id,)).fetchone()
            if row is None:
                raise StoreError(f"no job with id {job_id}")
            if row["status"] in (JobStatus.CANCELLED, JobStatus.COMPLETED):
                return
            if row["chunks_done"] < row["chunks_total"]:
                raise StoreError(f"job {job_id} has {row['chunks_done']} of {row['chunks_total']} chunks translated; "
                                 "it cannot complete")
            cur.execute("""UPDATE jobs SET status = 'completed', output_path = %s, completed_at = %s,
                               error_message = NULL, wait_reason = NULL, wait_until = NULL WHERE id = %s""",
                        (output_path, clock(cur, now), job_id))
            sync_job_live(cur, [job_id])

        self._transact(work)

    def fail_job(self, job_id: int, message: str, now: float | None = None) -> None:
        """A fatal job-level error (bad document, output write failed). Finished jobs keep their status."""
        def work(cur: Cursor) -> None:
            if cur.execute("SELECT 1 FROM jobs WHERE id = %s", (job_id,)).fetchone() is None:
                raise StoreError(f"no job with id {job_id}")
            cur.execute("""UPDATE jobs SET status = 'failed', error_message = %s, completed_at = %s,
                               wait_reason = NULL, wait_until = NULL
                           WHERE id = %s AND status IN ('queued', 'processing', 'failed')""",
                        (message, clock(cur, now), job_id))
            sync_job_live(cur, [job_id])

        self._transact(work)


def _apply(cur: Cursor, result: TaskResult, max_attempts: int, now: float | None, deltas: dict[int, JobDelta],
           guard: Guard) -> bool:
    """Apply one result to its task (and job); False when the task could not take it."""
    if not isinstance(result, (TaskRetry, TaskDefer, TaskFail)):
        raise TypeError(f"not a task result: {result!r}")
    where = f"WHERE id = %s AND {_OPEN}{guard[0]}"
    key = [result.task_id, *guard[1]]
    if isinstance(result, TaskRetry):
        return _apply_retry(cur, result, max_attempts, now, deltas, where, key)
    if isinstance(result, TaskDefer):
        row = cur.execute(f"UPDATE tasks SET status = 'queued', not_before = %s, updated_at = {_NOW}, {_NO_LEASE} "
                          f"{where} RETURNING job_id", (result.until, now, *key)).fetchone()
        if row is not None:
            cur.execute(f"UPDATE jobs SET wait_reason = %s, wait_until = %s WHERE id = %s AND status IN {LIVE_SQL}",
                        (result.reason, result.until, row["job_id"]))
        return row is not None
    row = cur.execute(
        f"""UPDATE tasks SET status = 'failed', attempts = attempts + 1, last_error = %s, error_class = %s,
                             updated_at = {_NOW}, completed_at = {_NOW}, {_NO_LEASE}
            {where} RETURNING job_id, idx, completed_at""",
        (result.message, result.error_class, now, now, *key)).fetchone()
    if row is not None:
        deltas.setdefault(row["job_id"], JobDelta()).attempts += 1
        cause = f"{result.error_class}: {result.message}" if result.error_class else result.message  # already in words
        message = f"chunk {row['idx']}: {cause}"
        end_live_job(cur, row["job_id"], JobStatus.FAILED, message, row["completed_at"])
    return row is not None


def _runs(results: Sequence[TaskResult], owner: str | None) -> list[list[TaskResult]]:
    """The batch in order, as runs of translations that share one statement (sent together,
    one round trip) and single results of every other kind."""
    runs: list[list[TaskResult]] = []
    for result in results:
        last = runs[-1] if runs else None
        if (isinstance(result, TaskDone) and last and isinstance(last[0], TaskDone)
                and result_guard(result, owner, "%s")[0] == result_guard(last[0], owner, "%s")[0]):
            last.append(result)
        else:
            runs.append([result])
    return runs


def _apply_dones(cur: Cursor, dones: list[TaskResult], now: float | None, deltas: dict[int, JobDelta],
                 owner: str | None) -> list[bool]:
    """Record translations (one statement, pipelined); for each, whether its task took it."""
    guard = result_guard(dones[0], owner, "%s")[0]
    params = []
    for r in dones:
        assert isinstance(r, TaskDone)
        params.append((r.translation, r.provider, r.model, r.tokens_in, r.tokens_out, r.characters, r.cost_usd,
                       int(r.cached), now, now, r.qa, r.task_id, *result_guard(r, owner, "%s")[1]))
    cur.executemany(_DONE.format(guard=guard), params, returning=True)
    applied = []
    for r in dones:
        assert isinstance(r, TaskDone)
        row = cur.fetchone()
        if row is not None:
            deltas.setdefault(row["job_id"], JobDelta()).add_done(r.tokens_in, r.tokens_out, r.characters, r.cost_usd)
        applied.append(row is not None)
        cur.nextset()
    return applied


def _apply_retry(cur: Cursor, r: TaskRetry, max_attempts: int, now: float | None, deltas: dict[int, JobDelta],
                 where: str, key: list[Any]) -> bool:
    row = cur.execute(
        f"""UPDATE tasks SET attempts = attempts + 1,
                             status = CASE WHEN attempts + 1 >= %s THEN 'dead' ELSE 'queued' END,
                             not_before = {_NOW} + %s, last_error = %s, error_class = %s, updated_at = {_NOW},
                             {_NO_LEASE}
            {where} RETURNING job_id, idx, status, attempts, updated_at""",
        (max_attempts, now, max(r.delay_s, 0.0), r.message, r.error_class, now, *key)).fetchone()
    if row is None:
        return False
    deltas.setdefault(row["job_id"], JobDelta()).attempts += 1
    if row["status"] == TaskStatus.DEAD:
        end_live_job(cur, row["job_id"], JobStatus.DEAD,
                     f"chunk {row['idx']}: {r.error_class}: {r.message} (gave up after {row['attempts']} attempts)",
                     row["updated_at"])
    return True
