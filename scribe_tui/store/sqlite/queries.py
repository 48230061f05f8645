"""Read-only views of the queue for the engine, the TUI and the ``jobs``/``status`` commands."""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from dataclasses import fields
from typing import Any

from scribe_tui.store.models import JobRow, JobStatus, OutputClaim, TaskRow, TaskStatus
from scribe_tui.store.sqlite.connection import SQLiteBase, id_list
from scribe_tui.store.sqlite.transitions import LIVE_SQL, RUNNABLE_SQL

_JOB_SELECT = """
SELECT j.*, d.path AS path, d.format AS format, d.error AS document_error
FROM jobs j JOIN documents d ON d.id = j.document_id
"""
_JOB_FIELDS = tuple(f.name for f in fields(JobRow))
_TASK_FIELDS = tuple(f.name for f in fields(TaskRow))


def job_row(row: dict[str, Any]) -> JobRow:
    return JobRow(**{name: row[name] for name in _JOB_FIELDS})


def _task_row(row: dict[str, Any]) -> TaskRow:
    values = {name: row[name] for name in _TASK_FIELDS}
    values["cached"] = bool(values["cached"])
    return TaskRow(**values)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class QueryOps(SQLiteBase):
    def job(self, job_id: int) -> JobRow | None:
        row = self._one(_JOB_SELECT + " WHERE j.id = ?", (job_id,))
        return job_row(row) if row else None

    def jobs(self, *, status: str | None = None, language: str | None = None, text: str | None = None,
             limit: int | None = None, offset: int = 0, ids: Collection[int] | None = None) -> list[JobRow]:
        """Jobs in id order; ``text`` matches anywhere in the document path (case-insensitive ASCII);
        ``ids`` keeps only those jobs (one query for a batch run's scope instead of one per job)."""
        clauses, params = [], []
        if ids is not None:
            clauses.append("j.id IN (SELECT value FROM json_each(?))")
            params.append(id_list(ids))
        if status is not None:
            clauses.append("j.status = ?")
            params.append(str(status))
        if language is not None:
            clauses.append("j.target_language = ?")
            params.append(language)
        if text:
            clauses.append("d.path LIKE ? ESCAPE '\\'")
            params.append(_like_pattern(text))
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        params += [-1 if limit is None else limit, offset]
        return [job_row(r) for r in self._rows(_JOB_SELECT + where + " ORDER BY j.id LIMIT ? OFFSET ?", params)]

    def output_claims(self, output_paths: Collection[str]) -> list[OutputClaim]:
        """Every job whose output path is one of ``output_paths`` (one query, whatever their number)."""
        if not output_paths:
            return []
        rows = self._rows(
            """SELECT j.id, j.output_path, j.status, d.path, d.content_hash, j.target_language, j.provider,
                      j.model, d.error IS NULL AS readable
               FROM jobs j JOIN documents d ON d.id = j.document_id
               WHERE j.output_path IN (SELECT value FROM json_each(?)) ORDER BY j.id""",
            (json.dumps(sorted(set(output_paths))),))
        return [OutputClaim(job_id=r["id"], output_path=r["output_path"], status=r["status"], path=r["path"],
                            content_hash=r["content_hash"], language=r["target_language"], provider=r["provider"],
                            model=r["model"], readable=bool(r["readable"])) for r in rows]

    def tasks_of_job(self, job_id: int) -> list[TaskRow]:
        rows = self._rows(
            """SELECT t.*, c.text AS text, c.context AS context
               FROM tasks t JOIN chunks c ON c.id = t.chunk_id WHERE t.job_id = ? ORDER BY t.idx""", (job_id,))
        return [_task_row(r) for r in rows]

    def translations(self, job_id: int) -> dict[int, str]:
        """Chunk index → translation, for the job's done tasks."""
        rows = self._rows("SELECT idx, translation FROM tasks WHERE job_id = ? AND status = 'done' ORDER BY idx",
                          (job_id,))
        return {r["idx"]: r["translation"] for r in rows}

    def job_counts(self) -> dict[str, int]:
        """Job status → number of jobs (every status present, zero when none)."""
        counts = {str(s): 0 for s in JobStatus}
        for row in self._rows("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status"):
            counts[row["status"]] = row["n"]
        return counts

    def task_counts(self) -> dict[str, int]:
        """Task status → number of tasks (every status present, zero when none)."""
        counts = {str(s): 0 for s in TaskStatus}
        for row in self._rows("SELECT status, COUNT(*) AS n FROM tasks GROUP BY status"):
            counts[row["status"]] = row["n"]
        return counts

    def counts_by_language(self) -> dict[str, dict[str, int]]:
        """Language → job status → number of jobs (every status present for each language)."""
        result: dict[str, dict[str, int]] = {}
        rows = self._rows("SELECT target_language AS lang, status, COUNT(*) AS n FROM jobs "
                          "GROUP BY target_language, status ORDER BY target_language")
        for row in rows:
            per_status = result.setdefault(row["lang"], {str(s): 0 for s in JobStatus})
            per_status[row["status"]] = row["n"]
        return result

    def runnable_count(self, now: float | None = None) -> int:
        """Tasks a lease could take right now."""
        now = time.time() if now is None else now
        return int(self._scalar(
            f"SELECT COUNT(*) FROM tasks INDEXED BY tasks_wakeup WHERE {RUNNABLE_SQL} AND not_before <= ?", (now,)))

    def next_wakeup(self, now: float | None = None) -> float | None:
        """When a queued task of a live job is next runnable: ``now`` if one already is, the
        earliest ``not_before`` otherwise, None when no live job has a queued task."""
        now = time.time() if now is None else now
        earliest = self._scalar(f"SELECT MIN(not_before) FROM tasks INDEXED BY tasks_wakeup WHERE {RUNNABLE_SQL}")
        return None if earliest is None else max(float(earliest), now)

    def unfinished_jobs(self) -> int:
        """Jobs queued or processing."""
        return int(self._scalar(f"SELECT COUNT(*) FROM jobs WHERE status IN {LIVE_SQL}"))
