"""The job store's schema as an ordered list of migrations, and applying them at open.

``PRAGMA user_version`` is the schema version: the number of migrations applied. Opening
a file runs the missing ones in one IMMEDIATE transaction (so two processes opening an
old file at once migrate it once); a file from a newer scribe-tui is refused.

A migration, once released, never changes: write a new one instead. The DDL is written
out here rather than generated, so an old migration means the same thing forever.
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

from scribe_tui.store.job_listing import STATUS_RANK_SQL
from scribe_tui.store.models import StoreError

V1_CORE = """
CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    format TEXT NOT NULL,
    source BLOB NOT NULL,
    size INTEGER NOT NULL,
    error TEXT,
    created_at REAL NOT NULL,
    UNIQUE (path, content_hash)
);
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '',
    token_estimate INTEGER NOT NULL DEFAULT 0,
    meta TEXT NOT NULL DEFAULT '{}',
    UNIQUE (document_id, idx)
);
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    target_language TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    priority INTEGER NOT NULL DEFAULT 0,
    language_priority INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    started_at REAL,
    completed_at REAL,
    error_message TEXT,
    worker_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    output_path TEXT,
    chunks_total INTEGER NOT NULL DEFAULT 0,
    chunks_done INTEGER NOT NULL DEFAULT 0,
    tokens_in INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    characters INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    wait_reason TEXT,
    wait_until REAL,
    UNIQUE (document_id, target_language, provider, model)
);
CREATE INDEX jobs_status ON jobs (status);
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    chunk_id INTEGER NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_expires REAL,
    not_before REAL NOT NULL DEFAULT 0,
    translation TEXT,
    provider_used TEXT,
    model_used TEXT,
    tokens_in INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    characters INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    cached INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    error_class TEXT,
    updated_at REAL,
    completed_at REAL,
    UNIQUE (job_id, idx)
);
CREATE INDEX tasks_status ON tasks (status);
CREATE TABLE control (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# v2: leasing orders by columns copied from the job onto each task (effective priority,
# whether the job is live, its provider), so that the lease query walks one partial index
# in order instead of joining jobs and sorting; the index also holds not_before, provider,
# status and job_live so that skipping deferred tasks never reads the table (covering).
# Plus metrics and worker heartbeats.
V2_LEASE_INDEX_METRICS_WORKERS = """
ALTER TABLE tasks ADD COLUMN eff_priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN job_live INTEGER NOT NULL DEFAULT 1;
ALTER TABLE tasks ADD COLUMN provider TEXT NOT NULL DEFAULT '';
UPDATE tasks SET
    eff_priority = (SELECT j.priority + j.language_priority FROM jobs j WHERE j.id = tasks.job_id),
    job_live = (SELECT j.status IN ('queued', 'processing') FROM jobs j WHERE j.id = tasks.job_id),
    provider = (SELECT j.provider FROM jobs j WHERE j.id = tasks.job_id);
CREATE INDEX tasks_runnable ON tasks (eff_priority DESC, job_id, idx, not_before, provider, status, job_live)
    WHERE status = 'queued' AND job_live = 1;
CREATE INDEX tasks_wakeup ON tasks (not_before) WHERE status = 'queued' AND job_live = 1;
CREATE INDEX tasks_leased ON tasks (lease_owner, lease_expires) WHERE lease_owner IS NOT NULL;
CREATE INDEX tasks_job ON tasks (job_id, status);
CREATE TABLE metrics (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    job_id INTEGER,
    task_id INTEGER,
    outcome TEXT NOT NULL,
    status_code INTEGER,
    error_class TEXT,
    duration_ms REAL NOT NULL DEFAULT 0,
    tokens_in INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    characters INTEGER NOT NULL DEFAULT 0,
    cost_cents REAL NOT NULL DEFAULT 0,
    worker_id TEXT
);
CREATE INDEX metrics_ts ON metrics (ts);
CREATE INDEX metrics_provider_ts ON metrics (provider, ts);
CREATE TABLE workers (
    worker_id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    state TEXT NOT NULL,
    in_flight INTEGER NOT NULL DEFAULT 0,
    restarts INTEGER NOT NULL DEFAULT 0,
    started_at REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    done_count INTEGER NOT NULL DEFAULT 0
);
"""

# v3: the job tables a person sorts (TUI, web, ``jobs list``) read one page in the order asked
# for: an index per order that stays put while a run goes on (store/job_listing.py writes the
# matching ORDER BY; the expressions must stay the same, character for character).
V3_JOB_ORDER_INDEXES = f"""
CREATE INDEX jobs_by_priority ON jobs ((priority + language_priority) DESC, id);
CREATE INDEX jobs_by_status ON jobs (({STATUS_RANK_SQL}), id);
CREATE INDEX jobs_by_started ON jobs (started_at IS NULL, started_at, id);
CREATE INDEX jobs_by_language ON jobs (target_language, id);
CREATE INDEX documents_by_path ON documents (lower(path));
"""

MIGRATIONS: tuple[str, ...] = (V1_CORE, V2_LEASE_INDEX_METRICS_WORKERS, V3_JOB_ORDER_INDEXES)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database, label: str) -> int:
    """Bring ``db`` to SCHEMA_VERSION; return the version it had. ``label`` names it in errors."""
    conn = db.conn
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = schema_version(db)
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"{label}: the job store has schema version {found}, newer than this scribe-tui "
                f"understands (up to {SCHEMA_VERSION}); upgrade scribe-tui or use another --data-dir"
            )
        for version in range(found, SCHEMA_VERSION):
            _run_script(conn, MIGRATIONS[version])
        if found != SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except sqlite3.DatabaseError as error:
        conn.execute("ROLLBACK")
        raise StoreError(f"{label}: cannot upgrade the job store: {error}") from error
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return found


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run each statement of ``script`` inside the open transaction (executescript would commit)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            conn.execute(buffer)
            buffer = ""
    if buffer.strip():
        raise StoreError(f"incomplete statement in a migration: {buffer.strip()[:80]}")
