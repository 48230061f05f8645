"""Read-only views of the PostgreSQL queue for the engine, the TUI and the ``jobs``/``status``
commands: the whole cluster's work, whichever machine runs it."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from scribe_tui.store.models import JobRow, JobStatus, OutputClaim, TaskRow, TaskStatus
from scribe_tui.store.postgres.connection import PostgresBase
from scribe_tui.store.postgres.transitions import ids as id_array
from scribe_tui.store.rows import LIVE_SQL, job_row, like_pattern, task_row

_JOB_SELECT = """
SELECT j.*, d.path AS path, d.format AS format, d.error AS document_error
FROM jobs j JOIN documents d ON d.id = j.document_id
"""
_RUNNABLE = "status = 'queued' AND job_live = 1"
_CLOCK = "extract(epoch FROM clock_timestamp())::float8"


class QueryOps(PostgresBase):
    def job(self, job_id: int) -> JobRow | None:
        row = self._one(_JOB_SELECT + " WHERE j.id = %s", (job_id,))
        return job_row(row) if row else None

    def jobs(self, *, status: str | None = None, language: str | None = None, text: str | None = None,
             limit: int | None = None, offset: int = 0, ids: Collection[int] | None = None) -> list[JobRow]:
        """Jobs in id order; ``text`` matches anywhere in the document path (case-insensitive);
        ``ids`` keeps only those jobs."""
        clauses: list[str] = []
        params: list[Any] = []
        if ids is not None:
            clauses.append("j.id = ANY(%s)")
            params.append(id_array(ids))
        if status is not None:
            clauses.append("j.status = %s")
            params.append(str(status))
        if language is not None:
            clauses.append("j.target_language = %s")
            params.append(language)
        if text:
            clauses.append("d.path ILIKE %s")
            params.append(like_pattern(text))
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        params += [limit, offset]
        return [job_row(r) for r in self._rows(_JOB_SELECT + where + " ORDER BY j.id LIMIT %s OFFSET %s", params)]

    def output_claims(self, output_paths: Collection[str]) -> list[OutputClaim]:
        """Every job whose output path is one of ``output_paths`` (one query, whatever their number)."""
        if not output_paths:
            return []
        rows = self._rows(
            """SELECT j.id, j.output_path, j.status, d.path, d.content_hash, j.target_language, j.provider,
                      j.model, d.error IS NULL AS readable
               FROM jobs j JOIN documents d ON d.id = j.document_id
               WHERE j.output_path = ANY(%s) ORDER BY j.id""", (sorted(set(output_paths)),))
        return [OutputClaim(job_id=r["id"], output_path=r["output_path"], status=r["status"], path=r["path"],
                            content_hash=r["content_hash"], language=r["target_language"], provider=r["provider"],
                            model=r["model"], readable=bool(r["readable"])) for r in rows]

    def tasks_of_job(self, job_id: int) -> list[TaskRow]:
        rows = self._rows("""SELECT t.*, c.text AS text, c.context AS context
                             FROM tasks t JOIN chunks c ON c.id = t.chunk_id WHERE t.job_id = %s ORDER BY t.idx""",
                          (job_id,))
        return [task_row(r) for r in rows]

    def translations(self, job_id: int) -> dict[int, str]:
        """Chunk index → translation, for the job's done tasks."""
        rows = self._rows("SELECT idx, translation FROM tasks WHERE job_id = %s AND status = 'done' ORDER BY idx",
                          (job_id,))
        return {r["idx"]: r["translation"] for r in rows}

    def job_counts(self) -> dict[str, int]:
        """Job status → number of jobs (every status present, zero when none)."""
        counts = {str(s): 0 for s in JobStatus}
        for row in self._rows("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status"):
            counts[row["status"]] = int(row["n"])
        return counts

    def task_counts(self) -> dict[str, int]:
        """Task status → number of tasks (every status present, zero when none)."""
        counts = {str(s): 0 for s in TaskStatus}
        for row in self._rows("SELECT status, COUNT(*) AS n FROM tasks GROUP BY status"):
            counts[row["status"]] = int(row["n"])
        return counts

    def counts_by_language(self) -> dict[str, dict[str, int]]:
        """Language → job status → number of jobs (every status present for each language)."""
        result: dict[str, dict[str, int]] = {}
        rows = self._rows("SELECT target_language AS lang, status, COUNT(*) AS n FROM jobs "
                          "GROUP BY target_language, status ORDER BY target_language")
        for row in rows:
            result.setdefault(row["lang"], {str(s): 0 for s in JobStatus})[row["status"]] = int(row["n"])
        return result

    def runnable_count(self, now: float | None = None) -> int:
        """Tasks a lease could take right now (the database's clock unless ``now`` is given)."""
        return int(self._scalar(f"SELECT COUNT(*) FROM tasks WHERE {_RUNNABLE} AND not_before <= "
                                f"COALESCE(%s::float8, {_CLOCK})", (now,)))

    def next_wakeup(self, now: float | None = None) -> float | None:
        """``now`` if a queued task of a live job is runnable, the earliest ``not_before``
        otherwise, None when no live job has a queued task."""
        row = self._one(f"SELECT MIN(not_before) AS earliest, COALESCE(%s::float8, {_CLOCK}) AS now "
                        f"FROM tasks WHERE {_RUNNABLE}", (now,))
        if row is None or row["earliest"] is None:
            return None
        return max(float(row["earliest"]), float(row["now"]))

    def unfinished_jobs(self) -> int:
        """Jobs queued or processing."""
        return int(self._scalar(f"SELECT COUNT(*) FROM jobs WHERE status IN {LIVE_SQL}"))

