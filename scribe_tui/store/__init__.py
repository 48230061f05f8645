"""The durable job store: documents, chunks, jobs, tasks (chunk × language), metrics,
worker heartbeats and control keys. SQLite is the system of record; ``JobStoreAPI`` is
the interface, ``JobStore`` its SQLite implementation.

The SQLite backend (and sqlite-utils) loads on first use of ``JobStore``,
``PerThreadStores`` or ``SCHEMA_VERSION``, so the vocabulary — statuses, status sets,
``PRIORITIES`` — costs nothing to import: the command line needs it to build ``--help``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scribe_tui.store.api import JobStoreAPI
from scribe_tui.store.job_listing import JOB_ORDERS, JobPage
from scribe_tui.store.models import (
    FAILED_JOB_STATUSES,
    FAILED_TASK_STATUSES,
    OPEN_TASK_STATUSES,
    PRIORITIES,
    RETRYABLE_JOB_STATUSES,
    TERMINAL_JOB_STATUSES,
    UNFINISHED_JOB_STATUSES,
    ChunkSpec,
    EnqueueResult,
    JobRow,
    JobStatus,
    LeasedTask,
    MetricRow,
    OutputClaim,
    PurgeReport,
    StoreError,
    TaskDefer,
    TaskDone,
    TaskFail,
    TaskResult,
    TaskRetry,
    TaskRow,
    TaskStatus,
    WorkerRow,
)

if TYPE_CHECKING:
    from scribe_tui.store.per_thread import PerThreadStores
    from scribe_tui.store.sqlite import SCHEMA_VERSION, JobStore

_BACKEND = {"JobStore": "scribe_tui.store.sqlite", "SCHEMA_VERSION": "scribe_tui.store.sqlite",
            "PerThreadStores": "scribe_tui.store.per_thread"}


def __getattr__(name: str) -> Any:
    """Load the SQLite backend when one of its names is first asked for (PEP 562)."""
    if name not in _BACKEND:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_BACKEND[name]), name)
    globals()[name] = value
    return value


__all__ = [
    "FAILED_JOB_STATUSES",
    "JOB_ORDERS",
    "JobPage",
    "FAILED_TASK_STATUSES",
    "OPEN_TASK_STATUSES",
    "PRIORITIES",
    "RETRYABLE_JOB_STATUSES",
    "TERMINAL_JOB_STATUSES",
    "UNFINISHED_JOB_STATUSES",
    "PerThreadStores",
    "SCHEMA_VERSION",
    "ChunkSpec",
    "EnqueueResult",
    "JobRow",
    "JobStatus",
    "JobStore",
    "JobStoreAPI",
    "LeasedTask",
    "MetricRow",
    "OutputClaim",
    "PurgeReport",
    "StoreError",
    "TaskDefer",
    "TaskDone",
    "TaskFail",
    "TaskResult",
    "TaskRetry",
    "TaskRow",
    "TaskStatus",
    "WorkerRow",
]
