"""A worker process: an asyncio loop with many chunks in flight, each sent through the
limits layer (cache → breaker → limiter → bulkhead → provider → retry policy).

Workers never touch the job store: orders come down a queue, outcomes go back up one, and
the supervisor records them. A worker that dies loses nothing that was acknowledged.
"""

from __future__ import annotations

import asyncio
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from scribe_tui.config import Settings
from scribe_tui.engine.outcomes import outcome_to_message
from scribe_tui.engine.validation import translation_validator
from scribe_tui.engine.worker_protocol import (
    CancelOrder,
    StopOrder,
    TaskOrder,
    TaskOutcome,
    TaskStarted,
    WorkerBeat,
)
from scribe_tui.providers.base import TranslationRequest
from scribe_tui.store import MetricRow
from scribe_tui.tracing import span

log = structlog.get_logger("scribe_tui.worker")


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


def worker_main(spec: WorkerSpec, orders: Any, events: Any) -> None:
    """Entry point of the spawned process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    _keep_off_the_terminal(spec.data_dir)
    from scribe_tui.logs import configure_logging

    configure_logging(spec.data_dir, verbose=0, level=spec.settings.log.level, process_name=spec.worker_id)
    structlog.contextvars.bind_contextvars(worker_id=spec.worker_id)
    asyncio.run(_WorkerLoop(spec, orders, events).run())


def _keep_off_the_terminal(data_dir: Path) -> None:
    """Send anything a worker prints outside logging (a warning, a crash) to a file: the
    terminal belongs to the TUI or the batch progress display."""
    from scribe_tui.paths import touch_private

    path = touch_private(data_dir / "logs" / "workers.err")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


class _WorkerLoop:
    def __init__(self, spec: WorkerSpec, orders: Any, events: Any):
        self.spec = spec
        self.orders = orders
        self.events = events
        self.in_flight: dict[int, asyncio.Task[None]] = {}
        self.done = 0
        self.stopping: StopOrder | None = None
        self._inbox: asyncio.Queue[Any] = asyncio.Queue()

    async def run(self) -> None:
        self.gateway = self._build_gateway()
        self.gateway.prepare()
        loop = asyncio.get_running_loop()
        threading.Thread(target=self._read_orders, args=(loop,), daemon=True, name="orders").start()
        beat = asyncio.create_task(self._heartbeat())
        try:
            await self._dispatch()
        finally:
            beat.cancel()
            await self.gateway.aclose()
            self._send(WorkerBeat(self.spec.worker_id, os.getpid(), 0, self.done, state="stopped"))

    # ---- set-up -------------------------------------------------------------------------
    def _build_gateway(self) -> Any:
        from scribe_tui.cache import TranslationCache
        from scribe_tui.limits.gateway import Gateway
        from scribe_tui.providers.registry import build_provider

        settings = self.spec.settings
        providers = {}
        for name, config in settings.providers.items():
            if config.kind == "demo" and name not in self.spec.provider_urls:
                continue
            if config.needs_key and config.api_key() is None:
                continue  # the supervisor never routes to a provider without its key
            override = self.spec.provider_urls.get(name)
            providers[name] = build_provider(name, config, base_url_override=override)
        cache = None
        if settings.cache.enabled:
            cache = TranslationCache(settings.cache.resolved_dir(), settings.cache.size_limit_mb)
        return Gateway(settings, self.spec.data_dir, providers, cache=cache, read_cache=self.spec.read_cache,
                       worker_count=self.spec.worker_count, on_request=self._on_request)

    def _read_orders(self, loop: asyncio.AbstractEventLoop) -> None:
        """Blocking reads from the multiprocessing queue, handed to the event loop."""
        while True:
            try:
                order = self.orders.get()
            except (EOFError, OSError):
                order = StopOrder(grace_s=0)
            loop.call_soon_threadsafe(self._inbox.put_nowait, order)
            if isinstance(order, StopOrder):
                return

    # ---- main loop ----------------------------------------------------------------------
    async def _dispatch(self) -> None:
        while True:
            order = await self._inbox.get()
            if isinstance(order, TaskOrder):
                task = asyncio.create_task(self._run_order(order))
                self.in_flight[order.task_id] = task
                task.add_done_callback(lambda _t, tid=order.task_id: self.in_flight.pop(tid, None))
            elif isinstance(order, CancelOrder):
                for task_id in order.task_ids:
                    if (task := self.in_flight.get(task_id)) is not None:
                        task.cancel()
            elif isinstance(order, StopOrder):
                await self._drain(order.grace_s)
                return

    async def _drain(self, grace_s: float) -> None:
        pending = list(self.in_flight.values())
        if pending:
            _, still = await asyncio.wait(pending, timeout=grace_s)
            for task in still:
                task.cancel()
            if still:
                await asyncio.wait(still, timeout=1.0)

    async def _heartbeat(self) -> None:
        interval = self.spec.settings.engine.heartbeat_s
        while True:
            self._send(WorkerBeat(self.spec.worker_id, os.getpid(), len(self.in_flight), self.done,
                                  on_wire=self.gateway.requests_on_wire()))
            await asyncio.sleep(interval)

    # ---- one chunk ----------------------------------------------------------------------
    async def _run_order(self, order: TaskOrder) -> None:
        structlog.contextvars.bind_contextvars(job_id=order.job_id, chunk_id=order.task_id, provider=order.provider)
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
        outcome = _with_duration(outcome, (time.monotonic() - started) * 1000)
        if outcome.kind == "done":
            self.done += 1
        _log_outcome(outcome, order)
        self._send(outcome)

    async def _translate(self, order: TaskOrder) -> TaskOutcome:
        request = TranslationRequest(
            text=order.text, target_language=order.language, context=order.context,
            source_language=self.spec.settings.source_language, chunk_id=str(order.task_id),
        )
        validate = translation_validator(order)
        result = await self.gateway.translate(order.provider, request, attempt=order.attempt, validate=validate)
        return outcome_to_message(self.spec.worker_id, order, result)

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

    def _send(self, message: TaskOutcome | TaskStarted | WorkerBeat | MetricRow) -> None:
        try:
            self.events.put(message)
        except (OSError, ValueError):  # the supervisor is gone; nothing to report to
            pass


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
    from dataclasses import replace

    return replace(outcome, duration_ms=duration_ms)


def drain_queue(q: Any) -> None:
    """Empty a multiprocessing queue without blocking (used when a worker is replaced)."""
    while True:
        try:
            q.get_nowait()
        except (queue.Empty, OSError, EOFError, ValueError):
            return
