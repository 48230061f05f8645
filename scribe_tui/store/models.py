"""The job store's vocabulary: statuses, the values passed in and the rows handed back.

Every backend (SQLite today, PostgreSQL later) speaks exactly these types; nothing here
knows how they are stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from scribe_tui.errors import ScribeError


class StoreError(ScribeError):
    """The job store cannot do what was asked: a broken or too-new database, a bad id."""


class StoreUnavailable(StoreError):
    """The store's database cannot be reached right now (network, restart, shutdown): the
    same call may work later, and nothing acknowledged before it was lost."""


class JobStatus(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    DEAD = "dead"
    CANCELLED = "cancelled"


class TaskStatus(StrEnum):
    QUEUED = "queued"
    LEASED = "leased"
    DONE = "done"
    FAILED = "failed"
    DEAD = "dead"
    CANCELLED = "cancelled"


UNFINISHED_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.PROCESSING)
"""Still to run or running: such a job can still have tasks leased (the schema calls it
live, ``tasks.job_live``). Every other status is terminal."""

TERMINAL_JOB_STATUSES = (JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.DEAD, JobStatus.CANCELLED)
"""Resting states: nothing runs until someone retries the job."""

FAILED_JOB_STATUSES = (JobStatus.FAILED, JobStatus.DEAD)
"""Failed for good or dead-lettered: what failure views show and the summary counts as failed."""

RETRYABLE_JOB_STATUSES = FAILED_JOB_STATUSES
"""What ``retry()`` with no ids requeues; a cancelled job is requeued only when named."""

OPEN_TASK_STATUSES = (TaskStatus.QUEUED, TaskStatus.LEASED)
"""A task that can still take a result: the chunks left to translate."""

FAILED_TASK_STATUSES = (TaskStatus.FAILED, TaskStatus.DEAD)

PRIORITIES = {"high": 20, "normal": 0, "low": -20}
"""``--priority`` names and what each adds to a job's language priority."""


# ---- values passed in -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkSpec:
    """One chunk of a document as the documents package produced it."""

    idx: int
    text: str
    context: str
    token_estimate: int
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EnqueueResult:
    job_id: int
    created: bool


@dataclass(frozen=True)
class TaskDone:
    """The chunk was translated (or found in the cache)."""

    task_id: int
    translation: str
    provider: str
    model: str
    tokens_in: int = 0
    tokens_out: int = 0
    characters: int = 0
    cost_usd: float = 0.0
    cached: bool = False
    attempt: int | None = None  # the task's attempts when it was leased (see record_results' owner)
    qa: str | None = None  # the chunk's quality findings, a JSON list (None: none found)


@dataclass(frozen=True)
class TaskRetry:
    """A failed attempt worth repeating after ``delay_s``; burns one attempt."""

    task_id: int
    error_class: str
    message: str
    delay_s: float
    attempt: int | None = None


@dataclass(frozen=True)
class TaskDefer:
    """Not attempted (quota parked, circuit open, 429 pause): run again at ``until``."""

    task_id: int
    until: float
    reason: str
    attempt: int | None = None


@dataclass(frozen=True)
class TaskFail:
    """A fatal failure: the task and its job fail at once, no retry."""

    task_id: int
    error_class: str
    message: str
    attempt: int | None = None


TaskResult = TaskDone | TaskRetry | TaskDefer | TaskFail


@dataclass(frozen=True)
class MetricRow:
    """One provider request or cache hit (never any document text)."""

    ts: float
    provider: str
    model: str
    outcome: str  # ok | cached | rate_limited | error | any other failure name
    duration_ms: float
    status_code: int | None = None
    error_class: str | None = None
    job_id: int | None = None
    task_id: int | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    characters: int = 0
    cost_cents: float = 0.0
    worker_id: str | None = None


# ---- rows handed back -----------------------------------------------------------------------


@dataclass(frozen=True)
class LeasedTask:
    """One unit of work now owned by ``lease_expires`` by the lease's owner."""

    task_id: int
    job_id: int
    chunk_id: int
    chunk_index: int
    language: str
    provider: str
    model: str
    text: str
    context: str
    meta: dict[str, Any]
    attempts: int
    lease_expires: float


@dataclass(frozen=True)
class JobRow:
    """A job with its document's path and format (and the reason it was unreadable, if so)."""

    id: int
    document_id: int
    path: str
    format: str
    target_language: str
    provider: str
    model: str
    status: str
    priority: int
    language_priority: int
    created_at: float
    started_at: float | None
    completed_at: float | None
    error_message: str | None
    worker_id: str | None
    attempts: int
    output_path: str | None
    chunks_total: int
    chunks_done: int
    tokens_in: int
    tokens_out: int
    characters: int
    cost_usd: float
    wait_reason: str | None
    wait_until: float | None
    document_error: str | None
    qa: str | None = None  # quality findings, a JSON list of {check, message, chunk}
    qa_count: int | None = None  # how many; None until the finished job was checked

    @property
    def job_id(self) -> int:
        return self.id

    @property
    def language(self) -> str:
        return self.target_language

    @property
    def effective_priority(self) -> int:
        return self.language_priority + self.priority


@dataclass(frozen=True)
class TaskRow:
    """A task (one chunk into one language) with its chunk's text and context."""

    id: int
    job_id: int
    chunk_id: int
    idx: int
    status: str
    attempts: int
    lease_owner: str | None
    lease_expires: float | None
    not_before: float
    translation: str | None
    provider_used: str | None
    model_used: str | None
    tokens_in: int
    tokens_out: int
    characters: int
    cost_usd: float
    cached: bool
    last_error: str | None
    error_class: str | None
    updated_at: float | None
    completed_at: float | None
    text: str
    context: str
    qa: str | None = None  # the chunk's quality findings, a JSON list

    @property
    def task_id(self) -> int:
        return self.id


@dataclass(frozen=True)
class OutputClaim:
    """A job that writes (or may write) ``output_path``: what a new job's output must not collide with."""

    job_id: int
    output_path: str
    status: str
    path: str  # the document's source path
    content_hash: str
    language: str
    provider: str
    model: str
    readable: bool  # False for a document that could not be read: its job never writes

    def same_job(self, path: str, content_hash: str, language: str, provider: str, model: str) -> bool:
        return (self.path, self.content_hash, self.language, self.provider, self.model) == (
            path, content_hash, language, provider, model)


@dataclass(frozen=True)
class PurgeReport:
    """What a retention purge removed (or, for a dry run, would remove)."""

    cutoff: float  # epoch seconds: finished before this
    jobs: int = 0
    documents: int = 0
    source_bytes: int = 0
    translations: int = 0
    metrics: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ("cutoff", "jobs", "documents", "source_bytes",
                                                       "translations", "metrics", "dry_run")}


@dataclass(frozen=True)
class WorkerRow:
    worker_id: str
    pid: int
    state: str
    in_flight: int
    restarts: int
    started_at: float
    heartbeat_at: float
    done_count: int
    host: str = ""  # the machine the worker runs on (its supervisor's)
