"""Moving a data directory's SQLite queue into a PostgreSQL store (``scribe-tui store migrate``).

Copied: documents (with their bytes), chunks, jobs with their counters and errors, and every
task with its result, attempts and errors. Leases are not copied (a leased task arrives
queued: no supervisor holds it once the SQLite queue is stopped); metrics, worker
heartbeats and control keys stay behind (they describe past runs of this machine).

Rows are matched by their natural keys — a document by (path, content hash), a chunk by
(document, index), a job by (document, language, provider, model), a task by (job, index)
— never by id, so migrating again, or into a database that other machines already fill,
copies only what is missing and changes nothing that is there. Each document moves in
one transaction, so an interrupted migration leaves whole documents and resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from scribe_tui.store.postgres import PostgresJobStore
from scribe_tui.store.sqlite import JobStore

Cursor = psycopg.Cursor[dict[str, Any]]

_JOB_COLUMNS = ("target_language", "provider", "model", "status", "priority", "language_priority", "created_at",
                "started_at", "completed_at", "error_message", "worker_id", "attempts", "output_path", "chunks_total",
                "chunks_done", "tokens_in", "tokens_out", "characters", "cost_usd", "wait_reason", "wait_until",
                "qa", "qa_count")
_TASK_COLUMNS = ("idx", "status", "attempts", "not_before", "translation", "provider_used", "model_used", "tokens_in",
                 "tokens_out", "characters", "cost_usd", "cached", "last_error", "error_class", "updated_at",
                 "completed_at", "eff_priority", "job_live", "provider", "qa")


@dataclass
class MigrationReport:
    documents: int = 0
    jobs: int = 0
    tasks: int = 0
    documents_present: int = 0  # already in the target: left as they are
    jobs_present: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def migrate_sqlite_to_postgres(source: JobStore, target: PostgresJobStore,
                               progress: Callable[[int, int], None] | None = None) -> MigrationReport:
    """Copy what ``target`` lacks of ``source``'s queue; what was copied and what was there."""
    report = MigrationReport()
    documents = source._rows("SELECT id FROM documents ORDER BY id")  # noqa: SLF001
    for number, row in enumerate(documents, 1):
        _copy_document(source, target, int(row["id"]), report)
        if progress:
            progress(number, len(documents))
    return report


def _copy_document(source: JobStore, target: PostgresJobStore, document_id: int, report: MigrationReport) -> None:
    document = source._one("SELECT * FROM documents WHERE id = ?", (document_id,))  # noqa: SLF001
    assert document is not None
    chunks = source._rows("SELECT * FROM chunks WHERE document_id = ? ORDER BY idx", (document_id,))  # noqa: SLF001
    jobs = source._rows("SELECT * FROM jobs WHERE document_id = ? ORDER BY id", (document_id,))  # noqa: SLF001
    tasks = {job["id"]: source._rows("SELECT * FROM tasks WHERE job_id = ? ORDER BY idx", (job["id"],))  # noqa: SLF001
             for job in jobs}

    def work(cur: Cursor) -> None:
        row = cur.execute(
            """INSERT INTO documents (path, content_hash, format, source, size, error, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (path, content_hash) DO NOTHING RETURNING id""",
            (document["path"], document["content_hash"], document["format"], bytes(document["source"]),
             document["size"], document["error"], document["created_at"])).fetchone()
        if row is None:
            report.documents_present += 1
            row = cur.execute("SELECT id FROM documents WHERE path = %s AND content_hash = %s",
                              (document["path"], document["content_hash"])).fetchone()
        else:
            report.documents += 1
        new_document = row["id"]
        cur.executemany(
            """INSERT INTO chunks (document_id, idx, text, context, token_estimate, meta)
               VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (document_id, idx) DO NOTHING""",
            [(new_document, c["idx"], c["text"], c["context"], c["token_estimate"], c["meta"]) for c in chunks])
        chunk_ids = {r["idx"]: r["id"] for r in cur.execute("SELECT id, idx FROM chunks WHERE document_id = %s",
                                                            (new_document,)).fetchall()}
        for job in jobs:
            _copy_job(cur, new_document, job, tasks[job["id"]], chunk_ids, report)

    target._transact(work)  # noqa: SLF001


def _copy_job(cur: Cursor, document_id: int, job: dict[str, Any], tasks: list[dict[str, Any]],
              chunk_ids: dict[int, int], report: MigrationReport) -> None:
    values = [job[name] for name in _JOB_COLUMNS]
    if values[3] == "processing":  # nobody processes it any more: it waits for a supervisor
        values[3] = "queued"
    row = cur.execute(
        f"""INSERT INTO jobs (document_id, {", ".join(_JOB_COLUMNS)})
            VALUES (%s, {", ".join(["%s"] * len(_JOB_COLUMNS))})
            ON CONFLICT (document_id, target_language, provider, model) DO NOTHING RETURNING id""",
        (document_id, *values)).fetchone()
    if row is None:
        report.jobs_present += 1
        return  # the target already has this job (an earlier migration, or another machine's enqueue)
    report.jobs += 1
    rows = []
    for task in tasks:
        values = {name: task[name] for name in _TASK_COLUMNS}
        if values["status"] == "leased":
            values["status"] = "queued"
        rows.append((row["id"], chunk_ids[task["idx"]], *values.values()))
    cur.executemany(
        f"""INSERT INTO tasks (job_id, chunk_id, {", ".join(_TASK_COLUMNS)})
            VALUES (%s, %s, {", ".join(["%s"] * len(_TASK_COLUMNS))}) ON CONFLICT (job_id, idx) DO NOTHING""", rows)
    report.tasks += len(rows)
