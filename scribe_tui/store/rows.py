"""What every store backend does the same way outside SQL: turning rows into the store's
types, the per-job counters a batch of results adds up, and summarising metrics rows.

Backends differ in their SQL (dialect, clock, locking), never in what a row means.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from scribe_tui.store.models import (OPEN_TASK_STATUSES, RETRYABLE_JOB_STATUSES, UNFINISHED_JOB_STATUSES, JobRow,
                                     JobStatus, LeasedTask, TaskDone, TaskResult, TaskRow)

MAX_THROUGHPUT_BUCKETS = 10_000
"""throughput() never returns more buckets than this: the most recent ones are kept."""

NOT_ERRORS = ("ok", "cached", "rate_limited")


def sql_list(statuses: tuple[str, ...]) -> str:
    """A SQL list literal of status names, e.g. ``('queued', 'processing')`` (both dialects)."""
    return "(" + ", ".join(f"'{status}'" for status in statuses) + ")"


LIVE_SQL = sql_list(UNFINISHED_JOB_STATUSES)
OPEN_TASK_SQL = sql_list(OPEN_TASK_STATUSES)
RETRYABLE_SQL = sql_list(RETRYABLE_JOB_STATUSES)
RETRYABLE_BY_NAME_SQL = sql_list((*RETRYABLE_JOB_STATUSES, JobStatus.CANCELLED))

_JOB_FIELDS = tuple(f.name for f in fields(JobRow))
_TASK_FIELDS = tuple(f.name for f in fields(TaskRow))


def unreadable_hash(path: str) -> str:
    """The content hash given to a document whose bytes could not be read."""
    return "unreadable:" + hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, with ``\\`` as the escape character."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def job_row(row: dict[str, Any]) -> JobRow:
    return JobRow(**{name: row[name] for name in _JOB_FIELDS})


def task_row(row: dict[str, Any]) -> TaskRow:
    values = {name: row[name] for name in _TASK_FIELDS}
    values["cached"] = bool(values["cached"])
    return TaskRow(**values)


def leased_task(row: dict[str, Any]) -> LeasedTask:
    return LeasedTask(
        task_id=row["id"], job_id=row["job_id"], chunk_id=row["chunk_id"], chunk_index=row["idx"],
        language=row["target_language"], provider=row["provider"], model=row["model"],
        text=row["text"], context=row["context"], meta=json.loads(row["meta"]),
        attempts=row["attempts"], lease_expires=row["lease_expires"],
    )


def result_guard(result: TaskResult, owner: str | None, mark: str = "?") -> tuple[str, list[Any]]:
    """The extra WHERE clause (and its parameters, ``mark`` their placeholder) that keeps a
    late or stale result off a task it no longer holds. With an ``owner``, a failure, retry or
    deferral applies only while that owner holds the lease of that attempt; a translation
    applies while the owner holds it, or when nobody does and the attempt is still current
    (its lease expired and nobody took it: the paid reply is kept). Without one, the first
    result for an open task wins, whoever sent it."""
    if owner is None:
        return "", []
    attempt = "" if result.attempt is None else f" AND attempts = {mark}"
    extra = [] if result.attempt is None else [result.attempt]
    if isinstance(result, TaskDone):
        return (f" AND (lease_owner = {mark} OR (lease_owner IS NULL{attempt}))", [owner, *extra])
    return f" AND lease_owner = {mark}{attempt}", [owner, *extra]


@dataclass
class JobDelta:
    """What a batch of results adds to one job's counters."""

    chunks_done: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    characters: int = 0
    cost_usd: float = 0.0
    attempts: int = 0

    def add_done(self, tokens_in: int, tokens_out: int, characters: int, cost_usd: float) -> None:
        self.chunks_done += 1
        self.tokens_in += tokens_in
        self.tokens_out += tokens_out
        self.characters += characters
        self.cost_usd += cost_usd


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of already sorted values; None when there are none."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return float(sorted_values[rank - 1])


def empty_summary() -> dict[str, Any]:
    return {"requests": 0, "ok": 0, "cached": 0, "rate_limited": 0, "errors": 0, "retries": 0,
            "latency_p50_ms": None, "latency_p95_ms": None, "tokens_in": 0, "tokens_out": 0,
            "characters": 0, "cost_usd": 0.0}


def summarise_metrics(totals: Iterable[dict[str, Any]],
                      latencies: Iterable[tuple[str, float]]) -> dict[str, dict[str, Any]]:
    """Per provider: ``totals`` rows (provider, outcome, n, tokens_in, tokens_out, characters,
    cents) grouped by outcome, and (provider, duration) pairs sorted by provider then duration.
    ``requests`` counts calls made (every row but cache hits); ``errors`` every outcome other
    than ok/cached/rate_limited; ``retries`` errors + rate_limited."""
    summary: dict[str, dict[str, Any]] = {}
    for row in totals:
        _add_outcome(summary.setdefault(row["provider"], empty_summary()), row)
    by_provider: dict[str, list[float]] = {}
    for name, duration in latencies:
        by_provider.setdefault(name, []).append(duration)
    for name, durations in by_provider.items():
        summary[name]["latency_p50_ms"] = percentile(durations, 0.50)
        summary[name]["latency_p95_ms"] = percentile(durations, 0.95)
    return summary


def _add_outcome(summary: dict[str, Any], row: dict[str, Any]) -> None:
    outcome, n = row["outcome"], int(row["n"])
    if outcome in NOT_ERRORS:
        summary[outcome] += n
    else:
        summary["errors"] += n
    if outcome != "cached":
        summary["requests"] += n
    if outcome not in ("ok", "cached"):
        summary["retries"] += n
    summary["tokens_in"] += int(row["tokens_in"] or 0)
    summary["tokens_out"] += int(row["tokens_out"] or 0)
    summary["characters"] += int(row["characters"] or 0)
    summary["cost_usd"] += float(row["cents"] or 0.0) / 100.0


def throughput_series(found: dict[int, tuple[int, int]], since: float, bucket_s: float,
                      now: float) -> list[tuple[float, int, int]]:
    """Every bucket from ``since`` to the one holding ``now`` (and any later one found), empty
    ones included, at most MAX_THROUGHPUT_BUCKETS of the most recent."""
    last = max([int((now - since) // bucket_s) if now >= since else -1, *found])
    first = max(0, last - MAX_THROUGHPUT_BUCKETS + 1)
    return [(since + b * bucket_s, *found.get(b, (0, 0))) for b in range(first, last + 1)]
