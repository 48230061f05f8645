"""The durable job store: documents, chunks, jobs, tasks (chunk × language), metrics,
worker heartbeats and control keys. SQLite is the system of record; ``JobStoreAPI`` is
the interface, ``JobStore`` its SQLite implementation."""

from scribe_tui.store.api import JobStoreAPI
from scribe_tui.store.models import (
    ChunkSpec,
    EnqueueResult,
    JobRow,
    JobStatus,
    LeasedTask,
    MetricRow,
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
from scribe_tui.store.sqlite import SCHEMA_VERSION, JobStore
from scribe_tui.store.per_thread import PerThreadStores

__all__ = [
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
