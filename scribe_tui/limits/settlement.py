"""What one provider call leaves behind in the state every process shares, written on the
bookkeeping thread (bookkeeper.py) once the call has come back: its bucket rows settled to the
moment the provider counted it and to its reported usage (holds.py), the provider's own view
of its limits adopted, the circuit breaker and the adaptive concurrency cap told how it went,
a pause or a spent quota recorded, and the request counters.

The gateway decides what an outcome means for the chunk; this module only records it.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from scribe_tui.limits.adaptive import AT_FLOOR, ConcurrencyCap
from scribe_tui.limits.admission import Admission
from scribe_tui.limits.breaker import CircuitBreaker, Permit
from scribe_tui.limits.buckets import ProviderLimiter
from scribe_tui.limits.provider_state import ProviderStateStore
from scribe_tui.limits.quotas import Quota
from scribe_tui.providers.base import LimitReport

log = structlog.get_logger(__name__)


def counted_by(admission: Admission, done_at: float, report: LimitReport | None) -> float:
    """The latest moment the provider can have counted the request: the reply's arrival,
    less the processing time the provider says it spent after counting (never before we
    admitted it)."""
    if report is not None and report.processing_s is not None:
        return max(admission.at, done_at - report.processing_s)
    return done_at


class Settlement:
    """The shared-state writes of one provider's calls (used on the bookkeeping thread only)."""

    def __init__(self, name: str, limiter: ProviderLimiter, state: ProviderStateStore, breaker: CircuitBreaker,
                 cap: ConcurrencyCap):
        self.name = name
        self.limiter = limiter
        self.state = state
        self.breaker = breaker
        self.cap = cap

    def _settle(self, admission: Admission, at: float, report: LimitReport | None,
                actual: Mapping[str, int] | None = None) -> None:
        self.limiter.settle(admission, at, actual or {})
        if report is not None and report.remaining:
            added = self.limiter.adopt(report, at)
            if added:
                log.info("adopted the provider's view of its limits", provider=self.name, rows=added,
                         remaining=dict(report.remaining))

    def succeeded(self, admission: Admission, permit: Permit, sent_at: float, done_at: float,
                  report: LimitReport | None, actual: Mapping[str, int]) -> None:
        self._settle(admission, counted_by(admission, done_at, report), report, actual)
        self.breaker.record_success(permit)
        self.cap.succeeded(sent_at)
        self.state.count(self.name, requests=1)

    def rate_limited(self, admission: Admission, permit: Permit, done_at: float, until: float,
                     report: LimitReport | None) -> None:
        """A 429: the provider is up; every process pauses until ``until`` (written first: the
        other processes stop sending the sooner they see it)."""
        self.state.pause(self.name, until, "rate limited by the server")
        self._settle(admission, done_at, report)
        self.breaker.record_success(permit)
        self.state.count(self.name, requests=1, rate_limited=1)

    def failed(self, admission: Admission, permit: Permit, sent_at: float, done_at: float, *, overload: bool) -> None:
        """A retryable failure. Overload (5xx, refused/reset/timed-out connection) lowers the
        cap, and counts for the breaker only at the cap's floor; anything else (a malformed
        reply) says the provider is up."""
        self._settle(admission, done_at, None)
        if overload:
            view = self.breaker.record_failure(permit, only_if=AT_FLOOR, sent_at=sent_at)
            opened = permit.is_probe or (view is not None and view.consecutive_failures == self.breaker.failure_threshold)
            if view is not None and opened and view.circuit == "open":
                log.warning("circuit opened", provider=self.name, failures=view.consecutive_failures,
                            until=view.open_until)
            lowered = self.cap.overloaded(sent_at)
            if lowered is not None:
                log.info("concurrency cap lowered", provider=self.name, cap=lowered.cap)
        else:
            self.breaker.record_success(permit)
        self.state.count(self.name, requests=1, failures=1)

    def answered(self, admission: Admission, permit: Permit, done_at: float) -> None:
        """A definite answer about this chunk (400, too long): the provider works."""
        self._settle(admission, done_at, None)
        self.breaker.record_success(permit)
        self.state.count(self.name, requests=1)

    def quota_spent(self, admission: Admission, permit: Permit, done_at: float, until: float,
                    quota: tuple[Quota, float] | None) -> None:
        """The provider says a quota is spent: our counter agrees from now on, and every
        process waits for its reset."""
        self._settle(admission, done_at, None)
        if quota is not None:
            self.limiter.fill_quota(*quota)
        self.state.pause(self.name, until, "quota exhausted")
        self.breaker.record_success(permit)
        self.state.count(self.name, requests=1)

    def disabled(self, admission: Admission, permit: Permit, done_at: float, reason: str) -> None:
        self._settle(admission, done_at, None)
        self.breaker.release(permit)
        self.state.disable(self.name, reason)
        self.state.count(self.name, requests=1)

    def cancelled(self, admission: Admission, at: float) -> None:
        """The call was abandoned in flight (the chunk was cancelled): it may still be counted."""
        self._settle(admission, at, None)
