"""Documents and their chunks: stored once per (path, content hash), with the original
bytes, so that output can be reassembled even after the source file is gone."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import PurePath

from scribe_tui.store.models import ChunkSpec, JobStatus, StoreError
from scribe_tui.store.sqlite.connection import SQLiteBase

_INSERT_DOCUMENT = """
INSERT INTO documents (path, content_hash, format, source, size, error, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (path, content_hash) DO NOTHING
RETURNING id
"""

_INSERT_CHUNK = """
INSERT INTO chunks (document_id, idx, text, context, token_estimate, meta)
VALUES (?, ?, ?, ?, ?, ?)
"""


def unreadable_hash(path: str) -> str:
    """The content hash given to a document whose bytes could not be read."""
    return "unreadable:" + hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()


class DocumentOps(SQLiteBase):
    def add_document(self, path: str, source: bytes, content_hash: str, format: str,
                     chunks: Sequence[ChunkSpec]) -> int:
        """Store a document and its chunks; the same (path, hash) again returns the first id."""
        now = time.time()
        try:
            with self._write() as db:
                rows = db.execute(_INSERT_DOCUMENT,
                                  (path, content_hash, format, bytes(source), len(source), None, now)).fetchall()
                if not rows:
                    return self._document_id(path, content_hash)
                document_id = int(rows[0][0])
                db.conn.executemany(_INSERT_CHUNK, [
                    (document_id, c.idx, c.text, c.context, c.token_estimate, json.dumps(c.meta))
                    for c in chunks
                ])
                return document_id
        except sqlite3.IntegrityError as error:
            raise StoreError(f"{path}: cannot store its chunks: {error}") from error
        except sqlite3.DataError as error:  # a value over SQLite's size limit (1 GB by default)
            raise StoreError(f"{path}: too big to store ({error})") from error

    def add_failed_job(self, path: str, language: str, provider: str, model: str, error: str, *,
                       output_path: str, content_hash: str | None = None, format: str | None = None) -> int:
        """A document that could not be read still gets a visible job, in status failed.

        Idempotent on (path, hash, language, provider, model). ``jobs retry`` leaves such a
        job alone: enqueueing the path again (once it is readable) makes a new document.
        """
        now = time.time()
        digest = content_hash or unreadable_hash(path)
        kind = format or PurePath(path).suffix.lstrip(".").lower() or "unknown"
        with self._write() as db:
            rows = db.execute(_INSERT_DOCUMENT, (path, digest, kind, b"", 0, error, now)).fetchall()
            document_id = int(rows[0][0]) if rows else self._document_id(path, digest)
            rows = db.execute(
                """INSERT INTO jobs (document_id, target_language, provider, model, status, created_at,
                                     completed_at, error_message, output_path)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (document_id, target_language, provider, model) DO NOTHING
                   RETURNING id""",
                (document_id, language, provider, model, JobStatus.FAILED, now, now, error, output_path),
            ).fetchall()
            if rows:
                return int(rows[0][0])
            return int(self._scalar(
                "SELECT id FROM jobs WHERE document_id = ? AND target_language = ? AND provider = ? AND model = ?",
                (document_id, language, provider, model)))

    def document_source(self, document_id: int) -> tuple[str, str, bytes]:
        """(path as given, format, original bytes) of a stored document."""
        row = self._one("SELECT path, format, source FROM documents WHERE id = ?", (document_id,))
        if row is None:
            raise StoreError(f"no document with id {document_id}")
        return row["path"], row["format"], bytes(row["source"])

    def chunk_specs(self, document_id: int) -> list[ChunkSpec]:
        rows = self._rows(
            "SELECT idx, text, context, token_estimate, meta FROM chunks WHERE document_id = ? ORDER BY idx",
            (document_id,))
        return [ChunkSpec(idx=r["idx"], text=r["text"], context=r["context"],
                          token_estimate=r["token_estimate"], meta=json.loads(r["meta"])) for r in rows]

    def _document_id(self, path: str, content_hash: str) -> int:
        found = self._scalar("SELECT id FROM documents WHERE path = ? AND content_hash = ?", (path, content_hash))
        if found is None:
            raise StoreError(f"{path}: document vanished while being stored")
        return int(found)
