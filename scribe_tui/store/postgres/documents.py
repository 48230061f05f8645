"""Documents and their chunks in PostgreSQL: stored once per (path, content hash), with the
original bytes, so that any machine can reassemble the output."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any

import psycopg

from scribe_tui.store.models import ChunkSpec, JobStatus, StoreError, StoreUnavailable
from scribe_tui.store.postgres.connection import PostgresBase, clock
from scribe_tui.store.rows import unreadable_hash

Cursor = psycopg.Cursor[dict[str, Any]]

_INSERT_DOCUMENT = """
INSERT INTO documents (path, content_hash, format, source, size, error, created_at)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (path, content_hash) DO NOTHING
RETURNING id
"""

_INSERT_CHUNK = """
INSERT INTO chunks (document_id, idx, text, context, token_estimate, meta) VALUES (%s, %s, %s, %s, %s, %s)
"""


def document_id(cur: Cursor, path: str, content_hash: str) -> int:
    row = cur.execute("SELECT id FROM documents WHERE path = %s AND content_hash = %s", (path, content_hash)).fetchone()
    if row is None:
        raise StoreError(f"{path}: document vanished while being stored")
    return int(row["id"])


class DocumentOps(PostgresBase):
    def add_document(self, path: str, source: bytes, content_hash: str, format: str,
                     chunks: Sequence[ChunkSpec]) -> int:
        """Store a document and its chunks; the same (path, hash) again returns the first id."""
        def work(cur: Cursor) -> int:
            row = cur.execute(_INSERT_DOCUMENT, (path, content_hash, format, bytes(source), len(source), None,
                                                 clock(cur))).fetchone()
            if row is None:
                return document_id(cur, path, content_hash)
            cur.executemany(_INSERT_CHUNK, [(row["id"], c.idx, c.text, c.context, c.token_estimate, json.dumps(c.meta))
                                            for c in chunks])
            return int(row["id"])

        try:
            return self._transact(work)
        except StoreUnavailable:
            raise
        except StoreError as error:
            raise StoreError(f"{path}: cannot store its chunks: {error}") from None

    def add_failed_job(self, path: str, language: str, provider: str, model: str, error: str, *,
                       output_path: str, content_hash: str | None = None, format: str | None = None) -> int:
        """A document that could not be read still gets a visible job, in status failed
        (idempotent on path, hash, language, provider and model)."""
        digest = content_hash or unreadable_hash(path)
        kind = format or PurePath(path).suffix.lstrip(".").lower() or "unknown"

        def work(cur: Cursor) -> int:
            now = clock(cur)
            row = cur.execute(_INSERT_DOCUMENT, (path, digest, kind, b"", 0, error, now)).fetchone()
            doc = int(row["id"]) if row else document_id(cur, path, digest)
            row = cur.execute(
                """INSERT INTO jobs (document_id, target_language, provider, model, status, created_at,
                                     completed_at, error_message, output_path)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (document_id, target_language, provider, model) DO NOTHING
                   RETURNING id""",
                (doc, language, provider, model, JobStatus.FAILED, now, now, error, output_path)).fetchone()
            if row is None:
                row = cur.execute("SELECT id FROM jobs WHERE document_id = %s AND target_language = %s "
                                  "AND provider = %s AND model = %s", (doc, language, provider, model)).fetchone()
            return int(row["id"])

        return self._transact(work)

    def document_source(self, document_id: int) -> tuple[str, str, bytes]:
        """(path as given, format, original bytes) of a stored document."""
        row = self._one("SELECT path, format, source FROM documents WHERE id = %s", (document_id,))
        if row is None:
            raise StoreError(f"no document with id {document_id}")
        return row["path"], row["format"], bytes(row["source"])

    def chunk_specs(self, document_id: int) -> list[ChunkSpec]:
        rows = self._rows("SELECT idx, text, context, token_estimate, meta FROM chunks WHERE document_id = %s "
                          "ORDER BY idx", (document_id,))
        return [ChunkSpec(idx=r["idx"], text=r["text"], context=r["context"],
                          token_estimate=r["token_estimate"], meta=json.loads(r["meta"])) for r in rows]
