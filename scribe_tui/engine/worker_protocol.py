"""The wire format between the supervisor and its worker processes (pickled over
multiprocessing queues): ``Order`` goes down to a worker, ``WorkerMessage`` comes back up.
Internal to the engine; front ends see engine.api events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from scribe_tui.store import MetricRow


# ---- supervisor -> worker -------------------------------------------------------------------


@dataclass(frozen=True)
class TaskOrder:
    """Translate one chunk into one language with one provider."""

    task_id: int
    job_id: int
    chunk_index: int
    language: str
    provider: str
    text: str
    context: str
    meta: dict[str, Any]
    attempt: int  # attempts already burnt; the policy's backoff grows with it


@dataclass(frozen=True)
class CancelOrder:
    task_ids: tuple[int, ...]


@dataclass(frozen=True)
class ReturnWaitingOrder:
    """Give back every chunk not yet at a provider (dispatch was paused): each is reported
    'cancelled', and its lease goes back to the queue."""


@dataclass(frozen=True)
class HoldOffOrder:
    """Another worker got a 429 from ``provider``: send it nothing before ``until`` (wall
    clock). The shared pause, once the other process has written it, may be longer."""

    provider: str
    until: float


@dataclass(frozen=True)
class SlotsOrder:
    """This worker's share of each provider's concurrency cap: how many of its chunks may be
    at a provider at once. Orders beyond it wait in the worker (its backlog)."""

    shares: dict[str, int]


@dataclass(frozen=True)
class StopOrder:
    """Finish in-flight work for up to ``grace_s`` seconds, then exit. With
    ``release_waiting``, first drop every chunk whose provider call has not started (it
    only waits on a limit): it is reported 'cancelled' at once, and its lease goes back."""

    grace_s: float
    release_waiting: bool = False


# ---- worker -> supervisor (and a store MetricRow per request) -----------------------------


@dataclass(frozen=True)
class WorkerBeat:
    worker_id: str
    pid: int
    in_flight: int  # chunks this worker holds (sent, or waiting for a limit or a retry)
    done: int
    state: str = "running"
    on_wire: int = 0  # requests sent and not answered yet


@dataclass(frozen=True)
class TaskStarted:
    worker_id: str
    task_id: int


OutcomeKind = Literal["done", "retry", "defer", "fail", "disabled", "cancelled"]


@dataclass(frozen=True)
class TaskOutcome:
    """What became of one TaskOrder; exactly one per order, unless the worker died."""

    worker_id: str
    task_id: int
    job_id: int
    chunk_index: int
    provider: str
    kind: OutcomeKind
    translation: str | None = None
    model: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    characters: int = 0
    cost_usd: float = 0.0
    cached: bool = False
    duration_ms: float = 0.0
    error_class: str = ""
    message: str = ""
    delay_s: float = 0.0
    until: float = 0.0
    reason: str = ""
    qa: str | None = None  # a done chunk's quality findings (JSON list), kept under [qa] on_problem = "warn"


Order = TaskOrder | CancelOrder | HoldOffOrder | ReturnWaitingOrder | SlotsOrder | StopOrder
WorkerMessage = TaskOutcome | TaskStarted | WorkerBeat | MetricRow
