"""Dispatch: lease runnable chunks into the workers' room — each worker's share of a
provider's cap plus a backlog, so a slot that frees up is refilled inside the worker — route
each to its provider (or a fallback), and hand it to a worker. When nothing is runnable it
idles until the store's next wake-up (at most half a second), unless woken. With --max-cost a
chunk's estimated cost is reserved as it is dispatched (engine/budget.py): a chunk in a
worker's backlog is not sent yet, but it is already counted against the cap."""

from __future__ import annotations

import math
from collections.abc import Callable

from scribe_tui.config import Settings
from scribe_tui.engine import api
from scribe_tui.engine.budget import Budget
from scribe_tui.engine.pool import WorkerPool
from scribe_tui.engine.provider_view import ProviderView
from scribe_tui.engine.recorder import OutcomeRecorder
from scribe_tui.engine.routing import Router
from scribe_tui.engine.shares import backlog
from scribe_tui.engine.worker_protocol import TaskOrder
from scribe_tui.providers.base import TranslationRequest
from scribe_tui.store import JobStoreAPI, LeasedTask, StoreError, TaskDefer, TaskFail

LEASE_BATCH = 256
IDLE_S = 0.5  # with nothing runnable, look again after this (or at the store's next wake-up)
FULL_S = 0.05  # with every slot taken, look again after this (results wake it sooner)
BUDGET_FULL_S = 1.0  # with the --max-cost budget reserved, look again after this (results wake it sooner)


class Dispatcher:
    def __init__(self, settings: Settings, pool: WorkerPool, router: Router, providers: ProviderView,
                 recorder: OutcomeRecorder, emit: Callable[[api.Event], None], *, owner: str,
                 budget: Budget | None = None):
        self.settings = settings
        self.pool = pool
        self.router = router
        self.providers = providers
        self.recorder = recorder
        self.emit = emit
        self.owner = owner
        self.budget = budget
        self.idle_until = 0.0

    def wake(self) -> None:
        """Something changed (results, new work, a resume): look for work at the next step."""
        self.idle_until = 0.0

    def dispatch(self, store: JobStoreAPI, now: float) -> None:
        if now < self.idle_until:
            return
        caps = {name: self.providers.concurrency_cap(name) for name in self.router.usable}  # AIMD, shared
        self.pool.share_out(caps)
        free = {name: self.pool.room(name) for name in self.router.usable}
        limit = min(LEASE_BATCH, sum(free.values()))
        if limit <= 0 or not self.pool.active():
            return
        if limit < self._refill_at(caps) and self.pool.in_flight():
            return  # every worker still has half its backlog: lease a batch later, not a chunk now
        leased = store.lease(self.owner, limit, self.settings.engine.lease_s, now=now)
        if not leased:
            wake = store.next_wakeup(now=now)
            self.idle_until = min(now + IDLE_S, wake) if wake else now + IDLE_S
            return
        self._route(store, leased, free, now)

    def _refill_at(self, caps: dict[str, int]) -> int:
        """Room worth a lease transaction: half the workers' backlogs. A free slot never waits
        for it — the other half of the backlog is there to start at once."""
        held_back = sum(backlog(handle.shares.get(name, 0)) for handle in self.pool.active() for name in caps)
        return max(1, held_back // 2)

    def _route(self, store: JobStoreAPI, leased: list[LeasedTask], free: dict[str, int], now: float) -> None:
        blocked = self.providers.blocked_until(now)
        release: list[int] = []
        deferred: list[TaskDefer | TaskFail] = []
        for task in leased:
            provider, until = self.router.choose(task.provider, blocked, now)
            if provider is None:
                deferred.append(self._blocked_result(task, until, now))
                continue
            if free.get(provider, 0) <= 0 or not self._reserve(task, provider):
                release.append(task.task_id)
                continue
            free[provider] -= 1
            order = TaskOrder(task_id=task.task_id, job_id=task.job_id, chunk_index=task.chunk_index,
                              language=task.language, provider=provider, text=task.text, context=task.context,
                              meta=dict(task.meta), attempt=task.attempts)
            if self.pool.assign(order) is None:
                release.append(task.task_id)
                if self.budget is not None:
                    self.budget.forget([task.task_id])
        self.recorder.writes.results.extend(deferred)  # recorded with the next batch
        if release:
            # capacity (or the --max-cost budget) is full; results free it and wake dispatch
            self.idle_until = now + (BUDGET_FULL_S if self.budget is not None and self.budget.in_flight else FULL_S)
            try:
                store.release(self.owner, release)  # at once: given to the next batch, they would wake dispatch
            except StoreError:
                self.recorder.release(release)  # kept until the store takes it
                raise

    def _reserve(self, task: LeasedTask, provider: str) -> bool:
        """With --max-cost: reserve the chunk's estimated cost, or hold it back (engine/budget.py)."""
        budget = self.budget
        if budget is None:
            return True
        if budget.reached:
            return False
        request = TranslationRequest(text=task.text, target_language=task.language, context=task.context)
        if budget.try_reserve(task.task_id, provider, request):
            return True
        budget.keep_only({t for handle in self.pool.workers.values() for t in handle.tasks})
        if budget.reached:
            self.emit(api.Notice(level="warning", message=f"{budget.stopped_message()}; the rest stays queued"))
        return False

    def _blocked_result(self, task: LeasedTask, until: float, now: float) -> TaskDefer | TaskFail:
        reason = self.providers.reason(task.provider, now)
        if math.isinf(until):
            if self.providers.disabled(task.provider):  # the reason says it all, in words
                message, error_class = f"{reason}; fix it and run `scribe-tui jobs retry --failed`", ""
            else:
                message, error_class = f"no usable provider: {reason}", "ProviderUnavailable"
            self.emit(api.JobFinished(job_id=task.job_id, status="failed", output_path=None, error=message))
            return TaskFail(task.task_id, error_class=error_class, message=message, attempt=task.attempts)
        self.recorder.note_wait(task.provider, until, reason)
        return TaskDefer(task.task_id, until=until, reason=reason, attempt=task.attempts)
