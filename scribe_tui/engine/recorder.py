"""What the supervisor makes of each worker report: the store results and metric rows to
record in the next batch, the events front ends see, the run's totals and its budget."""

from __future__ import annotations

import time
from collections.abc import Callable

from scribe_tui.config import Settings
from scribe_tui.engine import api
from scribe_tui.engine.budget import Budget
from scribe_tui.engine.pool import WorkerPool
from scribe_tui.engine.provider_view import ProviderView
from scribe_tui.engine.routing import Router
from scribe_tui.engine.totals import RunTotals
from scribe_tui.engine.worker_protocol import TaskOrder, TaskOutcome
from scribe_tui.store import MetricRow, TaskDefer, TaskDone, TaskFail, TaskRetry

TaskResult = TaskDone | TaskRetry | TaskDefer | TaskFail


class OutcomeRecorder:
    def __init__(self, settings: Settings, pool: WorkerPool, router: Router, providers: ProviderView,
                 emit: Callable[[api.Event], None], *, budget: Budget | None):
        self.settings = settings
        self.pool = pool
        self.router = router
        self.providers = providers
        self.emit = emit
        self.budget = budget
        self.totals = RunTotals()
        self._results: list[TaskResult] = []
        self._metrics: list[MetricRow] = []
        self._waits_seen: dict[str, float] = {}
        self._disabled_noticed: set[str] = set()

    @property
    def pending(self) -> bool:
        return bool(self._results)

    def take_results(self) -> list[TaskResult]:
        results, self._results = self._results, []
        return results

    def take_metrics(self) -> list[MetricRow]:
        metrics, self._metrics = self._metrics, []
        return metrics

    def on_outcome(self, out: TaskOutcome) -> None:
        if self.budget is not None:  # what the request really cost replaces its reservation
            self.budget.settle(out.task_id, out.cost_usd if out.kind == "done" and not out.cached else 0.0)
        order = self.pool.finished(out.worker_id, out.task_id)
        if out.kind == "done":
            self._on_done(out)
            return
        if order is None or out.kind == "cancelled":
            return  # cancelled or reassigned meanwhile; a late non-result changes nothing
        if out.kind == "retry":
            self._on_retry(out, order)
        elif out.kind == "defer":
            self._on_defer(out)
        elif out.kind == "disabled":
            self._results.append(TaskDefer(out.task_id, until=time.time(), reason="provider_disabled"))
            self.providers.invalidate()
            if out.provider not in self._disabled_noticed:
                self._disabled_noticed.add(out.provider)
                self.emit(api.Notice(level="error", message=out.message))
        elif out.kind == "fail":
            self._results.append(TaskFail(out.task_id, error_class=out.error_class, message=out.message))
            self.emit(api.ChunkFailed(job_id=out.job_id, task_id=out.task_id, chunk_index=out.chunk_index,
                                      error_class=out.error_class, message=out.message,
                                      attempts=order.attempt + 1, dead=False))
            self.emit(api.JobFinished(job_id=out.job_id, status="failed", output_path=None, error=out.message))

    def _on_defer(self, out: TaskOutcome) -> None:
        """Park the chunk until its provider frees up, or send it to a fallback at once."""
        now = time.time()
        if out.reason in ("quota_parked", "circuit_open"):
            self.providers.note_blocked(out.provider, out.until, out.reason)
        until = out.until
        fallback, _ = self.router.choose(out.provider, self.providers.blocked_until(now), now)
        if fallback is not None and fallback != out.provider:
            until = now
        self._results.append(TaskDefer(out.task_id, until=until, reason=out.reason))
        self.note_wait(out.provider, out.until, out.reason)

    def _on_done(self, out: TaskOutcome) -> None:
        self._results.append(TaskDone(out.task_id, translation=out.translation or "", provider=out.provider,
                                      model=out.model, tokens_in=out.tokens_in, tokens_out=out.tokens_out,
                                      characters=out.characters, cost_usd=out.cost_usd, cached=out.cached))
        totals = self.totals
        totals.chunks_done += 1
        if not out.cached:
            totals.tokens_in += out.tokens_in
            totals.tokens_out += out.tokens_out
            totals.characters += out.characters
            totals.cost_usd += out.cost_usd
        self.emit(api.ChunkDone(job_id=out.job_id, task_id=out.task_id, chunk_index=out.chunk_index,
                                provider=out.provider, tokens_in=out.tokens_in, tokens_out=out.tokens_out,
                                characters=out.characters, cost_usd=out.cost_usd, cached=out.cached,
                                duration_ms=out.duration_ms))

    def _on_retry(self, out: TaskOutcome, order: TaskOrder) -> None:
        self.totals.retries += 1
        self.providers.invalidate()  # a failure may have lowered the provider's concurrency cap
        attempts = order.attempt + 1
        self._results.append(TaskRetry(out.task_id, error_class=out.error_class, message=out.message, delay_s=out.delay_s))
        if attempts >= self.settings.max_attempts:
            self.emit(api.ChunkFailed(job_id=out.job_id, task_id=out.task_id, chunk_index=out.chunk_index,
                                      error_class=out.error_class, message=out.message, attempts=attempts, dead=True))
            self.emit(api.JobFinished(job_id=out.job_id, status="dead", output_path=None, error=out.message))
        else:
            self.emit(api.RetryScheduled(job_id=out.job_id, task_id=out.task_id, chunk_index=out.chunk_index,
                                         delay_s=out.delay_s, error_class=out.error_class, message=out.message,
                                         attempts=attempts))

    def on_metric(self, row: MetricRow) -> None:
        """A worker's request record: counted in the totals, stored with the next batch."""
        if row.outcome == "cached":
            self.totals.cache_hits += 1
        else:
            self.totals.requests += 1
        if row.outcome == "rate_limited":
            self.totals.rate_limited += 1
            self.emit(api.RateLimitHit(provider=row.provider))
        self._metrics.append(row)

    def note_wait(self, provider: str, until: float, reason: str) -> None:
        if until > self._waits_seen.get(provider, 0.0) + 1.0:
            self._waits_seen[provider] = until
            self.emit(api.RateLimitWait(provider=provider, until=until, reason=reason))
