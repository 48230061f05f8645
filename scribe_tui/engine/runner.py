"""The supervisor's control loop, on its own thread: read worker messages, record results
in batches, write finished outputs, lease and dispatch chunks within each provider's cap,
and keep the pool healthy (replace dead workers, renew leases, autoscale, obey commands
that arrive through the store)."""

from __future__ import annotations

import math
import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import structlog

from scribe_tui.config import Settings
from scribe_tui.engine import api
from scribe_tui.engine.autoscale import ProviderDemand, autoscale_target, step_toward
from scribe_tui.engine.budget import Budget
from scribe_tui.engine.pool import WorkerHandle, WorkerPool
from scribe_tui.engine.provider_view import ProviderView
from scribe_tui.engine.recorder import OutcomeRecorder
from scribe_tui.engine.routing import Router
from scribe_tui.engine.totals import RunTotals
from scribe_tui.engine.worker_protocol import TaskOrder, TaskOutcome, TaskStarted, WorkerBeat
from scribe_tui.engine.writer import OutputWriter
from scribe_tui.providers.base import TranslationRequest
from scribe_tui.store import JobStore, MetricRow, TaskDefer, TaskFail

log = structlog.get_logger("scribe_tui.supervisor")

LEASE_BATCH = 256
PUMP_BATCH = 2000
HOUSEKEEPING_S = 0.25
BATCH_WINDOW_S = 0.005
STARTUP_GRACE_S = 60.0  # a spawned worker's first heartbeat may take this long on a busy machine


class Runner:
    def __init__(self, settings: Settings, pool: WorkerPool, router: Router, providers: ProviderView,
                 emit: Callable[[api.Event], None], *, owner: str, max_cost_usd: float | None,
                 fixed_workers: int | None):
        self.settings = settings
        self.pool = pool
        self.router = router
        self.providers = providers
        self.emit = emit
        self.owner = owner
        self.fixed_workers = fixed_workers
        self.stop_event = threading.Event()
        self.drained = threading.Event()
        self.paused = False
        self.target_workers = fixed_workers or 1
        self.parked = 0
        self._idle_until = 0.0
        self._next_housekeeping = 0.0
        self._next_renew = 0.0
        self._next_scale = 0.0
        self._next_beat = 0.0
        self.error: BaseException | None = None
        self.writer = OutputWriter(settings.resolved_data_dir(), emit)
        self.budget = Budget(max_cost_usd, settings) if max_cost_usd is not None else None
        self.recorder = OutcomeRecorder(settings, pool, router, providers, emit, budget=self.budget)

    @property
    def totals(self) -> RunTotals:
        return self.recorder.totals

    @property
    def budget_reached(self) -> bool:
        return self.budget is not None and self.budget.reached

    @property
    def stop_reason(self) -> str | None:
        """Why dispatch stopped before the queue drained (the --max-cost cap), in words."""
        return self.budget.stopped_message() if self.budget_reached and self.budget else None

    # ---- thread body --------------------------------------------------------------------
    def run(self) -> None:
        store = JobStore.open(self.settings.resolved_data_dir())
        try:
            self._start(store)
            while not self.stop_event.is_set():
                self._pump(timeout=0.02)
                self._flush(store)
                if time.monotonic() >= self._next_housekeeping:
                    self._housekeeping(store)
                self._dispatch(store)
        except BaseException as exc:  # keep the process alive to report it; leases are released below
            self.error = exc
            log.exception("supervisor loop crashed")
            self.emit(api.Notice(level="error", message=f"supervisor error: {type(exc).__name__}: {exc}"))
        finally:
            self._shutdown(store)
            store.close()
            self.drained.set()

    def _start(self, store: JobStore) -> None:
        released = store.reclaim_expired(now=math.inf)  # we hold the lock: every lease is stale
        if released:
            log.info("released stale leases", count=released)
        for row in store.workers():
            store.remove_worker(row.worker_id)
        self._finish_translated_jobs(store)
        for _ in range(self.fixed_workers or 1):
            self._spawn()

    def _finish_translated_jobs(self, store: JobStore) -> None:
        """Jobs whose every chunk was recorded but whose output is not written yet (a crash
        between the two, a retried write failure): write them now."""
        for job_id in store.ready_to_assemble():
            self._finish_job(store, job_id)

    # ---- messages from workers ----------------------------------------------------------
    def _pump(self, timeout: float) -> None:
        """Handle worker messages: wait up to ``timeout`` for the first, then gather whatever
        arrives within BATCH_WINDOW_S so results are recorded a batch per transaction."""
        try:
            message = self.pool.events.get(timeout=timeout)
        except queue.Empty:
            return
        deadline = time.monotonic() + BATCH_WINDOW_S
        for _ in range(PUMP_BATCH):
            self._handle(message)
            remaining = deadline - time.monotonic()
            try:
                message = self.pool.events.get(timeout=remaining) if remaining > 0 else self.pool.events.get_nowait()
            except queue.Empty:
                return

    def _handle(self, message: Any) -> None:
        if isinstance(message, TaskOutcome):
            self.recorder.on_outcome(message)
        elif isinstance(message, MetricRow):
            self.recorder.on_metric(message)
        elif isinstance(message, WorkerBeat):
            if (handle := self.pool.workers.get(message.worker_id)) is not None:
                handle.last_beat = time.monotonic()
                handle.done = message.done
                handle.on_wire = message.on_wire
        elif isinstance(message, TaskStarted):
            handle = self.pool.workers.get(message.worker_id)
            order = handle.tasks.get(message.task_id) if handle else None
            if order is not None:
                self.emit(api.ChunkStarted(job_id=order.job_id, task_id=order.task_id, chunk_index=order.chunk_index,
                                           worker_id=message.worker_id, provider=order.provider))

    # ---- recording ----------------------------------------------------------------------
    def _flush(self, store: JobStore) -> None:
        metrics = self.recorder.take_metrics()
        if metrics:
            store.record_metrics(metrics)
        results = self.recorder.take_results()
        if not results:
            return
        ready = store.record_results(results, max_attempts=self.settings.max_attempts)
        self._idle_until = 0.0  # something changed: look for work again at once
        for job_id in ready:
            self._finish_job(store, job_id)

    def _finish_job(self, store: JobStore, job_id: int) -> None:
        self.writer.submit(job_id)

    # ---- dispatch -----------------------------------------------------------------------
    def _dispatch(self, store: JobStore) -> None:
        if self.paused or self.budget_reached or self.stop_event.is_set():
            return
        now = time.time()
        if now < self._idle_until:
            return
        in_flight = self.pool.in_flight_by_provider()
        caps = {name: self.providers.concurrency_cap(name) for name in self.router.usable}  # AIMD, shared
        free = {name: cap - in_flight.get(name, 0) for name, cap in caps.items()}
        limit = min(LEASE_BATCH, sum(max(0, n) for n in free.values()))
        if limit <= 0 or not self.pool.active():
            return
        capacity = sum(caps.values())
        if limit < max(1, capacity // 4) and sum(in_flight.values()) >= max(1, capacity // 4):
            return  # plenty in flight: lease when a few slots are free, not one transaction per chunk
        leased = store.lease(self.owner, limit, self.settings.engine.lease_s)
        if not leased:
            wake = store.next_wakeup()
            self._idle_until = min(now + 0.5, wake) if wake else now + 0.5
            return
        self._route(store, leased, free, now)

    def _route(self, store: JobStore, leased: list[Any], free: dict[str, int], now: float) -> None:
        blocked = self.providers.blocked_until()
        release: list[int] = []
        deferred: list[TaskDefer | TaskFail] = []
        for task in leased:
            provider, until = self.router.choose(task.provider, blocked, now)
            if provider is None:
                deferred.append(self._blocked_result(task, until))
                continue
            if free.get(provider, 0) <= 0:
                release.append(task.task_id)
                continue
            if not self._reserve(task, provider):
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
        if release:
            store.release(self.owner, release)
            # capacity (or the --max-cost budget) is full; results free it and reset this
            self._idle_until = now + (1.0 if self.budget is not None and self.budget.in_flight else 0.05)
        if deferred:
            store.record_results(deferred, max_attempts=self.settings.max_attempts)

    def _reserve(self, task: Any, provider: str) -> bool:
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

    def _blocked_result(self, task: Any, until: float) -> TaskDefer | TaskFail:
        reason = self.providers.reason(task.provider)
        if math.isinf(until):
            if self.providers.disabled(task.provider):  # the reason says it all, in words
                message, error_class = f"{reason}; fix it and run `scribe-tui jobs retry --failed`", ""
            else:
                message, error_class = f"no usable provider: {reason}", "ProviderUnavailable"
            self.emit(api.JobFinished(job_id=task.job_id, status="failed", output_path=None, error=message))
            return TaskFail(task.task_id, error_class=error_class, message=message)
        self.recorder.note_wait(task.provider, until, reason)
        return TaskDefer(task.task_id, until=until, reason=reason)

    # ---- housekeeping -------------------------------------------------------------------
    def _housekeeping(self, store: JobStore) -> None:
        now = time.monotonic()
        self._next_housekeeping = now + HOUSEKEEPING_S
        self._read_commands(store)
        self._check_workers(store)
        if now >= self._next_renew:
            self._next_renew = now + self.settings.engine.lease_s / 3
            store.renew(self.owner, None, self.settings.engine.lease_s)
        if now >= self._next_scale:
            self._next_scale = now + 2.0
            self._autoscale(store)
            self._finish_translated_jobs(store)  # e.g. a failed write retried from another process
        if now >= self._next_beat:  # the store's view of the pool, for monitors: once per heartbeat
            self._next_beat = now + self.settings.engine.heartbeat_s
            self._record_heartbeats(store)
        self._check_drained(store)

    def _read_commands(self, store: JobStore) -> None:
        paused = bool(store.get_control("paused", False))
        if paused != self.paused:
            self.paused = paused
            self.emit(api.Notice(level="info", message="dispatch paused" if paused else "dispatch resumed"))
            self._idle_until = 0.0
        target = store.get_control("target_workers")
        if isinstance(target, int) and target != self.fixed_workers:
            self.fixed_workers = max(1, min(target, self.settings.engine.max_workers * 4))
        cancelled = store.cancelled_in_flight(self.owner)
        if cancelled:
            self.pool.cancel(set(cancelled))
            store.release(self.owner, cancelled)  # no-op for cancelled tasks; frees the lease rows

    def _check_workers(self, store: JobStore) -> None:
        now = time.monotonic()
        timeout = self.settings.engine.heartbeat_timeout_s
        for handle in list(self.pool.workers.values()):
            alive = handle.process.is_alive()
            starting = handle.last_beat <= handle.started_at  # no heartbeat yet: still importing
            if alive and now - handle.last_beat <= (max(timeout, STARTUP_GRACE_S) if starting else timeout):
                continue
            if alive:
                log.warning("worker stopped heartbeating; killing it", worker_id=handle.worker_id)
            self._replace(store, handle)

    def _replace(self, store: JobStore, handle: WorkerHandle) -> None:
        exitcode = handle.process.exitcode
        tasks = self.pool.kill(handle)
        if self.budget is not None:
            self.budget.forget(tasks)
        if tasks:
            store.release(self.owner, list(tasks))  # back to the queue at once, no attempt burnt
            self._idle_until = 0.0
        store.remove_worker(handle.worker_id)
        replaced = not handle.stopping and not self.stop_event.is_set()
        if replaced:
            self.totals.worker_restarts += 1
            log.warning("worker died; replacing it", worker_id=handle.worker_id, exitcode=exitcode, requeued=len(tasks))
        self.emit(api.WorkerExited(worker_id=handle.worker_id, pid=handle.pid, exitcode=exitcode, replaced=replaced))
        if replaced:
            self._spawn()

    def _spawn(self) -> None:
        handle = self.pool.spawn()
        self.emit(api.WorkerStarted(worker_id=handle.worker_id, pid=handle.pid))

    def _autoscale(self, store: JobStore) -> None:
        active = self.pool.active()
        if self.fixed_workers is not None:
            target = self.fixed_workers
        else:
            runnable = store.runnable_count()
            target = autoscale_target(current=len(active), max_workers=self.settings.engine.max_workers,
                                      runnable=runnable, in_flight=self.pool.in_flight(),
                                      providers=self._demands(), rate_limited_now=self.providers.any_paused())
            target = step_toward(len(active), target)
        self.target_workers = target
        if len(active) < target:
            for _ in range(target - len(active)):
                self._spawn()
        elif len(active) > target:
            for handle in sorted(active, key=lambda h: h.in_flight)[: len(active) - target]:
                self.pool.retire(handle, self.settings.engine.shutdown_grace_s)

    def _demands(self) -> list[ProviderDemand]:
        demands = []
        for name in self.router.usable:
            config = self.settings.providers[name]
            rates = [limit.per_second for limit in config.limits_of("requests")]
            demands.append(ProviderDemand(max_concurrency=config.max_concurrency,
                                          requests_per_s_limit=min(rates) if rates else None))
        return demands

    def _record_heartbeats(self, store: JobStore) -> None:
        now = time.monotonic()
        for handle in self.pool.workers.values():
            # in flight = requests on the wire; chunks held for a limit make the worker "waiting"
            on_wire = min(handle.on_wire, handle.in_flight)
            state = "stopping" if handle.stopping else ("busy" if on_wire else "waiting" if handle.in_flight else "idle")
            store.heartbeat(handle.worker_id, pid=handle.pid, state=state, in_flight=on_wire,
                            restarts=self.totals.worker_restarts, done_count=handle.done,
                            now=time.time() - (now - handle.last_beat))
        store.set_control("supervisor", {"pid": os.getpid(), "owner": self.owner, "heartbeat_at": time.time(),
                                         "target_workers": self.target_workers, "paused": self.paused})

    def _check_drained(self, store: JobStore) -> None:
        if self.pool.in_flight() or self.recorder.pending or self.paused or self.writer.busy:
            self.drained.clear()
            return
        if self.budget_reached:
            self._set_drained(store.unfinished_jobs())
            return
        if store.runnable_count() > 0:
            self.drained.clear()
            return
        wake = store.next_wakeup()
        if wake is None:
            self._set_drained(0)
        elif wake - time.time() > self.settings.retry.park_after_s:
            self._set_drained(store.unfinished_jobs())
        else:
            self.drained.clear()

    def _set_drained(self, parked: int) -> None:
        if not self.drained.is_set():
            self.parked = parked
            self.drained.set()
            self.emit(api.Drained(parked=parked))

    # ---- shutdown -----------------------------------------------------------------------
    def _shutdown(self, store: JobStore) -> None:
        grace = self.settings.engine.shutdown_grace_s
        self.pool.stop_all(grace)
        deadline = time.monotonic() + grace + 1.0
        while self.pool.in_flight() and time.monotonic() < deadline:
            self._pump(timeout=0.05)
            self._flush(store)
        self.pool.join_all(timeout=max(0.5, deadline - time.monotonic()))
        self._pump(timeout=0.01)
        try:
            self._flush(store)
            self.writer.close()
        finally:
            store.release(self.owner, None)
            for row in store.workers():
                store.remove_worker(row.worker_id)
            store.set_control("supervisor", None)
            self.pool.close()
