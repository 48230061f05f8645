"""What the API answers, as plain JSON-ready dicts: the status (the engine's snapshot, the
failures, recent engine events, whether a supervisor is alive), jobs and their chunks.
Pure functions over the engine's and the store's immutable rows."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from scribe_tui.engine.api import (ChunkFailed, Event, JobFinished, Notice, RateLimitWait, RetryScheduled,
                                   Snapshot, WorkerExited)
from scribe_tui.store import JobRow, TaskRow

SUPERVISOR_FRESH_S = 10.0
"""A supervisor whose heartbeat is older than this is reported as not alive."""

RECENT_EVENTS = 100
SHOWN_EVENTS = (Notice, RetryScheduled, ChunkFailed, JobFinished, RateLimitWait, WorkerExited)


def job_json(row: JobRow) -> dict[str, Any]:
    data = dataclasses.asdict(row)
    data["effective_priority"] = row.effective_priority
    data["progress"] = round(row.chunks_done / row.chunks_total, 4) if row.chunks_total else 0.0
    data["error"] = row.error_message or row.document_error
    return data


def task_json(row: TaskRow) -> dict[str, Any]:
    """A chunk of a job: its source, its translation (when done) and its last error."""
    return {"task_id": row.id, "index": row.idx, "status": row.status, "attempts": row.attempts,
            "source": row.text, "translation": row.translation, "provider": row.provider_used,
            "model": row.model_used, "cached": row.cached, "tokens_in": row.tokens_in, "tokens_out": row.tokens_out,
            "characters": row.characters, "cost_usd": row.cost_usd, "error_class": row.error_class,
            "error": row.last_error, "not_before": row.not_before or None, "completed_at": row.completed_at}


def job_detail_json(row: JobRow, tasks: Iterable[TaskRow]) -> dict[str, Any]:
    return {"job": job_json(row), "chunks": [task_json(task) for task in tasks]}


def failure_json(row: JobRow) -> dict[str, Any]:
    """A failed or dead-lettered job with its reason, for the Failures pane."""
    return {"job_id": row.id, "path": row.path, "language": row.target_language, "status": row.status,
            "attempts": row.attempts, "reason": row.error_message or row.document_error or row.status,
            "at": row.completed_at or row.created_at}


def event_json(seq: int, event: Event) -> dict[str, Any]:
    return {"seq": seq, "type": type(event).__name__, **dataclasses.asdict(event)}


class RecentEvents:
    """The latest engine events a person should see (notices, retries, failures, pauses),
    numbered so that a page shows each once. Filled on the store threads, read anywhere."""

    def __init__(self, limit: int = RECENT_EVENTS):
        self._lock = threading.Lock()
        self._events: deque[dict[str, Any]] = deque(maxlen=limit)
        self._seq = 0

    def add(self, events: Iterable[Event]) -> None:
        with self._lock:
            for event in events:
                if isinstance(event, JobFinished) and event.status == "completed":
                    continue
                if isinstance(event, SHOWN_EVENTS):
                    self._seq += 1
                    self._events.append(event_json(self._seq, event))

    def latest(self) -> list[dict[str, Any]]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._events))


def supervisor_json(record: Any, attached: bool, now: float) -> dict[str, Any]:
    """Whether a supervisor is alive, from the record it writes into the store each heartbeat."""
    record = record if isinstance(record, dict) else {}
    heartbeat = record.get("heartbeat_at")
    age = max(0.0, now - float(heartbeat)) if isinstance(heartbeat, (int, float)) else None
    return {"mode": "monitor" if attached else "supervisor", "pid": record.get("pid"),
            "alive": age is not None and age < SUPERVISOR_FRESH_S,
            "heartbeat_age_s": None if age is None else round(age, 1)}


def snapshot_json(snapshot: Snapshot) -> dict[str, Any]:
    data = dataclasses.asdict(snapshot)
    for provider in data["providers"]:
        provider["limit_usage"] = [{"limit": text, "used": used, "amount": amount}
                                   for text, used, amount in provider["limit_usage"]]
    return data


def status_json(snapshot: Snapshot, failed: Iterable[JobRow], recent: RecentEvents, supervisor_record: Any,
                now: float | None = None) -> dict[str, Any]:
    """Everything the page's panes show except the job list and a job's chunks."""
    now = time.time() if now is None else now
    data = snapshot_json(snapshot)
    open_chunks = snapshot.chunk_counts.get("queued", 0) + snapshot.chunk_counts.get("leased", 0)
    data.update({
        "supervisor": supervisor_json(supervisor_record, snapshot.attached, now),
        "chunks_left": open_chunks,
        "spend": {"run_usd": snapshot.totals.get("cost_usd") if snapshot.totals else None,
                  "last_hour_usd": round(sum(p.cost_usd for p in snapshot.providers), 6)},
        "failures": [failure_json(row) for row in failed],
        "events": recent.latest(),
    })
    return data
