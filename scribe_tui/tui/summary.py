"""One-line summaries of the engine's state: the header's subtitle and the quit message."""

from __future__ import annotations

from scribe_tui.engine.api import Snapshot
from scribe_tui.store import FAILED_JOB_STATUSES, UNFINISHED_JOB_STATUSES, JobStatus

HEADER_STATUSES = (*UNFINISHED_JOB_STATUSES, JobStatus.COMPLETED, *FAILED_JOB_STATUSES)


def unfinished(snapshot: Snapshot | None) -> int:
    """Jobs that stay queued when the app quits now."""
    if snapshot is None:
        return 0
    return sum(snapshot.counts.get(status, 0) for status in UNFINISHED_JOB_STATUSES)


def state_line(snapshot: Snapshot) -> str:
    """``supervisor · running · queued 6 · processing 1 · …`` (or attached, or PAUSED)."""
    mode = "attached as monitor" if snapshot.attached else "supervisor"
    state = "PAUSED" if snapshot.paused else "running"
    counts = " · ".join(f"{status} {snapshot.counts.get(status, 0):,}" for status in HEADER_STATUSES)
    return f"{mode} · {state} · {counts}"


def quit_message(snapshot: Snapshot | None) -> str:
    return f"{unfinished(snapshot)} jobs left queued; they resume next time"
