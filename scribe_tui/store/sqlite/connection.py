"""Opening the SQLite job-store file safely, and the transaction discipline every query uses.

The file is created 0600 before SQLite touches it (SQLite gives its -wal/-shm files the
same mode). The connection runs in autocommit mode: a lone statement commits by itself,
and every read-modify-write happens inside ``BEGIN IMMEDIATE`` so that several processes
on one file wait for each other (busy timeout) instead of failing with "database is
locked" — a deferred transaction that reads before writing cannot be waited out.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from scribe_tui.paths import touch_private
from scribe_tui.store.models import StoreError

BUSY_TIMEOUT_S = 30.0


def create_private_file(path: Path) -> None:
    """Create ``path`` with mode 0600 if missing; tighten an existing file to 0600 (without
    opening it: see paths.touch_private for why that matters to SQLite's locks)."""
    touch_private(path)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.chmod(companion, 0o600)


def connect(path: Path) -> sqlite_utils.Database:
    """A sqlite-utils Database on ``path`` in autocommit mode with the store's pragmas."""
    create_private_file(path)
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None,
                               check_same_thread=False)
    except sqlite3.DatabaseError as error:
        raise StoreError(f"{path}: cannot open the job store: {error}") from error
    try:
        db = sqlite_utils.Database(conn, execute_plugins=False)
        db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        _enable_wal(conn, path)
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as error:
        conn.close()
        raise StoreError(f"{path}: cannot open the job store: {error}") from error
    except BaseException:
        conn.close()
        raise
    return db


def _enable_wal(conn: sqlite3.Connection, path: Path) -> None:
    """Switch the file to WAL. Switching needs the file to itself, and SQLite reports a busy
    file at once instead of waiting (several processes opening a new or old file together),
    so wait here, up to the busy timeout. On a file already in WAL mode this is a plain read."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.OperationalError as error:
            busy = "locked" in str(error) or "busy" in str(error)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))
            continue
        if mode != "wal":
            raise StoreError(f"{path}: cannot use write-ahead logging there (journal mode stays {mode!r})")
        return


def id_list(ids: Collection[int]) -> str:
    """A JSON array for ``IN (SELECT value FROM json_each(?))`` — no bound-variable limit."""
    return json.dumps([int(i) for i in ids])


class SQLiteBase:
    """The connection, its lock and the read/write helpers the store's parts share."""

    _db: sqlite_utils.Database
    _lock: threading.RLock
    path: Path
    location: str

    def _init_connection(self, path: Path) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self._lock = threading.RLock()
        self._db = connect(self.path)

    @contextmanager
    def _guarded(self) -> Iterator[sqlite_utils.Database]:
        """Serialise this object's calls and report SQLite's operational failures (disk full,
        I/O error, a lock held past the busy timeout) as one StoreError line."""
        with self._lock:
            try:
                yield self._db
            except sqlite3.OperationalError as error:
                raise StoreError(f"{self.path}: {error}") from error

    @contextmanager
    def _write(self) -> Iterator[sqlite_utils.Database]:
        """One IMMEDIATE transaction: takes the write lock first, so it never deadlocks."""
        with self._guarded() as db:
            conn = db.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield db
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite_utils.Database]:
        """A read transaction: several queries that see one consistent state."""
        with self._guarded() as db:
            db.conn.execute("BEGIN")
            try:
                yield db
            finally:
                if db.conn.in_transaction:
                    db.conn.execute("COMMIT")

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with self._guarded() as db:
            return list(db.query(sql, params))

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> dict[str, Any] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _scalar(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        with self._guarded() as db:
            row = db.execute(sql, params).fetchone()
        return row[0] if row else None

    def _execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """A single write statement (its own transaction unless one is open); rows changed."""
        with self._guarded() as db:
            return db.execute(sql, params).rowcount

    def clock(self) -> float:
        """This machine's clock: every process on one SQLite file runs here."""
        return time.time()

    def close(self) -> None:
        with self._lock:
            self._db.close()
