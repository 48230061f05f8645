"""The supervisor API both front ends (TUI and batch) use: typed immutable events, the
snapshot a UI renders, and the protocol a running supervisor and a read-only monitor share.

Commands (retry, cancel, pause, priority, scale) go through the job store, so they reach a
supervisor running in another process exactly as they reach one in this process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

# ---- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    ts: float = field(default_factory=time.time, kw_only=True)


@dataclass(frozen=True)
class WorkerStarted(Event):
    worker_id: str
    pid: int


@dataclass(frozen=True)
class WorkerExited(Event):
    worker_id: str
    pid: int
    exitcode: int | None
    replaced: bool


@dataclass(frozen=True)
class ChunkStarted(Event):
    job_id: int
    task_id: int
    chunk_index: int
    worker_id: str
    provider: str


@dataclass(frozen=True)
class ChunkDone(Event):
    job_id: int
    task_id: int
    chunk_index: int
    provider: str
    tokens_in: int
    tokens_out: int
    characters: int
    cost_usd: float
    cached: bool
    duration_ms: float


@dataclass(frozen=True)
class ChunkFailed(Event):
    job_id: int
    task_id: int
    chunk_index: int
    error_class: str
    message: str
    attempts: int
    dead: bool  # dead-lettered: no more automatic retries


@dataclass(frozen=True)
class RetryScheduled(Event):
    job_id: int
    task_id: int
    chunk_index: int
    delay_s: float
    error_class: str
    message: str
    attempts: int


@dataclass(frozen=True)
class RateLimitWait(Event):
    provider: str
    until: float
    reason: str  # rate_limited | circuit_open | quota_parked | provider_disabled


@dataclass(frozen=True)
class RateLimitHit(Event):
    """A provider answered 429: counted apart from failures, it never costs an attempt."""

    provider: str


@dataclass(frozen=True)
class JobFinished(Event):
    job_id: int
    status: str  # completed | failed | dead | cancelled
    output_path: str | None
    error: str | None


@dataclass(frozen=True)
class Notice(Event):
    """Something a person should read (a warning, a provider disabled, a budget reached)."""

    level: Literal["info", "warning", "error"]
    message: str


@dataclass(frozen=True)
class Drained(Event):
    """Nothing is runnable any more: everything is finished, failed, cancelled or parked."""

    parked: int


# ---- snapshots ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerInfo:
    worker_id: str
    pid: int
    state: str  # starting | idle | busy | stopping | dead
    in_flight: int
    heartbeat_age_s: float
    restarts: int
    host: str = ""  # the machine it runs on (several on a shared store)


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    kind: str
    model: str
    circuit: str  # closed | open | half_open | disabled
    paused_until: float | None
    limit_usage: tuple[tuple[str, int, int], ...]  # (limit text, used in window, amount)
    requests: int
    rate_limited: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    cost_usd: float
    note: str = ""
    concurrency_cap: int = 0  # the adaptive cap on requests in flight (0: unknown)
    max_concurrency: int = 0


@dataclass(frozen=True)
class Snapshot:
    ts: float
    counts: dict[str, int]  # job status -> jobs
    chunk_counts: dict[str, int]  # chunk status -> chunks
    languages: dict[str, dict[str, int]]  # language -> job status -> jobs
    workers: tuple[WorkerInfo, ...]
    target_workers: int
    paused: bool
    attached: bool  # True for a read-only monitor of another process's supervisor
    chunks_per_min: tuple[float, ...]  # one value per minute, oldest first
    tokens_per_min: tuple[float, ...]
    rate_limit_per_min: float | None  # the configured request limit, for comparison
    eta_s: float | None  # engine/outlook.py: from the binding limit or latency × concurrency; None when paused
    providers: tuple[ProviderInfo, ...]
    totals: dict[str, float]  # requests, retries, rate_limited, cache_hits, tokens_in, tokens_out, cost_usd
    rate_per_min: float | None = None  # chunks done in the last 60 s (sliding), per minute
    eta_binding: str = ""  # what limits the ETA: "30/minute", "latency (0.50 s × 10 at a time)"
    waiting: tuple[str, ...] = ()  # "waiting for 30/minute (next slot in 12 s)", per full window


@dataclass(frozen=True)
class EnqueueReport:
    documents: int
    jobs_created: int
    jobs_existing: int
    skipped: tuple[str, ...]  # unsupported files inside directories
    errors: tuple[tuple[str, str], ...]  # (path, reason) documents that failed to read
    retargeted: int = 0  # existing jobs pointed at this enqueue's output path
    converted: tuple[tuple[str, str], ...] = ()  # (path, encoding) sources converted to UTF-8
    symlinks: tuple[str, ...] = ()  # symbolic links inside directories, not followed


class SupervisorAPI(Protocol):
    """What a front end can ask of the engine, running here or in another process."""

    data_dir: Path

    def enqueue(self, paths: list[Path], languages: list[str], *, priority: int = 0,
                provider: str | None = None, output_dir: Path | None = None) -> EnqueueReport: ...

    def retry(self, job_ids: list[int] | None = None) -> int: ...

    def cancel(self, job_ids: list[int]) -> list[int]: ...

    def change_priority(self, job_id: int, delta: int) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def scale(self, delta: int) -> int: ...

    def snapshot(self) -> Snapshot: ...

    def poll_events(self, timeout: float = 0.1) -> list[Event]: ...

    def close(self) -> None: ...
