"""The worker pool the runner drives: the ``WorkerPool`` protocol, the handle it keeps per
worker, and ``PoolBook``, the bookkeeping both implementations share — per-worker order
channels, one shared message channel, which tasks each worker holds, and each worker's
share of every provider's concurrency cap (``shares.py``) with the backlog beyond it.

Two implementations: ``process_pool.ProcessPool`` (real worker processes, what runs) and
``inprocess_pool.InProcessPool`` (the same worker loop on threads, for unit tests that step
the runner)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from scribe_tui.engine.channels import Channel
from scribe_tui.engine.shares import backlog, even_split, grant_shares
from scribe_tui.engine.worker_protocol import (CancelOrder, HoldOffOrder, Order, ReturnWaitingOrder, SlotsOrder, StopOrder,
                                               TaskOrder, WorkerMessage)

log = structlog.get_logger("scribe_tui.pool")


class WorkerProcess(Protocol):
    """What the pool needs of a running worker (``multiprocessing.Process`` has it)."""

    @property
    def pid(self) -> int | None: ...

    @property
    def exitcode(self) -> int | None: ...

    def is_alive(self) -> bool: ...

    def kill(self) -> None: ...

    def join(self, timeout: float | None = None) -> None: ...


@dataclass
class WorkerHandle:
    worker_id: str
    process: WorkerProcess
    orders: Channel[Order]
    started_at: float
    last_beat: float
    tasks: dict[int, TaskOrder] = field(default_factory=dict)  # task_id -> order in flight
    done: int = 0
    stopping: bool = False
    on_wire: int = 0  # requests on the wire, from the worker's last heartbeat
    beating: bool = False  # has sent a heartbeat; until then it is starting up (importing)
    shares: dict[str, int] = field(default_factory=dict)  # provider -> chunks it may have at it at once
    ceilings: dict[str, int] = field(default_factory=dict)  # provider -> the most it may be running now

    @property
    def pid(self) -> int:
        return self.process.pid or 0

    @property
    def in_flight(self) -> int:
        return len(self.tasks)

    def held(self, provider: str) -> int:
        return sum(1 for order in self.tasks.values() if order.provider == provider)

    def room(self, provider: str) -> int:
        """Orders for ``provider`` it can take now: its share, its backlog, less what it holds."""
        share = self.shares.get(provider, 0)
        return share + backlog(share) - self.held(provider)


class WorkerPool(Protocol):
    """The runner's view of its workers; times are the runner's clock."""

    events: Channel[WorkerMessage]
    workers: dict[str, WorkerHandle]

    def spawn(self, now: float) -> WorkerHandle: ...
    def retire(self, handle: WorkerHandle, grace_s: float) -> None: ...
    def kill(self, handle: WorkerHandle) -> dict[int, TaskOrder]: ...
    def stop_all(self, grace_s: float, *, release_waiting: bool = False) -> None: ...
    def share_out(self, caps: dict[str, int]) -> None: ...
    def return_waiting(self) -> None: ...
    def hold_off(self, provider: str, until: float) -> None: ...
    def room(self, provider: str) -> int: ...
    def join_all(self, timeout: float) -> None: ...
    def close(self) -> None: ...
    def active(self) -> list[WorkerHandle]: ...
    def assign(self, order: TaskOrder) -> WorkerHandle | None: ...
    def cancel(self, task_ids: set[int]) -> list[int]: ...
    def finished(self, worker_id: str, task_id: int) -> TaskOrder | None: ...
    def in_flight(self) -> int: ...
    def in_flight_by_provider(self) -> dict[str, int]: ...


class PoolBook:
    """Everything a pool does except starting a worker, which subclasses provide."""

    events: Channel[WorkerMessage]

    def __init__(self) -> None:
        self.workers: dict[str, WorkerHandle] = {}
        self._serial = 0

    def _launch(self, worker_id: str, orders: Channel[Order]) -> WorkerProcess:
        raise NotImplementedError

    def _new_channel(self) -> Channel[Order]:
        raise NotImplementedError

    # ---- lifecycle ----------------------------------------------------------------------
    def spawn(self, now: float) -> WorkerHandle:
        self._serial += 1
        worker_id = f"w{self._serial}"
        orders = self._new_channel()
        process = self._launch(worker_id, orders)
        handle = WorkerHandle(worker_id, process, orders, started_at=now, last_beat=now)
        self.workers[worker_id] = handle
        log.info("worker started", worker_id=worker_id, pid=process.pid)
        return handle

    def retire(self, handle: WorkerHandle, grace_s: float) -> None:
        """Ask a worker to finish the chunks it has at a provider and exit (scaling down); its
        backlog is dropped at once, to go to the others."""
        handle.stopping = True
        self._put(handle, StopOrder(grace_s=grace_s, release_waiting=True))

    def kill(self, handle: WorkerHandle) -> dict[int, TaskOrder]:
        """Kill a worker at once; returns the tasks it held so they can be requeued."""
        if handle.process.is_alive():
            handle.process.kill()
        handle.process.join(timeout=2)
        return self.forget(handle)

    def forget(self, handle: WorkerHandle) -> dict[int, TaskOrder]:
        self.workers.pop(handle.worker_id, None)
        handle.orders.close()
        tasks, handle.tasks = handle.tasks, {}
        return tasks

    def stop_all(self, grace_s: float, *, release_waiting: bool = False) -> None:
        for handle in list(self.workers.values()):
            self._put(handle, StopOrder(grace_s=grace_s, release_waiting=release_waiting))

    def join_all(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for handle in list(self.workers.values()):
            handle.process.join(timeout=max(0.0, deadline - time.monotonic()))
        for handle in list(self.workers.values()):
            if handle.process.is_alive():
                handle.process.kill()
                handle.process.join(timeout=2)

    def close(self) -> None:
        for handle in list(self.workers.values()):
            self.forget(handle)
        self.events.close()

    # ---- work ---------------------------------------------------------------------------
    def active(self) -> list[WorkerHandle]:
        """Workers taking new orders. Liveness is the runner's health check (every quarter
        second, which replaces the dead); checking it here cost a waitpid per dispatch."""
        return [h for h in self.workers.values() if not h.stopping]

    def share_out(self, caps: dict[str, int]) -> None:
        """Split each provider's cap among the workers taking orders and tell every worker
        whose share changed (before any order that relies on it)."""
        active = self.active()
        for provider, cap in caps.items():
            targets = even_split(cap, [h.worker_id for h in active])
            running = {h.worker_id: min(h.held(provider), h.ceilings.get(provider, 0)) for h in self.workers.values()}
            grants = grant_shares(cap, targets, running)
            for handle in self.workers.values():
                share = grants.get(handle.worker_id, 0)
                handle.ceilings[provider] = max(share, running[handle.worker_id])
                if handle.shares.get(provider) != share and not handle.stopping:
                    handle.shares[provider] = share
                    self._put(handle, SlotsOrder({provider: share}))

    def room(self, provider: str) -> int:
        """Orders for ``provider`` the workers can take now (shares and backlogs not yet full)."""
        return sum(max(0, handle.room(provider)) for handle in self.active())

    def assign(self, order: TaskOrder) -> WorkerHandle | None:
        """Give the order to the live worker with the most room for its provider."""
        candidates = [h for h in self.active() if h.room(order.provider) > 0]
        if not candidates:
            return None
        handle = max(candidates, key=lambda h: (h.room(order.provider), -h.in_flight, h.worker_id))
        handle.tasks[order.task_id] = order
        self._put(handle, order)
        return handle

    def return_waiting(self) -> None:
        """Every worker gives back the chunks it holds but has not sent (dispatch paused)."""
        for handle in self.active():
            self._put(handle, ReturnWaitingOrder())

    def hold_off(self, provider: str, until: float) -> None:
        """Every worker sends ``provider`` nothing before ``until`` (one of them got a 429)."""
        for handle in self.active():
            self._put(handle, HoldOffOrder(provider, until))

    def cancel(self, task_ids: set[int]) -> list[int]:
        cancelled = []
        for handle in self.workers.values():
            mine = tuple(t for t in task_ids if t in handle.tasks)
            if mine:
                self._put(handle, CancelOrder(mine))
                for task_id in mine:
                    handle.tasks.pop(task_id, None)
                cancelled.extend(mine)
        return cancelled

    def finished(self, worker_id: str, task_id: int) -> TaskOrder | None:
        """The order a worker reported on, or None if it was cancelled or reassigned meanwhile."""
        handle = self.workers.get(worker_id)
        return handle.tasks.pop(task_id, None) if handle else None

    def in_flight(self) -> int:
        return sum(h.in_flight for h in self.workers.values())

    def in_flight_by_provider(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for handle in self.workers.values():
            for order in handle.tasks.values():
                counts[order.provider] = counts.get(order.provider, 0) + 1
        return counts

    def _put(self, handle: WorkerHandle, message: Order) -> None:
        if not handle.orders.put(message):
            log.warning("could not reach worker", worker_id=handle.worker_id)
