"""Turn a limits-layer Outcome into the TaskOutcome a worker sends to the supervisor."""

from __future__ import annotations

from scribe_tui.engine.worker_protocol import TaskOrder, TaskOutcome
from scribe_tui.limits.outcomes import Deferred, Outcome, ProviderDisabled, RetryLater, Translated, Unretryable


def outcome_to_message(worker_id: str, order: TaskOrder, outcome: Outcome) -> TaskOutcome:
    base = dict(worker_id=worker_id, task_id=order.task_id, job_id=order.job_id,
                chunk_index=order.chunk_index, provider=order.provider)
    match outcome:
        case Translated(result=result, cached=cached):
            usage = result.usage
            return TaskOutcome(**base, kind="done", translation=result.text, model=result.model,
                               tokens_in=usage.tokens_in, tokens_out=usage.tokens_out, characters=usage.characters,
                               cost_usd=0.0 if cached else usage.cost_usd, cached=cached)
        case Deferred(until=until, reason=reason, message=message):
            return TaskOutcome(**base, kind="defer", until=until, reason=reason, message=message)
        case RetryLater(delay_s=delay_s, error=error):
            return TaskOutcome(**base, kind="retry", delay_s=delay_s, error_class=type(error).__name__,
                               message=_message(error))
        case ProviderDisabled(error=error):
            return TaskOutcome(**base, kind="disabled", error_class=type(error).__name__, message=_message(error))
        case Unretryable(error=error):
            return TaskOutcome(**base, kind="fail", error_class=type(error).__name__, message=_message(error))
    raise TypeError(f"unknown outcome {outcome!r}")


def _message(error: BaseException) -> str:
    status = getattr(error, "status", None)
    text = str(error) or type(error).__name__
    return (f"HTTP {status}: {text}" if status and str(status) not in text else text)[:500]
