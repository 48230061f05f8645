"""The supervisor's control loop. ``step(now)`` is one iteration — take the workers'
messages, record results in one batch, write finished outputs, housekeep when due (commands
from the store, worker health, lease renewal, autoscaling, heartbeats, the drained check) and
dispatch — so a test can drive it with its own clock, as huey's tests drive its consumer.
``run`` is the thread body: start, step until stopped, shut down."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable

import structlog

from scribe_tui.config import Settings
from scribe_tui.engine import api
from scribe_tui.engine.autoscale import ProviderDemand, autoscale_target, step_toward
from scribe_tui.engine.budget import Budget
from scribe_tui.engine.cluster import HOST, host_key, is_shared, supervisor_key
from scribe_tui.engine.dispatch import Dispatcher
from scribe_tui.engine.pool import WorkerHandle, WorkerPool
from scribe_tui.engine.provider_view import ProviderView
from scribe_tui.engine.recorder import OutcomeRecorder
from scribe_tui.engine.routing import Router
from scribe_tui.engine.totals import RunTotals
from scribe_tui.engine.worker_protocol import TaskOutcome, TaskStarted, WorkerBeat, WorkerMessage
from scribe_tui.engine.writer import OutputWriter
from scribe_tui.errors import ScribeError
from scribe_tui.store import JobStoreAPI, MetricRow, StoreError, StoreUnavailable, open_store

log = structlog.get_logger("scribe_tui.supervisor")

PUMP_BATCH = 2000
HOUSEKEEPING_S = 0.25
BATCH_WINDOW_S = 0.005  # after a first message, wait this long so results are recorded in batches
LOOP_WAIT_S = 0.02  # how long the loop waits for a worker message before stepping anyway
SCALE_EVERY_S = 2.0
STARTUP_GRACE_S = 60.0  # a spawned worker's first heartbeat may take this long on a busy machine
STORE_RETRY_S = 1.0  # while the store fails, try it again this often (messages are still taken)


class StoreOutage(ScribeError):
    """The job store could not be written for longer than engine.store_outage_s: the run stops."""


class Runner:
    def __init__(self, settings: Settings, pool: WorkerPool, router: Router, providers: ProviderView,
                 emit: Callable[[api.Event], None], *, owner: str, max_cost_usd: float | None,
                 fixed_workers: int | None, clock: Callable[[], float] = time.time):
        self.settings = settings
        self.pool = pool
        self.router = router
        self.providers = providers
        self.emit = emit
        self.owner = owner
        self.fixed_workers = fixed_workers
        self.shared = is_shared(settings.store_url)  # other machines' supervisors drain the same queue
        self.clock = self._store_clock if self.shared and clock is time.time else clock
        self._clock_offset = 0.0  # a shared store: the database's clock minus ours, measured each heartbeat
        self.stop_event = threading.Event()
        self._abort = threading.Event()
        self._release_waiting = False
        self.drained = threading.Event()
        self._drain_lock = threading.Lock()
        self._wakes = 0  # wake() calls so far: a drained check spanning one is void
        self._wakes_seen = 0
        self.paused = False
        self.target_workers = fixed_workers or 1
        self.parked = 0
        self._next_housekeeping = 0.0
        self._next_renew = 0.0
        self._next_scale = 0.0
        self._next_beat = 0.0
        self._cancels_seen: set[int] = set()
        self._store_down_since: float | None = None
        self._store_retry_at = 0.0
        self._store_given_up = False  # shutting down: a store write failed, skip the others
        self.error: BaseException | None = None
        self.store: JobStoreAPI | None = None
        self.writer = OutputWriter(settings.resolved_data_dir(), emit, settings)
        self.budget = Budget(max_cost_usd, settings) if max_cost_usd is not None else None
        self.recorder = OutcomeRecorder(settings, pool, router, providers, emit, budget=self.budget)
        self.dispatcher = Dispatcher(settings, pool, router, providers, self.recorder, emit, owner=owner,
                                     budget=self.budget)

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

    def wake(self) -> None:
        """New work was enqueued: look for it at the next step, and let no drained check made
        before it stand (safe from any thread)."""
        with self._drain_lock:
            self._wakes += 1
            self.drained.clear()
        self.dispatcher.wake()

    def request_stop(self, *, release_waiting: bool = False) -> None:
        """End the loop; in-flight chunks get the shutdown grace. With ``release_waiting``,
        chunks whose provider call has not started are given back at once (a quick quit)."""
        self._release_waiting = self._release_waiting or release_waiting
        self.stop_event.set()

    def abort(self) -> None:
        """Stop now (a second quit): workers are killed, in-flight chunks go back to the queue
        and are sent again by the next run. Safe from any thread."""
        self._abort.set()
        self.stop_event.set()

    # ---- thread body --------------------------------------------------------------------
    def run(self) -> None:
        try:
            self.start()
            while not self.stop_event.is_set():
                first = self.pool.events.get(timeout=LOOP_WAIT_S)
                if first is not None:
                    time.sleep(BATCH_WINDOW_S)
                self.step(self.clock(), first)
        except BaseException as exc:  # keep the process alive to report it; leases are released below
            self._failed(exc)
        finally:
            try:
                self.shutdown()
            except BaseException as exc:  # a second failure: still stop (shutdown set 'drained')
                if self.error is None:
                    self._failed(exc)
                else:
                    log.exception("shutting down after an error failed too")

    def _failed(self, exc: BaseException) -> None:
        self.error = exc
        if isinstance(exc, StoreOutage | StoreUnavailable):
            log.error("stopping: the job store is unavailable", reason=str(exc))
            self.emit(api.Notice(level="error", message=str(exc)))
        else:
            log.exception("supervisor loop crashed")
            self.emit(api.Notice(level="error", message=f"supervisor error: {type(exc).__name__}: {exc}"))

    def start(self) -> None:
        """Open the store, take back every stale lease, start the first workers."""
        store = self.store = open_store(self.settings.store_url, self.settings.resolved_data_dir())
        # Alone on the store (we hold its lock), every lease is stale; on a shared store only
        # the expired ones are: other machines' supervisors hold the rest.
        released = store.reclaim_expired(now=None if self.shared else math.inf)
        if released:
            log.info("released stale leases", count=released)
        self._remove_own_workers(store)
        self._sync_clock(store)
        self._finish_translated_jobs(store)
        now = self.clock()
        for _ in range(self.fixed_workers or 1):
            self._spawn(now)

    def step(self, now: float, first: WorkerMessage | None = None) -> None:
        """One iteration at time ``now`` (epoch seconds): ``first`` and every message already
        waiting, then recording, housekeeping when due, and dispatch."""
        store = self._store()
        if first is not None:
            self._handle(first, now)
        self._pump(now)
        if now < self._store_retry_at:
            return  # the store is failing: keep what the workers report in memory, try again soon
        try:
            if self._store_down_since is not None:
                store.clock()  # the outage ends when the store answers, not when a flush had nothing to record
            self._flush(store, now)
            if now >= self._next_housekeeping:
                self._housekeeping(store, now)
            if not (self.paused or self.budget_reached or self.stop_event.is_set()):
                self.dispatcher.dispatch(store, now)
        except StoreError as error:
            self._store_failed(error, now)
        else:
            self._store_recovered()

    def _store_failed(self, error: StoreError, now: float) -> None:
        """Keep every result in memory and retry; stop the run once the outage lasts too long."""
        if self._store_down_since is None:
            self._store_down_since = now
            log.warning("job store unavailable; results kept in memory", error=str(error))
            self.emit(api.Notice(level="warning", message=(
                f"the job store cannot be written ({error}); results are kept in memory and retried")))
        self._store_retry_at = now + STORE_RETRY_S
        down_for = now - self._store_down_since
        if self.shared and down_for >= self.settings.engine.lease_s:  # other machines may take the work now
            raise StoreUnavailable(
                f"the job store was unreachable for {down_for:.0f} s, longer than the leases: {error} "
                "(replies already received are cached and will not be paid for again)") from None
        if down_for >= self.settings.engine.store_outage_s:
            raise StoreOutage(f"stopped: the job store could not be written for {down_for:.0f} s ({error}); "
                              "translations already paid for are in the cache and the next run records them")

    def _store_recovered(self) -> None:
        if self._store_down_since is not None:
            log.info("job store available again", pending=len(self.recorder.writes.results))
            self.emit(api.Notice(level="info", message="the job store works again; results recorded"))
        self._store_down_since = None

    def _store(self) -> JobStoreAPI:
        if self.store is None:
            raise RuntimeError("the runner is not started")
        return self.store

    def _finish_translated_jobs(self, store: JobStoreAPI) -> None:
        """Jobs whose every chunk was recorded but whose output is not written yet (a crash
        between the two, a retried write failure): write them now."""
        for job_id in store.ready_to_assemble():
            self.writer.submit(job_id)

    # ---- messages from workers ----------------------------------------------------------
    def _pump(self, now: float) -> None:
        """Handle the messages waiting now (at most PUMP_BATCH, so the loop keeps moving)."""
        for _ in range(PUMP_BATCH):
            message = self.pool.events.get(timeout=0)
            if message is None:
                return
            self._handle(message, now)

    def _handle(self, message: WorkerMessage, now: float) -> None:
        match message:
            case TaskOutcome():
                self.recorder.on_outcome(message, now)
            case MetricRow():
                self.recorder.on_metric(message)
            case WorkerBeat(worker_id=worker_id, done=done, on_wire=on_wire):
                if (handle := self.pool.workers.get(worker_id)) is not None:
                    handle.last_beat = now
                    handle.beating = True
                    handle.done = done
                    handle.on_wire = on_wire
            case TaskStarted(worker_id=worker_id, task_id=task_id):
                handle = self.pool.workers.get(worker_id)
                order = handle.tasks.get(task_id) if handle else None
                if order is not None:
                    self.emit(api.ChunkStarted(job_id=order.job_id, task_id=order.task_id,
                                               chunk_index=order.chunk_index, worker_id=worker_id,
                                               provider=order.provider))

    # ---- recording ----------------------------------------------------------------------
    def _flush(self, store: JobStoreAPI, now: float) -> None:
        """Write the pending results, metric rows and releases; each list is cleared only once
        the store took it, so a failing store (StoreError) loses none of it."""
        writes = self.recorder.writes
        if writes.metrics:
            store.record_metrics(writes.metrics)
            writes.metrics.clear()
        if writes.releases:
            store.release(self.owner, writes.releases)  # back to the queue, no attempt burnt
            writes.releases.clear()
            self.dispatcher.wake()
        if not writes.results:
            return
        ready = store.record_results(writes.results, max_attempts=self.settings.max_attempts, now=now,
                                     owner=self.owner)
        writes.results.clear()
        self.dispatcher.wake()  # something changed: look for work again at once
        for job_id in ready:
            self.writer.submit(job_id)

    # ---- housekeeping -------------------------------------------------------------------
    def _housekeeping(self, store: JobStoreAPI, now: float) -> None:
        self._next_housekeeping = now + HOUSEKEEPING_S
        self._read_commands(store)
        self._check_workers(store, now)
        if now >= self._next_renew:
            self._next_renew = now + self.settings.engine.lease_s / 3
            store.renew(self.owner, None, self.settings.engine.lease_s, now=now)
            if self.shared and store.reclaim_expired():  # a supervisor elsewhere died holding work
                self.dispatcher.wake()
        if now >= self._next_scale:
            self._next_scale = now + SCALE_EVERY_S
            self._autoscale(store, now)
            self._finish_translated_jobs(store)  # e.g. a failed write retried from another process
        if now >= self._next_beat:  # the store's view of the pool, for monitors: once per heartbeat
            self._next_beat = now + self.settings.engine.heartbeat_s
            self._record_heartbeats(store, now)
        self._check_drained(store, now)

    def _read_commands(self, store: JobStoreAPI) -> None:
        paused = bool(store.get_control("paused", False)) or (self.shared and bool(store.get_control(host_key("paused"))))
        if paused != self.paused:
            self.paused = paused
            self.emit(api.Notice(level="info", message="dispatch paused" if paused else "dispatch resumed"))
            self.dispatcher.wake()
            if paused:
                self.pool.return_waiting()  # the backlogs too: nothing more goes out
        target = store.get_control(host_key("target_workers")) if self.shared else None
        target = store.get_control("target_workers") if target is None else target
        if isinstance(target, int) and target != self.fixed_workers:
            self.fixed_workers = max(1, min(target, self.settings.engine.max_workers * 4))
        # A cancel is acted on when two ticks in a row see it: a retry that follows within a
        # tick finds its chunks still running, instead of aborted and sent again (paid twice).
        cancelled = set(store.cancelled_in_flight(self.owner))
        confirmed, self._cancels_seen = cancelled & self._cancels_seen, cancelled
        if confirmed:
            self.pool.cancel(confirmed)
            store.release(self.owner, confirmed)  # no-op for cancelled tasks; frees the lease rows

    def _check_workers(self, store: JobStoreAPI, now: float) -> None:
        timeout = self.settings.engine.heartbeat_timeout_s
        for handle in list(self.pool.workers.values()):
            alive = handle.process.is_alive()
            allowed = timeout if handle.beating else max(timeout, STARTUP_GRACE_S)  # still importing
            if alive and now - handle.last_beat <= allowed:
                continue
            if alive:
                log.warning("worker stopped heartbeating; killing it", worker_id=handle.worker_id)
            self._replace(store, handle, now)

    def _replace(self, store: JobStoreAPI, handle: WorkerHandle, now: float) -> None:
        exitcode = handle.process.exitcode
        tasks = self.pool.kill(handle)
        if self.budget is not None:
            self.budget.forget(tasks)
        self.recorder.release(list(tasks))  # back to the queue with the next batch, no attempt burnt
        replaced = not handle.stopping and not self.stop_event.is_set()
        if replaced:
            self.totals.worker_restarts += 1
            log.warning("worker died; replacing it", worker_id=handle.worker_id, exitcode=exitcode, requeued=len(tasks))
        self.emit(api.WorkerExited(worker_id=handle.worker_id, pid=handle.pid, exitcode=exitcode, replaced=replaced))
        if replaced:
            self._spawn(now)
        store.remove_worker(handle.worker_id)

    def _spawn(self, now: float) -> None:
        handle = self.pool.spawn(now)
        self.emit(api.WorkerStarted(worker_id=handle.worker_id, pid=handle.pid))

    def _autoscale(self, store: JobStoreAPI, now: float) -> None:
        active = self.pool.active()
        if self.fixed_workers is not None:
            target = self.fixed_workers
        else:
            runnable = store.runnable_count(now)
            target = autoscale_target(current=len(active), max_workers=self.settings.engine.max_workers,
                                      runnable=runnable, in_flight=self.pool.in_flight(),
                                      providers=self._demands(), rate_limited_now=self.providers.any_paused(now))
            target = step_toward(len(active), target)
        self.target_workers = target
        if len(active) < target:
            for _ in range(target - len(active)):
                self._spawn(now)
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

    def _store_clock(self) -> float:
        """A shared store's time: leases, heartbeats and wake-ups are on the database's clock, so
        that machines whose clocks disagree still agree on when a lease expires."""
        return time.time() + self._clock_offset

    def _sync_clock(self, store: JobStoreAPI) -> None:
        if self.shared:
            self._clock_offset = store.clock() - time.time()

    def _record_heartbeats(self, store: JobStoreAPI, now: float) -> None:
        self._sync_clock(store)
        for handle in self.pool.workers.values():
            # in flight = requests on the wire; chunks held for a limit make the worker "waiting"
            on_wire = min(handle.on_wire, handle.in_flight)
            state = "stopping" if handle.stopping else ("busy" if on_wire else "waiting" if handle.in_flight else "idle")
            store.heartbeat(handle.worker_id, pid=handle.pid, state=state, in_flight=on_wire,
                            restarts=self.totals.worker_restarts, done_count=handle.done, now=handle.last_beat)
        store.set_control(supervisor_key(self.shared), {
            "pid": os.getpid(), "host": HOST, "owner": self.owner, "heartbeat_at": now,
            "target_workers": self.target_workers, "paused": self.paused})

    def _check_drained(self, store: JobStoreAPI, now: float) -> None:
        self._wakes_seen = self._wakes
        if self.pool.in_flight() or self.recorder.pending or self.paused or self.writer.busy:
            self.drained.clear()
            return
        if self.budget_reached:
            self._set_drained(store.unfinished_jobs())
            return
        if store.runnable_count(now) > 0 or (self.shared and store.task_counts()["leased"] > 0):
            self.drained.clear()  # on a shared store, work another machine holds may come back to us
            return
        wake = store.next_wakeup(now)
        if wake is None:
            self._set_drained(0)
        elif wake - now > self.settings.retry.park_after_s:
            self._set_drained(store.unfinished_jobs())
        else:
            self.drained.clear()

    def _set_drained(self, parked: int) -> None:
        with self._drain_lock:
            if self.drained.is_set() or self._wakes != self._wakes_seen:
                return  # already said, or new work came while we looked
            self.parked = parked
            self.drained.set()
        self.emit(api.Drained(parked=parked))

    # ---- shutdown -----------------------------------------------------------------------
    def shutdown(self) -> None:
        """Let workers finish in-flight chunks within the grace period, record what they
        report, release every lease still held, close the store; always sets ``drained``."""
        store, self.store = self.store, None
        try:
            if store is not None:
                self._wind_down(store)
        finally:
            if store is not None:
                store.close()
            self.drained.set()

    def _wind_down(self, store: JobStoreAPI) -> None:
        grace = self.settings.engine.shutdown_grace_s
        self.pool.stop_all(grace, release_waiting=self._release_waiting)
        self._receive(store, timeout=0.0)  # the heartbeats already sent
        for handle in [h for h in self.pool.workers.values() if not h.beating]:
            self.recorder.release(list(self.pool.kill(handle)))  # still starting up: nothing of it was sent
        deadline = time.monotonic() + grace + 1.0
        while self.pool.in_flight() and time.monotonic() < deadline and not self._abort.is_set():
            self._receive(store, timeout=0.05)
        if self._abort.is_set():
            self.pool.join_all(timeout=0.0)  # kills them
        else:
            self.pool.join_all(timeout=max(0.5, deadline - time.monotonic()))
        self._receive(store, timeout=0.01)
        self.writer.close()
        self.pool.close()
        if self._store_usable(store, lambda: store.release(self.owner, None)):
            self._store_usable(store, lambda: self._forget_pool(store))
        if self.recorder.writes.results:
            log.error("results not recorded: the job store cannot be written; the next run takes them from the cache",
                      results=len(self.recorder.writes.results))

    def _receive(self, store: JobStoreAPI, timeout: float) -> None:
        """Wait up to ``timeout`` for worker messages and record them (shutting down)."""
        first = self.pool.events.get(timeout=timeout)
        now = self.clock()
        if first is not None:
            self._handle(first, now)
        self._pump(now)
        self._store_usable(store, lambda: self._flush(store, now))

    def _store_usable(self, store: JobStoreAPI, write: Callable[[], object]) -> bool:
        """Do one of the shutdown's store writes; after one fails, skip the rest (on a locked
        store each would wait out the busy timeout) — shutting down must end."""
        if self._store_given_up:
            return False
        try:
            write()
        except StoreError as error:
            log.warning("job store unavailable while shutting down", error=str(error))
            self._store_given_up = True
            return False
        return True

    def _forget_pool(self, store: JobStoreAPI) -> None:
        self._remove_own_workers(store)
        store.set_control(supervisor_key(self.shared), None)

    def _remove_own_workers(self, store: JobStoreAPI) -> None:
        for row in store.workers():
            if not self.shared or row.host == HOST:
                store.remove_worker(row.worker_id)
