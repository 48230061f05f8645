"""Job store files, pragmas, schema versions and migrations, and the backend interface."""

from __future__ import annotations

import inspect
import json
import sqlite3
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from scribe_tui.store import SCHEMA_VERSION, ChunkSpec, JobPage, JobStore, JobStoreAPI, StoreError, TaskDone
from scribe_tui.store.sqlite import connection
from scribe_tui.store.sqlite.schema import MIGRATIONS


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_open_creates_jobs_db_and_companions_0600(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with JobStore.open(data_dir) as store:
        assert store.path == data_dir / "jobs.db"
        store.set_control("paused", False)  # a write: WAL and shared-memory files exist now
        files = sorted(p.name for p in data_dir.iterdir())
        assert files == ["jobs.db", "jobs.db-shm", "jobs.db-wal"]
        assert {name: mode(data_dir / name) for name in files} == dict.fromkeys(files, 0o600)
    assert mode(data_dir) == 0o700


def test_existing_file_is_tightened_to_0600(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    path.touch()
    path.chmod(0o644)
    JobStore(path).close()
    assert mode(path) == 0o600


def test_connection_pragmas(tmp_path: Path) -> None:
    with JobStore(tmp_path / "jobs.db") as store:
        conn = store._db.conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 10_000
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.migrated_from == 0


def test_reopening_a_current_database_changes_nothing(tmp_path: Path) -> None:
    JobStore(tmp_path / "jobs.db").close()
    with JobStore(tmp_path / "jobs.db") as again:
        assert again.migrated_from == SCHEMA_VERSION


def _make_v1_database(path: Path) -> None:
    """A database as the first released schema left it, with work in it, written by hand."""
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in MIGRATIONS[0].split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("INSERT INTO documents (id, path, content_hash, format, source, size, created_at) "
                 "VALUES (1, 'talk.txt', 'h1', 'txt', X'6869', 2, 100.0)")
    for idx in range(3):
        conn.execute("INSERT INTO chunks (id, document_id, idx, text, context, meta) VALUES (?, 1, ?, ?, '', ?)",
                     (idx + 1, idx, f"chunk {idx}", json.dumps({"n": idx})))
    jobs = [(1, "de", "queued", 0, 5), (2, "he", "processing", -1, 10), (3, "en", "dead", 0, 0)]
    for job_id, lang, status, priority, language_priority in jobs:
        conn.execute(
            "INSERT INTO jobs (id, document_id, target_language, provider, model, status, priority, "
            "language_priority, created_at, chunks_total, chunks_done) VALUES (?, 1, ?, 'demo', 'm', ?, ?, ?, ?, 3, ?)",
            (job_id, lang, status, priority, language_priority, 100.0 + job_id, 1 if job_id == 2 else 0))
        for idx in range(3):
            done = job_id == 2 and idx == 0
            conn.execute(
                "INSERT INTO tasks (job_id, chunk_id, idx, status, translation) VALUES (?, ?, ?, ?, ?)",
                (job_id, idx + 1, idx, "done" if done else "queued", "shalom" if done else None))
    conn.execute("PRAGMA user_version = 1")
    conn.close()


def test_opening_a_v1_database_migrates_it_and_keeps_its_work(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    _make_v1_database(path)
    with JobStore(path) as store:
        assert store.migrated_from == 1
        tables = set(store._db.table_names())
        assert {"metrics", "workers", "documents", "chunks", "jobs", "tasks", "control"} <= tables
        assert {"eff_priority", "job_live", "provider"} <= set(store._db["tasks"].columns_dict)
        assert store.translations(2) == {0: "shalom"}
        assert store.chunk_specs(1)[2] == ChunkSpec(2, "chunk 2", "", 0, {"n": 2})
        # backfilled ordering: de has 0+5, he has -1+10 = 9: he first; the dead job's tasks never run
        leased = store.lease("w", 10, 60, now=1000.0)
        assert [(t.language, t.chunk_index) for t in leased] == [("he", 1), ("he", 2), ("de", 0), ("de", 1),
                                                                 ("de", 2)]
        assert {t.provider for t in leased} == {"demo"}
        assert store.record_results([TaskDone(t.task_id, "x", "demo", "m") for t in leased if t.job_id == 2],
                                    max_attempts=3) == [2]
        store.record_metrics([])
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    JobStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this scribe-tui"):
        JobStore(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    path.write_bytes(b"this is not sqlite " * 100)
    with pytest.raises(StoreError, match="jobs.db"):
        JobStore(path)


def test_job_store_implements_the_interface_signature_for_signature(tmp_path: Path) -> None:
    with JobStore(tmp_path / "jobs.db") as store:
        assert isinstance(store, JobStoreAPI)
    members = [name for name, value in vars(JobStoreAPI).items()
               if callable(value) and not name.startswith("_")]
    assert len(members) > 30
    for name in members:
        expected = inspect.signature(getattr(JobStoreAPI, name))
        actual = inspect.signature(getattr(JobStore, name))
        assert str(actual) == str(expected), name


def test_store_imports_neither_engine_nor_textual() -> None:
    code = ("import sys, scribe_tui.store; "
            "bad = [m for m in sys.modules if m.startswith(('textual', 'scribe_tui.engine', 'scribe_tui.tui'))]; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"


def test_a_write_waits_for_another_connections_lock(tmp_path: Path) -> None:
    with JobStore(tmp_path / "jobs.db") as store:
        other = sqlite3.connect(store.path, isolation_level=None, check_same_thread=False)
        other.execute("BEGIN IMMEDIATE")
        releaser = threading.Timer(0.3, lambda: other.execute("COMMIT"))
        releaser.start()
        store.set_control("paused", True)  # blocks until the other transaction ends, then succeeds
        releaser.join()
        other.close()
        assert store.get_control("paused") is True


def test_a_lock_held_past_the_busy_timeout_is_a_store_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_S", 0.2)
    with JobStore(tmp_path / "jobs.db") as store:
        other = sqlite3.connect(store.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match="locked"):
            store.set_control("paused", True)
        other.execute("ROLLBACK")
        other.close()
        store.set_control("paused", True)  # the store is still usable afterwards
        assert store.get_control("paused") is True


def test_a_version_3_store_gains_the_quality_columns_and_keeps_its_jobs(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    _make_v1_database(path)
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[1:3]:
        conn.executescript(migration)
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    with JobStore(path) as store:
        assert store.migrated_from == 3
        assert {"qa", "qa_count"} <= set(store._db["jobs"].columns_dict)
        assert "qa" in store._db["tasks"].columns_dict
        page = store.job_page(JobPage())
        assert [job.id for job in page] == [1, 2, 3]
        assert {job.qa_count for job in page} == {None}  # not checked yet
        store.record_qa(2, '[{"check": "numbers"}]', 1)
        assert store.job(2).qa_count == 1
        assert [job.qa_count for job in store.job_page(JobPage())] == [None, 1, None]
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
