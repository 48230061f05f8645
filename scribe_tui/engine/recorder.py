"""What the supervisor makes of each worker report: the store writes for the next batch
(results, metric rows, leases to give back — kept until the store has taken them), the
events front ends see, the run's totals and its budget (a reservation settled at its real cost)."""

from __future__ import annotations

import time

from collections.abc import Callable
from dataclasses import dataclass, field

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

HOLD_OFF_S = 1.0  # every worker holds off a provider this long after a 429 in any of them


@dataclass
class PendingWrites:
    """What the store has not taken yet. The runner clears each list only once the store has
    written it, so a store that fails (disk full, locked) loses none of it."""

    results: list[TaskResult] = field(default_factory=list)
    metrics: list[MetricRow] = field(default_factory=list)
    releases: list[int] = field(default_factory=list)  # leases to give back unfinished, no attempt burnt

    def __bool__(self) -> bool:
        return bool(self.results or self.releases)


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
        self.writes = PendingWrites()
        self._waits_seen: dict[str, float] = {}
        self._held_off: dict[str, float] = {}  # provider -> when every worker was last told to hold off
        self._disabled_noticed: set[str] = set()

    @property
    def pending(self) -> bool:
        return bool(self.writes)

    def release(self, task_ids: list[int]) -> None:
        """Give these leases back with the next batch (a dead worker's chunks, say)."""
        self.writes.releases.extend(task_ids)

    def on_outcome(self, out: TaskOutcome, now: float) -> None:
        if self.budget is not None:  # what the request really cost replaces its reservation
            self.budget.settle(out.task_id, out.cost_usd if out.kind == "done" and not out.cached else 0.0)
        order = self.pool.finished(out.worker_id, out.task_id)
        if out.kind == "done":
            self._on_done(out, None if order is None else order.attempt)
            return
        if order is None:
            return  # its job was cancelled, or it was reassigned meanwhile: a late non-result changes nothing
        match out.kind:
            case "retry":
                self._on_retry(out, order, now)
            case "defer":
                self._on_defer(out, now, order.attempt)
            case "disabled":
                self._on_disabled(out, now, order.attempt)
            case "fail":
                self._on_fail(out, order)
            case "cancelled":  # not by a cancelled job (that order is gone): a retiring worker's grace ran out
                self.writes.releases.append(out.task_id)

    def _on_defer(self, out: TaskOutcome, now: float, attempt: int) -> None:
        """Park the chunk until its provider frees up, or send it to a fallback at once."""
        if out.reason in ("quota_parked", "circuit_open"):
            self.providers.note_blocked(out.provider, out.until, out.reason)
        until = out.until
        fallback, _ = self.router.choose(out.provider, self.providers.blocked_until(now), now)
        if fallback is not None and fallback != out.provider:
            until = now
        self.writes.results.append(TaskDefer(out.task_id, until=until, reason=out.reason, attempt=attempt))
        self.note_wait(out.provider, out.until, out.reason)

    def _on_disabled(self, out: TaskOutcome, now: float, attempt: int) -> None:
        self.writes.results.append(TaskDefer(out.task_id, until=now, reason="provider_disabled", attempt=attempt))
        self.providers.invalidate()
        if out.provider not in self._disabled_noticed:
            self._disabled_noticed.add(out.provider)
            self.emit(api.Notice(level="error", message=out.message))

    def _on_fail(self, out: TaskOutcome, order: TaskOrder) -> None:
        self.writes.results.append(TaskFail(out.task_id, error_class=out.error_class, message=out.message,
                                             attempt=order.attempt))
        self.emit(api.ChunkFailed(job_id=out.job_id, task_id=out.task_id, chunk_index=out.chunk_index,
                                  error_class=out.error_class, message=out.message,
                                  attempts=order.attempt + 1, dead=False))
        self.emit(api.JobFinished(job_id=out.job_id, status="failed", output_path=None, error=out.message))

    def _on_done(self, out: TaskOutcome, attempt: int | None) -> None:
        self.writes.results.append(TaskDone(out.task_id, translation=out.translation or "", provider=out.provider,
                                      model=out.model, tokens_in=out.tokens_in, tokens_out=out.tokens_out,
                                      characters=out.characters, cost_usd=out.cost_usd, cached=out.cached,
                                      attempt=attempt, qa=out.qa))
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

    def _on_retry(self, out: TaskOutcome, order: TaskOrder, now: float) -> None:
        self.totals.retries += 1
        self.providers.invalidate()  # a failure may have lowered the provider's concurrency cap
        attempts = order.attempt + 1
        self.writes.results.append(TaskRetry(out.task_id, error_class=out.error_class, message=out.message, delay_s=out.delay_s,
                                             attempt=order.attempt))
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
            self._hold_off(row.provider)
        self.writes.metrics.append(row)

    def _hold_off(self, provider: str) -> None:
        """A 429 in one worker: every worker holds off that provider for a moment at once. The
        shared pause (the server's Retry-After) is written by that worker's bookkeeping thread,
        which on a busy machine can take most of a second to reach the others — time in which
        their backlogs would keep sending into the refusals."""
        now = time.time()
        if now >= self._held_off.get(provider, 0.0) + HOLD_OFF_S / 2:
            self._held_off[provider] = now
            self.pool.hold_off(provider, now + HOLD_OFF_S)

    def note_wait(self, provider: str, until: float, reason: str) -> None:
        if until > self._waits_seen.get(provider, 0.0) + 1.0:
            self._waits_seen[provider] = until
            self.emit(api.RateLimitWait(provider=provider, until=until, reason=reason))
