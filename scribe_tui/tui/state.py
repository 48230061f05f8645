"""What the screens show, as immutable values: one ``EngineState`` per read of the engine and
the job store (the snapshot, the Jobs window the current query asks for, the failures and
the detail of the open job), and the ``ReadRequest`` that says what to read. The app holds
the latest state in a reactive that the screens are bound to. No Textual here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from scribe_tui.engine.api import Notice, Snapshot, SupervisorAPI
from scribe_tui.store import JobRow, JobStore, TaskRow
from scribe_tui.tui.failure_log import FailureEntry
from scribe_tui.tui.job_query import JobQuery


class EngineWithStore(SupervisorAPI, Protocol):
    """A SupervisorAPI that also exposes its job store (Supervisor and Monitor both do)."""

    @property
    def store(self) -> JobStore: ...


@dataclass(frozen=True)
class JobDetail:
    job: JobRow
    tasks: tuple[TaskRow, ...]


@dataclass(frozen=True)
class JobsWindow:
    rows: tuple[JobRow, ...]  # in display order
    matched: int  # jobs matching the filter
    offset: int = 0  # how many matching jobs come before the first row


@dataclass(frozen=True)
class ReadRequest:
    """What one read fetches: the Jobs query, the job open in the detail screen, whether the
    Jobs window must be read again even if no count moved (after a command), and whether the
    Jobs window is all that is needed (the query changed: the rest of the last read stands)."""

    query: JobQuery
    detail_job_id: int | None = None
    fresh: bool = False
    jobs_only: bool = False


@dataclass(frozen=True)
class EngineState:
    seq: int  # reads are numbered from 1 in the order they started
    snapshot: Snapshot
    query: JobQuery  # the query ``jobs`` answers
    jobs: JobsWindow
    total: int  # jobs in the store
    failures: tuple[FailureEntry, ...]
    detail: JobDetail | None  # the job ``ReadRequest.detail_job_id`` named, if it exists


@dataclass(frozen=True)
class Reading:
    """One read: the new state and the notices that arrived since the previous read."""

    state: EngineState
    notices: tuple[Notice, ...]
