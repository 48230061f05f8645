"""Metrics, worker heartbeats and control keys in PostgreSQL: what every machine's
supervisor records, and what lets a process on any machine steer the others."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import psycopg

from scribe_tui.store.locations import HOST
from scribe_tui.store.models import MetricRow, WorkerRow
from scribe_tui.store.postgres.connection import PostgresBase, clock
from scribe_tui.store.rows import summarise_metrics, throughput_series

Cursor = psycopg.Cursor[dict[str, Any]]

_INSERT_METRIC = """
INSERT INTO metrics (ts, provider, model, job_id, task_id, outcome, status_code, error_class, duration_ms,
                     tokens_in, tokens_out, characters, cost_cents, worker_id)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
"""

_UPSERT_WORKER = """
INSERT INTO workers (worker_id, host, pid, state, in_flight, restarts, started_at, heartbeat_at, done_count)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (host, worker_id) DO UPDATE SET
    started_at = CASE WHEN workers.pid = excluded.pid THEN workers.started_at ELSE excluded.started_at END,
    host = excluded.host, pid = excluded.pid, state = excluded.state, in_flight = excluded.in_flight,
    restarts = excluded.restarts, heartbeat_at = excluded.heartbeat_at, done_count = excluded.done_count
"""



class TelemetryOps(PostgresBase):
    def record_metrics(self, rows: Sequence[MetricRow]) -> None:
        if not rows:
            return
        params = [(m.ts, m.provider, m.model, m.job_id, m.task_id, m.outcome, m.status_code, m.error_class,
                   m.duration_ms, m.tokens_in, m.tokens_out, m.characters, m.cost_cents, m.worker_id) for m in rows]
        self._transact(lambda cur: cur.executemany(_INSERT_METRIC, params))

    def metrics_summary(self, since: float, provider: str | None = None) -> dict[str, dict[str, Any]]:
        """Per provider since ``since``, over every machine's requests (see ``rows.summarise_metrics``)."""
        where, params = "ts >= %s", [since]
        if provider is not None:
            where, params = where + " AND provider = %s", [since, provider]

        def work(cur: Cursor) -> dict[str, dict[str, Any]]:
            totals = cur.execute(
                f"""SELECT provider, outcome, COUNT(*) AS n, SUM(tokens_in)::bigint AS tokens_in,
                           SUM(tokens_out)::bigint AS tokens_out, SUM(characters)::bigint AS characters,
                           SUM(cost_cents) AS cents
                    FROM metrics WHERE {where} GROUP BY provider, outcome""", params).fetchall()
            latencies = cur.execute(
                f"SELECT provider, duration_ms FROM metrics WHERE {where} AND outcome != 'cached' "
                "ORDER BY provider, duration_ms", params).fetchall()
            return summarise_metrics(totals, [(r["provider"], r["duration_ms"]) for r in latencies])

        return self._transact(work)

    def throughput(self, since: float, bucket_s: float = 60, *,
                   now: float | None = None) -> list[tuple[float, int, int]]:
        """(bucket start, chunks done, tokens in+out) for each ``bucket_s`` from ``since`` to the
        bucket holding ``now``, empty buckets included, from metrics rows with outcome ok/cached."""
        if bucket_s <= 0:
            raise ValueError("bucket_s must be positive")

        def work(cur: Cursor) -> tuple[float, list[dict[str, Any]]]:
            rows = cur.execute(
                """SELECT floor((ts - %s) / %s)::bigint AS bucket, COUNT(*) AS n,
                          COALESCE(SUM(tokens_in + tokens_out), 0)::bigint AS tokens
                   FROM metrics WHERE ts >= %s AND outcome IN ('ok', 'cached') GROUP BY 1""",
                (since, bucket_s, since)).fetchall()
            return clock(cur, now), rows

        at, rows = self._transact(work)
        return throughput_series({int(r["bucket"]): (int(r["n"]), int(r["tokens"])) for r in rows},
                                 since, bucket_s, at)

    def heartbeat(self, worker_id: str, *, pid: int, state: str, in_flight: int, restarts: int,
                  done_count: int = 0, now: float | None = None) -> None:
        """Upsert a worker's row (with this machine's name); ``started_at`` resets when the pid changes."""
        def work(cur: Cursor) -> None:
            at = clock(cur, now)
            cur.execute(_UPSERT_WORKER, (worker_id, HOST, pid, state, in_flight, restarts, at, at, done_count))

        self._transact(work)

    def workers(self) -> list[WorkerRow]:
        """Every machine's workers, by host then id."""
        rows = self._rows("SELECT worker_id, pid, state, in_flight, restarts, started_at, heartbeat_at, done_count, "
                          "host FROM workers ORDER BY host, worker_id")
        return [WorkerRow(**row) for row in rows]

    def remove_worker(self, worker_id: str) -> None:
        """Remove one of this machine's workers (other hosts' workers of the same id stay)."""
        self._execute("DELETE FROM workers WHERE host = %s AND worker_id = %s", (HOST, worker_id))

    def set_control(self, key: str, value: Any) -> None:
        """Store any JSON-serialisable value under ``key``."""
        self._execute("INSERT INTO control (key, value) VALUES (%s, %s) "
                      "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, json.dumps(value)))

    def get_control(self, key: str, default: Any = None) -> Any:
        raw = self._scalar("SELECT value FROM control WHERE key = %s", (key,))
        return default if raw is None else json.loads(raw)

    def controls(self, prefix: str) -> dict[str, Any]:
        """Every control key starting with ``prefix``, with its value."""
        rows = self._rows("SELECT key, value FROM control WHERE left(key, %s) = %s ORDER BY key", (len(prefix), prefix))
        return {row["key"]: json.loads(row["value"]) for row in rows}
