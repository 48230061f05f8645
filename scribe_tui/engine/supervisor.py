"""The supervisor API: start and stop the engine on a data directory, and the commands and
views both front ends use. The control loop itself lives in ``engine.runner``.

Commands go through the job store (``engine.store_commands``), so a monitor in another process
and this supervisor obey the same path.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import structlog

from scribe_tui.config import Settings
from scribe_tui.engine import api
from scribe_tui.engine.cluster import HOST, HostStoreLock, host_key, is_shared
from scribe_tui.engine.lockfile import SupervisorLock
from scribe_tui.engine.process_pool import ProcessPool
from scribe_tui.engine.retention import purge_expired
from scribe_tui.engine.provider_view import ProviderView
from scribe_tui.engine.routing import Router
from scribe_tui.engine.runner import Runner
from scribe_tui.engine.store_commands import StoreCommands
from scribe_tui.engine.worker import WorkerSpec
from scribe_tui.glossary import load_glossary
from scribe_tui.paths import ensure_private_dir
from scribe_tui.store import UNFINISHED_JOB_STATUSES

log = structlog.get_logger("scribe_tui.supervisor")

EVENT_BACKLOG = 50_000


class Supervisor(StoreCommands):
    """Runs worker processes over the data directory's queue until stopped."""

    attached = False

    def __init__(self, settings: Settings, *, read_cache: bool = True, max_cost_usd: float | None = None,
                 verbose: int = 0):
        super().__init__(settings)
        self.read_cache = read_cache
        self.max_cost_usd = max_cost_usd
        self.verbose = verbose
        self._lock = SupervisorLock(self.data_dir)
        self.shared = is_shared(settings.store_url)
        self._host_lock = HostStoreLock(settings.store_url) if self.shared and settings.store_url else None
        self._events: queue.Queue[api.Event] = queue.Queue(maxsize=EVENT_BACKLOG)
        self._listeners: list = []
        self._demo_backends: dict[str, object] = {}
        self._runner: Runner | None = None
        self._final_totals: dict[str, float] = {}
        self._final_parked = 0
        self._final_stop_reason: str | None = None
        self._final_error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Lock()
        self.owner = f"sup-{HOST}-{os.getpid()}-{int(time.time())}"

    # ---- lifecycle ----------------------------------------------------------------------
    def claim(self) -> None:
        """Take the data directory's lock, and on a shared store this machine's lock for it
        (AlreadyRunning if another supervisor has either), then purge finished jobs past
        ``[retention] days`` (before this run enqueues anything)."""
        if not self._lock.held:
            ensure_private_dir(self.data_dir)
            self._lock.acquire()
            if self._host_lock is not None:
                try:
                    self._host_lock.acquire()
                except BaseException:
                    self._lock.release()
                    raise
            purge_expired(self.store, self.settings)

    def _release_locks(self) -> None:
        if self._host_lock is not None:
            self._host_lock.release()
        self._lock.release()

    def start(self, *, providers: Iterable[str] = ()) -> None:
        """Take the data directory's lock, start demo backends and workers, run the loop.
        ``providers``: ones work is about to be enqueued for (their keys are required too)."""
        glossary = load_glossary(self.settings.glossary.file)  # a broken glossary stops the run before it starts
        self.claim()
        self._clear_disabled_providers()
        # Pause and a worker count set from a UI belong to the run they were given in: a new
        # run starts dispatching, with --workers (or auto), instead of hanging paused. Done
        # before the loop starts so a pause() right after start() is not undone.
        # On a shared store that is this machine's pause and count: the cluster's belong to everyone.
        self.store.set_control(host_key("paused") if self.shared else "paused", False)
        self.store.set_control(host_key("target_workers") if self.shared else "target_workers", None)
        try:
            usable = self._usable_providers(set(providers))
            urls = self._start_demo_backends(usable)
        except BaseException:
            self._stop_demo_backends()
            self._release_locks()
            raise
        workers = self.settings.workers
        spec = WorkerSpec(worker_id="", settings=self.settings, data_dir=self.data_dir, provider_urls=urls,
                          read_cache=self.read_cache,
                          worker_count=workers if isinstance(workers, int) else self.settings.engine.max_workers,
                          verbose=self.verbose, supervisor_pid=os.getpid(), glossary=glossary)
        self._runner = Runner(self.settings, ProcessPool(spec), Router(self.settings, usable),
                              ProviderView(self.settings, self.data_dir), self._emit, owner=self.owner,
                              max_cost_usd=self.max_cost_usd,
                              fixed_workers=workers if isinstance(workers, int) else None)
        self._thread = threading.Thread(target=self._runner.run, name="scribe-supervisor", daemon=True)
        self._thread.start()
        log.info("supervisor started", owner=self.owner, usable=sorted(usable))

    def stop(self, grace_s: float | None = None, *, release_waiting: bool = False) -> None:
        """Stop dispatching, let in-flight chunks finish briefly, release leases, exit. With
        ``release_waiting`` (a quick quit) chunks whose request has not started — waiting on a
        limit — are given back at once; only requests already sent are waited for."""
        with self._stopping:
            runner, thread = self._runner, self._thread
            if runner is None or thread is None:
                return
            runner.request_stop(release_waiting=release_waiting)
            thread.join(timeout=(grace_s or self.settings.engine.shutdown_grace_s) + 15)
            self._stop_demo_backends()
            self._release_locks()
            self._final_totals = runner.totals.as_dict()
            self._final_parked = runner.parked
            self._final_error = runner.error
            self._final_stop_reason = runner.stop_reason
            self._runner = None
            log.info("supervisor stopped")

    def abort(self) -> None:
        """Stop at once (a second quit), from any thread: workers are killed and the chunks
        they held go back to the queue for the next run. ``stop()`` then returns quickly."""
        runner = self._runner
        if runner is not None:
            runner.abort()

    def close(self) -> None:
        """Stop (if running) and close this thread's store connection."""
        self.stop()
        super().close()

    def __enter__(self) -> Supervisor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_until_drained(self, timeout: float | None = None) -> bool:
        """Block until nothing is runnable any more (or the loop ended); True if drained."""
        if self._runner is None:
            return True
        return self._runner.drained.wait(timeout)

    @property
    def runner(self) -> Runner | None:
        return self._runner

    # ---- providers ----------------------------------------------------------------------
    def _usable_providers(self, coming: set[str]) -> set[str]:
        """Providers this run can call; a needed one without its key, or a queued job's provider
        this configuration does not define, is a ConfigError (the jobs stay queued)."""
        from scribe_tui.engine.queued_providers import require_queued_providers

        require_queued_providers(self.store, self.settings)
        needed = {self.settings.default_provider} | coming | {
            job.provider for status in UNFINISHED_JOB_STATUSES for job in self.store.jobs(status=status)}
        self.settings.require_api_keys(sorted(n for n in needed if n in self.settings.providers))
        usable = set()
        for name, config in self.settings.providers.items():
            if config.kind == "demo" and name not in needed and not self._is_fallback(name, needed):
                continue
            if not config.needs_key or config.api_key() is not None:
                usable.add(name)
            elif self._is_fallback(name, needed):
                log.warning("fallback provider has no key; skipped", provider=name, variable=config.api_key_env)
        return usable

    def _clear_disabled_providers(self) -> None:
        """A provider disabled by a 401/403 in an earlier run gets another chance (the key may be fixed)."""
        from scribe_tui.limits.provider_state import ProviderStateStore

        state = ProviderStateStore(self.data_dir, store_url=self.settings.store_url)
        try:
            state.clear_disabled()
        finally:
            state.close()

    def _is_fallback(self, name: str, needed: set[str]) -> bool:
        return any(name in self.settings.providers_for(n) for n in needed if n in self.settings.providers)

    def _start_demo_backends(self, usable: set[str]) -> dict[str, str]:
        urls = {}
        for name in sorted(usable):
            config = self.settings.providers[name]
            if config.kind == "demo":
                from scribe_tui.providers.demo import start_demo_backend

                backend = start_demo_backend(config)
                self._demo_backends[name] = backend
                urls[name] = backend.url
        return urls

    def _stop_demo_backends(self) -> None:
        for backend in self._demo_backends.values():
            backend.stop()  # type: ignore[attr-defined]
        self._demo_backends.clear()

    # ---- events and views ---------------------------------------------------------------
    def _emit(self, event: api.Event) -> None:
        try:
            self._events.put_nowait(event)
        except queue.Full:  # nobody is reading: drop the oldest, keep the newest
            try:
                self._events.get_nowait()
                self._events.put_nowait(event)
            except (queue.Empty, queue.Full):
                pass
        for listener in self._listeners:
            listener(event)

    def add_listener(self, listener) -> None:  # type: ignore[no-untyped-def]
        """Call ``listener(event)`` on the supervisor thread for every event (keep it quick)."""
        self._listeners.append(listener)

    def poll_events(self, timeout: float = 0.1) -> list[api.Event]:
        events: list[api.Event] = []
        try:
            events.append(self._events.get(timeout=timeout))
            while len(events) < 5000:
                events.append(self._events.get_nowait())
        except queue.Empty:
            pass
        return events

    def snapshot(self) -> api.Snapshot:
        from scribe_tui.engine.snapshot import build_snapshot

        runner = self._runner
        return build_snapshot(self.store, self.settings, self.data_dir, runner=runner, attached=False)

    def totals(self) -> dict[str, float]:
        """This run's counters (still readable after stop())."""
        return self._runner.totals.as_dict() if self._runner else dict(self._final_totals)

    @property
    def error(self) -> BaseException | None:
        """What stopped the run early (the job store unavailable too long, a crash), if anything."""
        return self._runner.error if self._runner else self._final_error

    @property
    def parked(self) -> int:
        """Jobs left waiting for a quota reset (or the budget) when the queue drained."""
        return self._runner.parked if self._runner else self._final_parked

    @property
    def stop_reason(self) -> str | None:
        """Why dispatch stopped before the queue drained ("stopped: --max-cost $0.05 reached …")."""
        return self._runner.stop_reason if self._runner else self._final_stop_reason

    def scale(self, delta: int) -> int:
        current = self._runner.target_workers if self._runner else 1
        return self.scale_to(current + delta)

    def wake(self) -> None:
        """Work was enqueued by another path: dispatch it now, and do not report the queue
        drained on what was seen before it."""
        if self._runner is not None:
            self._runner.wake()

    def enqueue(self, paths: list[Path], languages: list[str], *, priority: int = 0,
                provider: str | None = None, output_dir: Path | None = None) -> api.EnqueueReport:
        report = super().enqueue(paths, languages, priority=priority, provider=provider, output_dir=output_dir)
        if self._runner is not None:
            self._runner.wake()  # look for the new work at once
        return report
