"""Retention: purging what finished jobs leave behind, never unfinished work.

A finished job (completed, failed, dead, cancelled) that finished before the cutoff goes
with its tasks (their translations), then every document left with no job at all (its
source blob and chunks), then the metric rows of those jobs and every metric row older
than the cutoff that does not belong to a queued or processing job. Queued and processing
jobs, their documents, tasks and metrics are never touched. One IMMEDIATE transaction; a
dry run counts the same rows and changes nothing. Output files on disk are not the
store's: they stay.
"""

from __future__ import annotations

import time

from scribe_tui.store.models import TERMINAL_JOB_STATUSES, PurgeReport
from scribe_tui.store.sqlite.connection import SQLiteBase
from scribe_tui.store.sqlite.transitions import LIVE_SQL, sql_list

_FINISHED = sql_list(TERMINAL_JOB_STATUSES)

_EXPIRED_JOBS = f"""
CREATE TEMP TABLE IF NOT EXISTS gc_jobs (id INTEGER PRIMARY KEY);
DELETE FROM gc_jobs;
INSERT INTO gc_jobs SELECT id FROM jobs
    WHERE status IN {_FINISHED} AND COALESCE(completed_at, created_at) < :cutoff;
CREATE TEMP TABLE IF NOT EXISTS gc_documents (id INTEGER PRIMARY KEY);
DELETE FROM gc_documents;
INSERT INTO gc_documents SELECT d.id FROM documents d
    WHERE d.created_at < :cutoff
      AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.document_id = d.id AND j.id NOT IN (SELECT id FROM gc_jobs));
"""

_EXPIRED_METRICS = f"""
FROM metrics WHERE job_id IN (SELECT id FROM gc_jobs)
   OR (ts < :cutoff AND (job_id IS NULL OR job_id NOT IN (SELECT id FROM jobs WHERE status IN {LIVE_SQL})))
"""

_COUNTS = f"""
SELECT (SELECT COUNT(*) FROM gc_jobs) AS jobs,
       (SELECT COUNT(*) FROM gc_documents) AS documents,
       (SELECT COALESCE(SUM(size), 0) FROM documents WHERE id IN (SELECT id FROM gc_documents)) AS source_bytes,
       (SELECT COUNT(*) FROM tasks WHERE job_id IN (SELECT id FROM gc_jobs) AND translation IS NOT NULL)
           AS translations,
       (SELECT COUNT(*) {_EXPIRED_METRICS}) AS metrics
"""

_PURGE = (
    "DELETE FROM tasks WHERE job_id IN (SELECT id FROM gc_jobs)",
    "DELETE FROM jobs WHERE id IN (SELECT id FROM gc_jobs)",
    "DELETE FROM chunks WHERE document_id IN (SELECT id FROM gc_documents)",
    "DELETE FROM documents WHERE id IN (SELECT id FROM gc_documents)",
    f"DELETE {_EXPIRED_METRICS}",
)


class RetentionOps(SQLiteBase):
    def purge_finished(self, cutoff: float | None = None, *, dry_run: bool = False) -> PurgeReport:
        """Purge finished jobs (and what only they used) that finished before ``cutoff``."""
        cutoff = time.time() if cutoff is None else cutoff
        with self._write() as db:
            for statement in _EXPIRED_JOBS.strip().split(";\n"):
                db.execute(statement, {"cutoff": cutoff})
            counts = dict(zip(("jobs", "documents", "source_bytes", "translations", "metrics"),
                              db.execute(_COUNTS, {"cutoff": cutoff}).fetchone(), strict=True))
            if not dry_run:
                for statement in _PURGE:
                    db.execute(statement, {"cutoff": cutoff})
        return PurgeReport(cutoff=cutoff, dry_run=dry_run, **counts)
