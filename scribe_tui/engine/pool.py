"""The worker processes: spawning, per-worker order queues, one shared event queue,
liveness (exit and heartbeat age), and which tasks each worker holds."""

from __future__ import annotations

import multiprocessing as mp
import time
from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from scribe_tui.engine.worker import WorkerSpec, drain_queue, worker_main
from scribe_tui.engine.worker_protocol import CancelOrder, StopOrder, TaskOrder

log = structlog.get_logger("scribe_tui.pool")


@dataclass
class WorkerHandle:
    worker_id: str
    process: Any
    orders: Any
    started_at: float
    last_beat: float
    tasks: dict[int, TaskOrder] = field(default_factory=dict)  # task_id -> order in flight
    done: int = 0
    stopping: bool = False
    on_wire: int = 0  # requests on the wire, from the worker's last heartbeat

    @property
    def pid(self) -> int:
        return self.process.pid or 0

    @property
    def in_flight(self) -> int:
        return len(self.tasks)


class WorkerPool:
    def __init__(self, base_spec: WorkerSpec):
        self.ctx = mp.get_context("spawn")
        self.base_spec = base_spec
        self.events = self.ctx.Queue()
        self.workers: dict[str, WorkerHandle] = {}
        self.restarts = 0
        self._serial = 0

    # ---- lifecycle ----------------------------------------------------------------------
    def spawn(self) -> WorkerHandle:
        self._serial += 1
        worker_id = f"w{self._serial}"
        orders = self.ctx.Queue()
        spec = replace(self.base_spec, worker_id=worker_id)
        process = self.ctx.Process(target=worker_main, args=(spec, orders, self.events), name=f"scribe-{worker_id}", daemon=True)
        process.start()
        now = time.monotonic()
        handle = WorkerHandle(worker_id, process, orders, started_at=now, last_beat=now)
        self.workers[worker_id] = handle
        log.info("worker started", worker_id=worker_id, pid=process.pid)
        return handle

    def retire(self, handle: WorkerHandle, grace_s: float) -> None:
        """Ask a worker to finish its in-flight chunks and exit (scaling down)."""
        handle.stopping = True
        self._put(handle, StopOrder(grace_s=grace_s))

    def kill(self, handle: WorkerHandle) -> dict[int, TaskOrder]:
        """Kill a worker at once; returns the tasks it held so they can be requeued."""
        if handle.process.is_alive():
            handle.process.kill()
        handle.process.join(timeout=2)
        return self.forget(handle)

    def forget(self, handle: WorkerHandle) -> dict[int, TaskOrder]:
        self.workers.pop(handle.worker_id, None)
        drain_queue(handle.orders)
        handle.orders.close()
        handle.orders.cancel_join_thread()
        tasks, handle.tasks = handle.tasks, {}
        return tasks

    def stop_all(self, grace_s: float) -> None:
        for handle in list(self.workers.values()):
            self._put(handle, StopOrder(grace_s=grace_s))

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
        drain_queue(self.events)
        self.events.close()
        self.events.cancel_join_thread()

    # ---- work ---------------------------------------------------------------------------
    def active(self) -> list[WorkerHandle]:
        """Workers taking new orders. Liveness is the runner's health check (every quarter
        second, which replaces the dead); checking it here cost a waitpid per dispatch."""
        return [h for h in self.workers.values() if not h.stopping]

    def assign(self, order: TaskOrder) -> WorkerHandle | None:
        """Give the order to the least-loaded live worker."""
        candidates = self.active()
        if not candidates:
            return None
        handle = min(candidates, key=lambda h: (h.in_flight, h.worker_id))
        handle.tasks[order.task_id] = order
        self._put(handle, order)
        return handle

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

    def _put(self, handle: WorkerHandle, message: Any) -> None:
        try:
            handle.orders.put(message)
        except (OSError, ValueError):
            log.warning("could not reach worker", worker_id=handle.worker_id)
