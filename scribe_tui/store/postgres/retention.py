"""Retention on the PostgreSQL queue: the same purge as the SQLite store's
(``store.sqlite.retention``): finished jobs that finished before the cutoff with their
tasks, documents no other job uses, and their metrics and every old metric row that no
queued or processing job owns. Queued and processing work is never touched.

Other machines may enqueue or retry while it runs, so the rows to delete are locked first
(``FOR UPDATE``) and chosen again by a later statement, which in READ COMMITTED sees what
the others committed meanwhile: a document a new job just took, or a job just retried,
stays. One transaction; a dry run counts the same rows, locks nothing and changes nothing.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg

from scribe_tui.store.models import TERMINAL_JOB_STATUSES, PurgeReport
from scribe_tui.store.postgres.connection import PostgresBase
from scribe_tui.store.rows import LIVE_SQL, sql_list

Cursor = psycopg.Cursor[dict[str, Any]]

_FINISHED = sql_list(TERMINAL_JOB_STATUSES)
_EXPIRED_JOBS = f"SELECT id FROM jobs WHERE status IN {_FINISHED} AND COALESCE(completed_at, created_at) < %(cutoff)s"
_UNUSED_DOCUMENTS = """SELECT d.id FROM documents d WHERE d.created_at < %(cutoff)s
    AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.document_id = d.id AND NOT (j.id = ANY(%(jobs)s)))"""
_EXPIRED_METRICS = f"""FROM metrics WHERE job_id = ANY(%(jobs)s)
    OR (ts < %(cutoff)s AND (job_id IS NULL OR job_id NOT IN (SELECT id FROM jobs WHERE status IN {LIVE_SQL})))"""
_COUNTS = f"""SELECT
    (SELECT COALESCE(SUM(size), 0) FROM documents WHERE id = ANY(%(documents)s)) AS source_bytes,
    (SELECT COUNT(*) FROM tasks WHERE job_id = ANY(%(jobs)s) AND translation IS NOT NULL) AS translations,
    (SELECT COUNT(*) {_EXPIRED_METRICS}) AS metrics"""
_PURGE = (
    f"DELETE {_EXPIRED_METRICS}",
    "DELETE FROM tasks WHERE job_id = ANY(%(jobs)s)",
    "DELETE FROM jobs WHERE id = ANY(%(jobs)s)",
    "DELETE FROM chunks WHERE document_id = ANY(%(documents)s)",
    "DELETE FROM documents WHERE id = ANY(%(documents)s)",
)


def _ids(cur: Cursor, sql: str, params: dict[str, Any], lock: bool) -> list[int]:
    """The ids ``sql`` selects; with ``lock``, locked, then selected again among the locked
    ones by a statement that sees what other transactions committed while we waited."""
    found = [row["id"] for row in cur.execute(sql + (" ORDER BY id FOR UPDATE" if lock else ""), params)]
    if not lock or not found:
        return found
    return [row["id"] for row in cur.execute(f"SELECT id FROM ({sql}) s WHERE id = ANY(%(locked)s)",
                                             {**params, "locked": found})]


class RetentionOps(PostgresBase):
    def purge_finished(self, cutoff: float | None = None, *, dry_run: bool = False) -> PurgeReport:
        """Purge finished jobs (and what only they used) that finished before ``cutoff``."""
        cutoff = time.time() if cutoff is None else cutoff

        def work(cur: Cursor) -> PurgeReport:
            params: dict[str, Any] = {"cutoff": cutoff}
            params["jobs"] = _ids(cur, _EXPIRED_JOBS, params, not dry_run)
            params["documents"] = _ids(cur, _UNUSED_DOCUMENTS, params, not dry_run)
            counts = cur.execute(_COUNTS, params).fetchone()
            assert counts is not None
            if not dry_run:
                for statement in _PURGE:
                    cur.execute(statement, params)
            return PurgeReport(cutoff=cutoff, dry_run=dry_run, jobs=len(params["jobs"]),
                               documents=len(params["documents"]), source_bytes=int(counts["source_bytes"]),
                               translations=int(counts["translations"]), metrics=int(counts["metrics"]))

        return self._transact(work)
