"""Turn a limits-layer Outcome into the TaskOutcome a worker sends to the supervisor."""

from __future__ import annotations

from typing import Any

from scribe_tui.engine.worker_protocol import TaskOrder, TaskOutcome
from scribe_tui.limits.outcomes import Deferred, ProviderDisabled, RetryLater, Translated, Unretryable


def outcome_to_message(worker_id: str, order: TaskOrder, outcome: Any) -> TaskOutcome:
    base = dict(worker_id=worker_id, task_id=order.task_id, job_id=order.job_id,
                chunk_index=order.chunk_index, provider=order.provider)
    if isinstance(outcome, Translated):
        result, usage = outcome.result, outcome.result.usage
        return TaskOutcome(**base, kind="done", translation=result.text, model=result.model,
                           tokens_in=usage.tokens_in, tokens_out=usage.tokens_out, characters=usage.characters,
                           cost_usd=0.0 if outcome.cached else usage.cost_usd, cached=outcome.cached)
    if isinstance(outcome, Deferred):
        return TaskOutcome(**base, kind="defer", until=outcome.until, reason=outcome.reason, message=outcome.message)
    if isinstance(outcome, RetryLater):
        return TaskOutcome(**base, kind="retry", delay_s=outcome.delay_s, error_class=type(outcome.error).__name__,
                           message=_message(outcome.error))
    if isinstance(outcome, ProviderDisabled):
        return TaskOutcome(**base, kind="disabled", error_class=type(outcome.error).__name__,
                           message=_message(outcome.error))
    if isinstance(outcome, Unretryable):
        return TaskOutcome(**base, kind="fail", error_class=type(outcome.error).__name__, message=_message(outcome.error))
    raise TypeError(f"unknown outcome {outcome!r}")


def _message(error: BaseException) -> str:
    status = getattr(error, "status", None)
    text = str(error) or type(error).__name__
    return (f"HTTP {status}: {text}" if status and str(status) not in text else text)[:500]
