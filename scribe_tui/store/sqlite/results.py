"""Recording what became of leased tasks, and finishing jobs.

A batch of results is one IMMEDIATE transaction, job counters included. Results are
idempotent: only a task still queued or leased takes a result, so a second Done (or a
late one after the task went dead) changes nothing and is never counted twice, and the
first result for a task wins even when its lease had been reclaimed meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import sqlite_utils

from scribe_tui.store.models import (JobStatus, StoreError, TaskDefer, TaskDone, TaskFail, TaskResult,
                                     TaskRetry, TaskStatus)
from scribe_tui.store.rows import JobDelta, result_guard
from scribe_tui.store.sqlite.connection import SQLiteBase, id_list
from scribe_tui.store.sqlite.transitions import LIVE_SQL, OPEN_TASK_SQL, end_live_job, sync_job_live

_OPEN = f"status IN {OPEN_TASK_SQL}"  # a task that can still take a result
Guard = tuple[str, list[Any]]
_NO_LEASE = "lease_owner = NULL, lease_expires = NULL"


class ResultOps(SQLiteBase):
    def record_results(self, results: Sequence[TaskResult], *, max_attempts: int,
                       now: float | None = None, owner: str | None = None) -> list[int]:
        """Apply a batch of results; return the jobs it made ready to assemble (all chunks done).
        With ``owner``, each result applies only to a task that owner still holds (see
        ``rows.result_guard``)."""
        now = time.time() if now is None else now
        deltas: dict[int, JobDelta] = {}
        with self._write() as db:
            for result in results:
                if not _apply(db, result, max_attempts, now, deltas, owner):
                    _drop_cancelled_lease(db, result.task_id)
            for job_id, delta in sorted(deltas.items()):
                _add_to_job(db, job_id, delta)
            finished = [job_id for job_id, delta in deltas.items() if delta.chunks_done]
            if not finished:
                return []
            rows = db.execute(
                f"""SELECT id FROM jobs WHERE id IN (SELECT value FROM json_each(?))
                    AND chunks_done >= chunks_total AND status IN {LIVE_SQL} ORDER BY id""",
                (id_list(finished),)).fetchall()
        return [row[0] for row in rows]

    def ready_to_assemble(self) -> list[int]:
        """Live jobs whose every chunk is done (e.g. after a crash between the last result and
        complete_job, after retrying a job whose output write failed, or a document with no chunks)."""
        rows = self._rows(
            f"""SELECT j.id FROM jobs j JOIN documents d ON d.id = j.document_id
                WHERE j.status IN {LIVE_SQL} AND j.chunks_done >= j.chunks_total AND d.error IS NULL
                ORDER BY j.id""")
        return [row["id"] for row in rows]

    def complete_job(self, job_id: int, output_path: str, now: float | None = None) -> None:
        """Mark a job completed once its output is written. A cancelled job stays cancelled."""
        now = time.time() if now is None else now
        with self._write() as db:
            row = db.execute("SELECT status, chunks_done, chunks_total FROM jobs WHERE id = ?",
                             (job_id,)).fetchone()
            if row is None:
                raise StoreError(f"no job with id {job_id}")
            status, done, total = row
            if status in (JobStatus.CANCELLED, JobStatus.COMPLETED):
                return
            if done < total:
                raise StoreError(f"job {job_id} has {done} of {total} chunks translated; it cannot complete")
            db.execute(
                """UPDATE jobs SET status = 'completed', output_path = ?, completed_at = ?,
                                   error_message = NULL, wait_reason = NULL, wait_until = NULL
                   WHERE id = ?""", (output_path, now, job_id))
            sync_job_live(db, [job_id])

    def record_qa(self, job_id: int, findings: str, count: int) -> None:
        """Store a finished job's quality findings (a JSON list) and their number."""
        with self._write() as db:
            db.execute("UPDATE jobs SET qa = ?, qa_count = ? WHERE id = ?", (findings, count, job_id))

    def fail_job(self, job_id: int, message: str, now: float | None = None) -> None:
        """A fatal job-level error (bad document, output write failed). Finished jobs keep their status."""
        now = time.time() if now is None else now
        with self._write() as db:
            if db.execute("SELECT 1 FROM jobs WHERE id = ?", (job_id,)).fetchone() is None:
                raise StoreError(f"no job with id {job_id}")
            db.execute(
                """UPDATE jobs SET status = 'failed', error_message = ?, completed_at = ?,
                                   wait_reason = NULL, wait_until = NULL
                   WHERE id = ? AND status IN ('queued', 'processing', 'failed')""", (message, now, job_id))
            sync_job_live(db, [job_id])


def _apply(db: sqlite_utils.Database, result: TaskResult, max_attempts: int, now: float,
           deltas: dict[int, JobDelta], owner: str | None) -> bool:
    """Apply one result to its task (and job); False when the task could not take it."""
    guard = result_guard(result, owner)
    if isinstance(result, TaskDone):
        return _apply_done(db, result, now, deltas, guard)
    if isinstance(result, TaskRetry):
        return _apply_retry(db, result, max_attempts, now, deltas, guard)
    if isinstance(result, TaskDefer):
        return _apply_defer(db, result, now, guard)
    if isinstance(result, TaskFail):
        return _apply_fail(db, result, now, deltas, guard)
    raise TypeError(f"not a task result: {result!r}")


def _apply_done(db: sqlite_utils.Database, r: TaskDone, now: float, deltas: dict[int, JobDelta],
                guard: Guard) -> bool:
    rows = db.execute(
        f"""UPDATE tasks SET status = 'done', translation = ?, provider_used = ?, model_used = ?,
                             tokens_in = ?, tokens_out = ?, characters = ?, cost_usd = ?, cached = ?,
                             completed_at = ?, updated_at = ?, last_error = NULL, error_class = NULL, qa = ?,
                             {_NO_LEASE}
            WHERE id = ? AND {_OPEN}{guard[0]} RETURNING job_id""",
        (r.translation, r.provider, r.model, r.tokens_in, r.tokens_out, r.characters, r.cost_usd,
         int(r.cached), now, now, r.qa, r.task_id, *guard[1])).fetchall()
    if not rows:
        return False
    deltas.setdefault(rows[0][0], JobDelta()).add_done(r.tokens_in, r.tokens_out, r.characters, r.cost_usd)
    return True


def _apply_retry(db: sqlite_utils.Database, r: TaskRetry, max_attempts: int, now: float,
                 deltas: dict[int, JobDelta], guard: Guard) -> bool:
    rows = db.execute(
        f"""UPDATE tasks SET attempts = attempts + 1,
                             status = CASE WHEN attempts + 1 >= ? THEN 'dead' ELSE 'queued' END,
                             not_before = ?, last_error = ?, error_class = ?, updated_at = ?, {_NO_LEASE}
            WHERE id = ? AND {_OPEN}{guard[0]} RETURNING job_id, idx, status, attempts""",
        (max_attempts, now + max(r.delay_s, 0.0), r.message, r.error_class, now, r.task_id, *guard[1])).fetchall()
    if not rows:
        return False
    job_id, idx, status, attempts = rows[0]
    deltas.setdefault(job_id, JobDelta()).attempts += 1
    if status == TaskStatus.DEAD:
        end_live_job(db, job_id, JobStatus.DEAD,
                     f"chunk {idx}: {r.error_class}: {r.message} (gave up after {attempts} attempts)", now)
    return True


def _apply_defer(db: sqlite_utils.Database, r: TaskDefer, now: float, guard: Guard) -> bool:
    rows = db.execute(
        f"""UPDATE tasks SET status = 'queued', not_before = ?, updated_at = ?, {_NO_LEASE}
            WHERE id = ? AND {_OPEN}{guard[0]} RETURNING job_id""", (r.until, now, r.task_id, *guard[1])).fetchall()
    if not rows:
        return False
    db.execute(f"UPDATE jobs SET wait_reason = ?, wait_until = ? WHERE id = ? AND status IN {LIVE_SQL}",
               (r.reason, r.until, rows[0][0]))
    return True


def _apply_fail(db: sqlite_utils.Database, r: TaskFail, now: float, deltas: dict[int, JobDelta],
                guard: Guard) -> bool:
    rows = db.execute(
        f"""UPDATE tasks SET status = 'failed', attempts = attempts + 1, last_error = ?, error_class = ?,
                             updated_at = ?, completed_at = ?, {_NO_LEASE}
            WHERE id = ? AND {_OPEN}{guard[0]} RETURNING job_id, idx""",
        (r.message, r.error_class, now, now, r.task_id, *guard[1])).fetchall()
    if not rows:
        return False
    job_id, idx = rows[0]
    deltas.setdefault(job_id, JobDelta()).attempts += 1
    cause = f"{r.error_class}: {r.message}" if r.error_class else r.message  # no class: already in words
    end_live_job(db, job_id, JobStatus.FAILED, f"chunk {idx}: {cause}", now)
    return True


def _drop_cancelled_lease(db: sqlite_utils.Database, task_id: int) -> None:
    """A result for a cancelled task is ignored, but it ends the task's lease."""
    db.execute(f"UPDATE tasks SET {_NO_LEASE} WHERE id = ? AND status = 'cancelled'", (task_id,))


def _add_to_job(db: sqlite_utils.Database, job_id: int, d: JobDelta) -> None:
    db.execute(
        """UPDATE jobs SET chunks_done = chunks_done + ?, tokens_in = tokens_in + ?, tokens_out = tokens_out + ?,
                           characters = characters + ?, cost_usd = cost_usd + ?, attempts = attempts + ?
           WHERE id = ?""",
        (d.chunks_done, d.tokens_in, d.tokens_out, d.characters, d.cost_usd, d.attempts, job_id))
