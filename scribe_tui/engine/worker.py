"""A worker process: an asyncio loop with many chunks in flight, each sent through the
limits layer (cache → breaker → limiter → bulkhead → provider → retry policy).

Small chunks that wait together may share one request (packer.py, ``pack_max_chunks``).
Workers never touch the job store: orders come down a queue, outcomes go back up one, and
the supervisor records them. A worker that dies loses nothing that was acknowledged.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import structlog

from scribe_tui.config import Settings
from scribe_tui.engine.channels import Channel
from scribe_tui.engine.commitments import Commitments, CommittingProvider
from scribe_tui.engine.lifeline import die_with_parent
from scribe_tui.engine.outcomes import outcome_to_message
from scribe_tui.engine.quality_gate import chunk_request, judge
from scribe_tui.engine.slots import SlotGate
from scribe_tui.engine.validation import translation_validator
from scribe_tui.engine.worker_protocol import (
    CancelOrder,
    HoldOffOrder,
    Order,
    ReturnWaitingOrder,
    SlotsOrder,
    StopOrder,
    TaskOrder,
    TaskOutcome,
    TaskStarted,
    WorkerBeat,
    WorkerMessage,
)
from scribe_tui.glossary import Glossary
from scribe_tui.providers.base import Provider
from scribe_tui.store import MetricRow
from scribe_tui.tracing import span

log = structlog.get_logger("scribe_tui.worker")

ORDER_POLL_S = 1.0  # the order reader notices within this that its loop is gone


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a spawned worker needs; picklable."""

    worker_id: str
    settings: Settings
    data_dir: Path
    provider_urls: dict[str, str]  # demo providers: name -> simulator base URL
    read_cache: bool
    worker_count: int
    verbose: int = 0
    glossary: Glossary = Glossary()
    supervisor_pid: int = 0  # the worker exits when this process dies (0: no watch)
    environment: dict[str, str] | None = None  # set for a forked worker: the supervisor's, at launch
    cwd: str | None = None


ProviderFactory = Callable[[WorkerSpec], Mapping[str, Provider]]


def worker_main(spec: WorkerSpec, orders: Channel[Order], events: Channel[WorkerMessage]) -> None:
    """Entry point of the worker process (forked from the fork server, or spawned)."""
    if spec.supervisor_pid:
        die_with_parent(os.getppid(), spec.supervisor_pid)
    if spec.environment is not None:
        os.environ.clear()
        os.environ.update(spec.environment)
    if spec.cwd is not None:
        os.chdir(spec.cwd)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    _keep_off_the_terminal(spec.data_dir)
    from scribe_tui.logs import configure_logging

    configure_logging(spec.data_dir, verbose=0, level=spec.settings.log.level, process_name=spec.worker_id)
    structlog.contextvars.bind_contextvars(worker_id=spec.worker_id)
    asyncio.run(WorkerLoop(spec, orders, events).run())
    _exit_now(events)


def _exit_now(events: Channel[WorkerMessage]) -> None:
    """Leave without the interpreter's teardown, once every message is out: its final
    garbage collection over the SDK's objects took seconds on a busy machine, and a quick
    quit (or a scale-down) waits for this process to end."""
    import logging

    events.flush()
    logging.shutdown()
    os._exit(0)


def _keep_off_the_terminal(data_dir: Path) -> None:
    """Send anything a worker prints outside logging (a warning, a crash) to a file: the
    terminal belongs to the TUI or the batch progress display."""
    from scribe_tui.paths import touch_private

    path = touch_private(data_dir / "logs" / "workers.err")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


class WorkerLoop:
    """One worker's asyncio loop: orders in, a task per chunk, outcomes out. ``providers``
    builds the provider adapters (default: from the settings, as a real run does)."""

    def __init__(self, spec: WorkerSpec, orders: Channel[Order], events: Channel[WorkerMessage], *,
                 providers: ProviderFactory | None = None):
        self.spec = spec
        self.orders = orders
        self.events = events
        self.providers = providers or build_providers
        self.in_flight: dict[int, asyncio.Task[None]] = {}
        self.commitments = Commitments()
        self.slots: dict[str, SlotGate] = {}
        self.done = 0
        self._inbox: asyncio.Queue[Order] = asyncio.Queue()

    async def run(self) -> None:
        from scribe_tui.engine.packer import Packer

        self.gateway = self._build_gateway()
        self.gateway.prepare()
        settings = self.spec.settings
        self.packer = Packer(self.gateway, pack_sizes={name: config.pack_max_chunks
                                                       for name, config in settings.providers.items()})
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._read_orders, args=(loop,), daemon=True, name="orders").start()
        beat = asyncio.create_task(self._heartbeat())
        try:
            await self._dispatch()
        finally:
            beat.cancel()
            await self._abandon_in_flight()
            await self.gateway.aclose()
            self._send(WorkerBeat(self.spec.worker_id, os.getpid(), 0, self.done, state="stopped"))

    # ---- set-up -------------------------------------------------------------------------
    def _build_gateway(self) -> Any:
        from scribe_tui.cache import TranslationCache
        from scribe_tui.limits.gateway import Gateway

        settings = self.spec.settings
        cache = None
        if settings.cache.enabled:
            cache = TranslationCache(settings.cache.resolved_dir(), settings.cache.size_limit_mb)
        providers = {name: CommittingProvider(provider, self.commitments)
                     for name, provider in self.providers(self.spec).items()}
        return Gateway(settings, self.spec.data_dir, providers, cache=cache,  # type: ignore[arg-type]
                       read_cache=self.spec.read_cache, worker_count=self.spec.worker_count,
                       on_request=self._on_request)

    def _read_orders(self, loop: asyncio.AbstractEventLoop) -> None:
        """Blocking reads from the order channel, handed to the event loop."""
        while True:
            try:
                order = self.orders.get(timeout=ORDER_POLL_S)
            except (EOFError, OSError, ValueError):
                order = StopOrder(grace_s=0)
            if order is None:
                if loop.is_closed():
                    return
                continue
            try:
                loop.call_soon_threadsafe(self._inbox.put_nowait, order)
            except RuntimeError:  # the loop is closed: the worker is gone
                return
            if isinstance(order, StopOrder):
                return

    # ---- main loop ----------------------------------------------------------------------
    async def _dispatch(self) -> None:
        while True:
            match await self._inbox.get():
                case TaskOrder() as order:
                    task = asyncio.create_task(self._run_order(order))
                    self.in_flight[order.task_id] = task
                    task.add_done_callback(lambda done, order=order: self._finished(order, done))
                case SlotsOrder(shares=shares):
                    for provider, share in shares.items():
                        self._slots(provider).resize(share)
                case CancelOrder(task_ids=task_ids):
                    for task_id in task_ids:
                        if (task := self.in_flight.get(task_id)) is not None:
                            task.cancel()
                case HoldOffOrder(provider=provider, until=until):
                    self.gateway.hold_off(provider, until)
                case ReturnWaitingOrder():
                    self._cancel_waiting()
                case StopOrder() as stop:
                    await self._drain(stop)
                    return

    def _cancel_waiting(self) -> None:
        """Cancel every chunk whose provider call has not started (it waits on a slot or a
        limit): it reports 'cancelled' and its lease goes back; no attempt is burnt."""
        for task_id, task in self.in_flight.items():
            if not self.commitments.committed(task_id):
                task.cancel()

    def _slots(self, provider: str) -> SlotGate:
        gate = self.slots.get(provider)
        if gate is None:
            gate = self.slots[provider] = SlotGate()
        return gate

    def _finished(self, order: TaskOrder, task: asyncio.Task[None]) -> None:
        self.in_flight.pop(order.task_id, None)
        self.commitments.forget(order.task_id)
        if task.cancelled():  # cancelled before it ever ran: _run_order could not report it
            self._send(self._outcome(order, "cancelled", message="cancelled"))

    async def _drain(self, stop: StopOrder) -> None:
        grace_s = stop.grace_s
        if stop.release_waiting:
            self._cancel_waiting()
        pending = list(self.in_flight.values())
        if pending:
            _, still = await asyncio.wait(pending, timeout=grace_s)
            for task in still:
                task.cancel()
            if still:
                await asyncio.wait(still, timeout=1.0)

    async def _abandon_in_flight(self) -> None:
        """The loop ended with chunks still running (killed, or a crash): cancel them before the
        gateway closes under them, so each ends as 'cancelled', not as a bookkeeping crash."""
        running = list(self.in_flight.values())
        for task in running:
            task.cancel()
        if running:
            await asyncio.wait(running, timeout=1.0)

    async def _heartbeat(self) -> None:
        interval = self.spec.settings.engine.heartbeat_s
        while True:
            self._send(WorkerBeat(self.spec.worker_id, os.getpid(), len(self.in_flight), self.done,
                                  on_wire=self.gateway.requests_on_wire()))
            await asyncio.sleep(interval)

    # ---- one chunk ----------------------------------------------------------------------
    async def _run_order(self, order: TaskOrder) -> None:
        self.commitments.running(order.task_id)
        structlog.contextvars.bind_contextvars(job_id=order.job_id, chunk_id=order.task_id, provider=order.provider)
        try:
            async with self._slots(order.provider):  # a backlog order waits here for a free slot
                outcome = await self._run_in_slot(order)
        except asyncio.CancelledError:  # cancelled while waiting for a slot: it never started
            outcome = self._outcome(order, "cancelled", message="cancelled")
        if outcome.kind == "done":
            self.done += 1
        _log_outcome(outcome, order)
        self._send(outcome)

    async def _run_in_slot(self, order: TaskOrder) -> TaskOutcome:
        self._send(TaskStarted(self.spec.worker_id, order.task_id))
        started = time.monotonic()
        with span("chunk", job_id=order.job_id, chunk_id=order.task_id, chunk_index=order.chunk_index,
                  provider=order.provider, language=order.language, attempt=order.attempt,
                  source_chars=len(order.text)) as chunk_span:
            try:
                outcome = await self._translate(order)
            except asyncio.CancelledError:
                outcome = self._outcome(order, "cancelled", message="cancelled")
            except Exception as exc:  # a bug must not kill the worker: retry the chunk later
                log.exception("chunk crashed", error_class=type(exc).__name__)
                outcome = self._outcome(order, "retry", error_class=type(exc).__name__, message=str(exc)[:500],
                                        delay_s=self.spec.settings.retry.base_delay_s)
            chunk_span.set_attributes({"outcome": outcome.kind, "cached": outcome.cached,
                                       "error_class": outcome.error_class or "none"})
        return _with_duration(outcome, (time.monotonic() - started) * 1000)

    async def _translate(self, order: TaskOrder) -> TaskOutcome:
        settings = self.spec.settings
        request = chunk_request(order, settings, self.spec.glossary)
        validate = translation_validator(order)
        send = self.packer.translate if self.packer.packs(order.provider, request) else self.gateway.translate
        result = await send(order.provider, request, attempt=order.attempt, validate=validate)
        # a packed chunk's part is judged here too: each caller gets its own chunk's outcome
        kind = settings.providers[order.provider].kind if order.provider in settings.providers else ""
        outcome, forget = judge(outcome_to_message(self.spec.worker_id, order, result), order, request, settings, kind)
        if forget:
            self.gateway.forget(order.provider, request)
        return outcome

    def _outcome(self, order: TaskOrder, kind: str, **fields: Any) -> TaskOutcome:
        return TaskOutcome(worker_id=self.spec.worker_id, task_id=order.task_id, job_id=order.job_id,
                           chunk_index=order.chunk_index, provider=order.provider, kind=kind, **fields)  # type: ignore[arg-type]

    def _on_request(self, record: Any) -> None:
        context = structlog.contextvars.get_contextvars()
        self._send(MetricRow(
            ts=record.ts, provider=record.provider, model=record.model,
            outcome=_METRIC_OUTCOMES.get(record.outcome, "error"), duration_ms=record.duration_ms,
            status_code=record.status_code, error_class=record.error_class, job_id=context.get("job_id"),
            task_id=context.get("chunk_id"), tokens_in=record.tokens_in, tokens_out=record.tokens_out,
            characters=record.characters, cost_cents=record.cost_usd * 100, worker_id=self.spec.worker_id,
        ))

    def _send(self, message: WorkerMessage) -> None:
        self.events.put(message)  # False when the supervisor is gone: nothing to report to


# The limits layer's request outcomes, folded into the store's metric vocabulary.
_METRIC_OUTCOMES = {"ok": "ok", "cache_hit": "cached", "rate_limited": "rate_limited"}


def _log_outcome(outcome: TaskOutcome, order: TaskOrder) -> None:
    """One line per chunk (lengths only, never text); ids come from the bound context."""
    fields = dict(outcome=outcome.kind, attempt=order.attempt, duration_ms=round(outcome.duration_ms, 1),
                  source_chars=len(order.text), language=order.language)
    if outcome.kind == "done":
        log.info("chunk translated", cached=outcome.cached, tokens_in=outcome.tokens_in,
                 tokens_out=outcome.tokens_out, **fields)
    elif outcome.kind in ("retry", "fail", "disabled"):
        log.warning("chunk not translated", error_class=outcome.error_class, reason=outcome.message[:200],
                    delay_s=outcome.delay_s, **fields)
    else:
        log.info("chunk waiting", reason=outcome.reason, until=outcome.until, **fields)


def _with_duration(outcome: TaskOutcome, duration_ms: float) -> TaskOutcome:
    return replace(outcome, duration_ms=duration_ms)


def build_providers(spec: WorkerSpec) -> dict[str, Provider]:
    """The adapters this worker may call: every configured provider with its key (and every
    demo provider whose simulator the supervisor started)."""
    from scribe_tui.providers.registry import build_provider

    providers = {}
    for name, config in spec.settings.providers.items():
        if config.kind == "demo" and name not in spec.provider_urls:
            continue
        if config.needs_key and config.api_key() is None:
            continue  # the supervisor never routes to a provider without its key
        providers[name] = build_provider(name, config, base_url_override=spec.provider_urls.get(name),
                                        glossary=spec.glossary)
    return providers
