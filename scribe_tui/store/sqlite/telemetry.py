"""Metrics (one row per provider request or cache hit), worker heartbeats, and the control
keys (paused, target_workers, supervisor…) that let one process steer another."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from scribe_tui.store.locations import HOST
from scribe_tui.store.models import MetricRow, WorkerRow
from scribe_tui.store.rows import summarise_metrics, throughput_series
from scribe_tui.store.sqlite.connection import SQLiteBase

_INSERT_METRIC = """
INSERT INTO metrics (ts, provider, model, job_id, task_id, outcome, status_code, error_class, duration_ms,
                     tokens_in, tokens_out, characters, cost_cents, worker_id)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""

_UPSERT_WORKER = """
INSERT INTO workers (worker_id, pid, state, in_flight, restarts, started_at, heartbeat_at, done_count)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (worker_id) DO UPDATE SET
    started_at = CASE WHEN workers.pid = excluded.pid THEN workers.started_at ELSE excluded.started_at END,
    pid = excluded.pid, state = excluded.state, in_flight = excluded.in_flight, restarts = excluded.restarts,
    heartbeat_at = excluded.heartbeat_at, done_count = excluded.done_count
"""


class TelemetryOps(SQLiteBase):
    def record_metrics(self, rows: Sequence[MetricRow]) -> None:
        if not rows:
            return
        with self._write() as db:
            db.conn.executemany(_INSERT_METRIC, [
                (m.ts, m.provider, m.model, m.job_id, m.task_id, m.outcome, m.status_code, m.error_class,
                 m.duration_ms, m.tokens_in, m.tokens_out, m.characters, m.cost_cents, m.worker_id)
                for m in rows
            ])

    def metrics_summary(self, since: float, provider: str | None = None) -> dict[str, dict[str, Any]]:
        """Per provider since ``since``. ``requests`` counts calls made to the provider (every row
        but cache hits); ``errors`` every outcome other than ok/cached/rate_limited; ``retries`` is
        errors + rate_limited; latency percentiles are over the calls made (cache hits excluded)."""
        where, params = "ts >= ?", [since]
        if provider is not None:
            where, params = where + " AND provider = ?", [since, provider]
        with self._snapshot() as db:
            totals = list(db.query(
                f"""SELECT provider, outcome, COUNT(*) AS n, SUM(tokens_in) AS tokens_in,
                           SUM(tokens_out) AS tokens_out, SUM(characters) AS characters, SUM(cost_cents) AS cents
                    FROM metrics WHERE {where} GROUP BY provider, outcome""", params))
            latencies = db.execute(
                f"SELECT provider, duration_ms FROM metrics WHERE {where} AND outcome != 'cached' "
                "ORDER BY provider, duration_ms", params).fetchall()
        return summarise_metrics(totals, latencies)

    def throughput(self, since: float, bucket_s: float = 60, *,
                   now: float | None = None) -> list[tuple[float, int, int]]:
        """(bucket start, chunks done, tokens in+out) for each ``bucket_s`` from ``since`` to the
        bucket holding ``now``, empty buckets included, from metrics rows with outcome ok/cached."""
        if bucket_s <= 0:
            raise ValueError("bucket_s must be positive")
        now = time.time() if now is None else now
        rows = self._rows(
            """SELECT CAST((ts - ?) / ? AS INTEGER) AS bucket, COUNT(*) AS n,
                      COALESCE(SUM(tokens_in + tokens_out), 0) AS tokens
               FROM metrics WHERE ts >= ? AND outcome IN ('ok', 'cached') GROUP BY bucket""",
            (since, bucket_s, since))
        return throughput_series({r["bucket"]: (r["n"], r["tokens"]) for r in rows}, since, bucket_s, now)

    def heartbeat(self, worker_id: str, *, pid: int, state: str, in_flight: int, restarts: int,
                  done_count: int = 0, now: float | None = None) -> None:
        """Upsert a worker's row; ``started_at`` resets when the pid changes (a restarted worker)."""
        now = time.time() if now is None else now
        self._execute(_UPSERT_WORKER, (worker_id, pid, state, in_flight, restarts, now, now, done_count))

    def workers(self) -> list[WorkerRow]:
        rows = self._rows("SELECT worker_id, pid, state, in_flight, restarts, started_at, heartbeat_at, "
                          "done_count FROM workers ORDER BY worker_id")
        return [WorkerRow(**row, host=HOST) for row in rows]  # one SQLite file: every worker runs here

    def remove_worker(self, worker_id: str) -> None:
        self._execute("DELETE FROM workers WHERE worker_id = ?", (worker_id,))

    def set_control(self, key: str, value: Any) -> None:
        """Store any JSON-serialisable value under ``key``."""
        self._execute("INSERT INTO control (key, value) VALUES (?, ?) "
                      "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, json.dumps(value)))

    def get_control(self, key: str, default: Any = None) -> Any:
        raw = self._scalar("SELECT value FROM control WHERE key = ?", (key,))
        return default if raw is None else json.loads(raw)

    def controls(self, prefix: str) -> dict[str, Any]:
        """Every control key starting with ``prefix``, with its value."""
        rows = self._rows("SELECT key, value FROM control WHERE substr(key, 1, ?) = ? ORDER BY key",
                          (len(prefix), prefix))
        return {row["key"]: json.loads(row["value"]) for row in rows}

