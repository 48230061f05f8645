"""One provider's lane in one process: a single attempt through shared pause / disabled check →
circuit breaker → bulkhead → rate limiter → the provider's HTTP call (its own timeouts, plus a
guard here) → what the reply means for the chunk. The gateway (cache, splitting, validation)
drives lanes; settlement.py records what each call leaves behind, off the event loop.

The bulkhead slot is taken *before* the rate-limit permit, so a permit is always used at
once: a permit taken and then held back in a bulkhead queue would let requests reach the
server in a burst that its sliding window counts as over the limit. While the call is in
flight its rows are held in the windows (holds.py).

A 429 is the limiter's miss, never the chunk's fault: it pauses the provider for every
process and defers the chunk without burning an attempt. The pause is the server's
``Retry-After``, else a backoff that grows with the provider's run of 429s in this process.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import structlog

from scribe_tui.config import ProviderConfig, Settings
from scribe_tui.limits.adaptive import ConcurrencyCap
from scribe_tui.limits.admission import Admission, Parked, WeightOverLimit
from scribe_tui.limits.bookkeeper import Bookkeeper
from scribe_tui.limits.breaker import CircuitBreaker, Permit
from scribe_tui.limits.buckets import ProviderLimiter
from scribe_tui.limits.holds import Holds
from scribe_tui.limits.outcomes import (
    Deferred,
    Outcome,
    ProviderDisabled,
    RequestRecord,
    RetryLater,
    Translated,
    Unretryable,
)
from scribe_tui.limits.provider_state import ProviderStateStore
from scribe_tui.limits.retry import RetryPolicy, classify, is_overload
from scribe_tui.limits.settlement import Settlement
from scribe_tui.providers.base import (
    Estimate,
    Provider,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    RetryableError,
    TranslationRequest,
    TranslationResult,
)

log = structlog.get_logger(__name__)

QUOTA_RECHECK_S = 3600.0  # a spent quota whose reset time nobody knows is re-tried hourly
STATE_BUSY_RETRY_S = 1.0  # shared state unreadable (locked): look again this soon, nothing sent


@dataclass(frozen=True)
class TooLong:
    """The chunk must be split (the provider or a limit said it is too long)."""

    error: ProviderError


@dataclass(frozen=True)
class _Call:
    """One sent request, for the bookkeeping that follows it."""

    admission: Admission
    permit: Permit
    estimate: Estimate
    sent_at: float
    t0: float


class Lane:
    """One provider's machinery in this process."""

    def __init__(self, name: str, provider: Provider, settings: Settings, limiter: ProviderLimiter, *,
                 state: ProviderStateStore, book_state: ProviderStateStore, books: Bookkeeper,
                 emit: Callable[[RequestRecord], None], clock: Callable[[], float], policy: RetryPolicy):
        self.name = name
        self.provider = provider
        self.config: ProviderConfig = settings.provider(name)
        self.settings = settings
        self.limiter = limiter
        self.state = state
        self.books = books
        self.emit = emit
        self.clock = clock
        self.policy = policy
        self.bulkhead = asyncio.Semaphore(self.config.max_concurrency)
        self.breaker = self._breaker(state)
        self.holds = Holds(limiter.shortest_span_s, limiter.restamp, books, clock)
        self.settlement = Settlement(name, limiter, book_state, self._breaker(book_state),
                                     ConcurrencyCap(book_state, name, self.config.max_concurrency, clock))
        self.paused_until = 0.0  # this process's own 429s and quotas take effect here at once
        self.disabled_reason: str | None = None
        self._rate_limit_run = 0
        self.on_wire = 0  # requests sent and not yet answered (not those waiting for the limiter)

    def _breaker(self, store: ProviderStateStore) -> CircuitBreaker:
        config = self.config
        return CircuitBreaker(store, self.name, failure_threshold=self.settings.breaker.failure_threshold,
                              cooldown_s=self.settings.breaker.cooldown_s,
                              probe_lease_s=2 * config.timeout_s + config.connect_timeout_s + 5, clock=self.clock)

    # ---- before the call ------------------------------------------------------------------------
    async def attempt(self, request: TranslationRequest, attempt: int) -> Outcome | TooLong:
        try:
            blocked = self.blocked()
            if blocked is not None:
                return blocked
            permit = self.breaker.admit()
        except sqlite3.Error as exc:
            return self._state_busy(exc)
        if not permit.allowed:
            return Deferred(permit.until, "circuit_open",
                            f"{self.name}: circuit open after repeated failures; next try at {_clock_text(permit.until)}")
        sent = False
        try:
            async with self.bulkhead:
                estimate = self.provider.estimate(request)
                try:
                    admitted = await self.limiter.acquire(estimate)
                except WeightOverLimit as exc:
                    return TooLong(exc)
                if isinstance(admitted, Parked):
                    return Deferred(admitted.until, admitted.reason, admitted.message)
                blocked = self.blocked()  # a 429 elsewhere may have paused it while we waited
                if blocked is not None:
                    return blocked
                sent = True
                return await self._send(request, attempt, _Call(admitted, permit, estimate, self.clock(),
                                                                time.perf_counter()))
        except sqlite3.Error as exc:
            if sent:
                raise
            return self._state_busy(exc)
        finally:
            if not sent:
                self._release(permit)

    def blocked(self) -> Outcome | None:
        if self.disabled_reason:
            return ProviderDisabled(ProviderUnavailable(self.disabled_reason, provider=self.name))
        view = self.state.get(self.name)
        if view.disabled_reason:
            return ProviderDisabled(ProviderUnavailable(view.disabled_reason, provider=self.name))
        until = max(view.paused_until, self.paused_until)
        if until > self.clock():
            reason = view.pause_reason if view.paused_until >= self.paused_until else "rate limited"
            return Deferred(until, "paused", f"{self.name}: paused ({reason or 'rate limited'}) until {_clock_text(until)}")
        return None

    def _release(self, permit: Permit) -> None:
        """Hand an unused probe back at once, so the next caller can claim it."""
        try:
            self.breaker.release(permit)
        except sqlite3.Error as exc:  # the probe's lease runs out by itself
            log.warning("could not hand back the breaker probe", provider=self.name, error=str(exc))

    def _state_busy(self, exc: sqlite3.Error) -> Deferred:
        log.warning("shared limit state unavailable; deferring without sending", provider=self.name,
                    error=f"{type(exc).__name__}: {exc}")
        until = self.clock() + STATE_BUSY_RETRY_S
        return Deferred(until, "paused", f"{self.name}: shared limit state busy ({exc}); next try at {_clock_text(until)}")

    # ---- the call -------------------------------------------------------------------------------
    async def _send(self, request: TranslationRequest, attempt: int, call: _Call) -> Outcome | TooLong:
        guard_s = 2 * self.config.timeout_s + self.config.connect_timeout_s
        self.holds.start(call.admission)
        overload = True
        self.on_wire += 1
        try:
            async with asyncio.timeout(guard_s):
                result = await self.provider.translate(request)
        except asyncio.CancelledError:
            self.holds.finish(call.admission)
            self._release(call.permit)
            self.books.submit(lambda: self.settlement.cancelled(call.admission, self.clock()))
            raise
        except TimeoutError:
            error: ProviderError = RetryableError(f"no reply within {guard_s:g} s", provider=self.name)
        except ProviderError as exc:
            error, overload = exc, is_overload(exc)
        except Exception as exc:  # an adapter bug or an unwrapped library error: transient, not overload
            log.warning("provider raised an unexpected error", provider=self.name, error_class=type(exc).__name__)
            error, overload = RetryableError(f"unexpected {type(exc).__name__}: {str(exc)[:200]}", provider=self.name), False
        else:
            self.holds.finish(call.admission)
            return self._succeeded(result, call)
        finally:
            self.on_wire -= 1
        self.holds.finish(call.admission)
        return await self._failed(error, attempt, call, overload=overload)

    def _succeeded(self, result: TranslationResult, call: _Call) -> Outcome:
        done_at = self.clock()
        usage = result.usage
        cost = usage.cost_usd or self.provider.cost(usage)
        if cost != usage.cost_usd:
            result = replace(result, usage=replace(usage, cost_usd=cost))
        actual: dict[str, int] = {}
        if usage.tokens_in or usage.tokens_out:
            actual["tokens"] = usage.tokens_in + usage.tokens_out
            self.limiter.calibration.learn(call.estimate, usage.tokens_in, usage.tokens_out)
        if usage.characters:
            actual["characters"] = usage.characters
        self._rate_limit_run = 0
        self.emit(RequestRecord(call.sent_at, self.name, result.model or self.provider.model, "ok", None, None,
                                _ms_since(call.t0), usage.tokens_in, usage.tokens_out, usage.characters, cost))
        # Not waited for: nothing here changes what the next request may do at once (the
        # rows are held until re-stamped, holds.py), so a success costs no thread hop.
        self.books.submit(lambda: self.settlement.succeeded(call.admission, call.permit, call.sent_at, done_at,
                                                            result.report, actual))
        return Translated(result, cached=False)

    async def _failed(self, error: ProviderError, attempt: int, call: _Call, *, overload: bool) -> Outcome | TooLong:
        now = self.clock()
        action = classify(error)
        rate_limited = isinstance(error, RateLimited) or error.status == 429
        self.emit(RequestRecord(call.sent_at, self.name, self.provider.model, "rate_limited" if rate_limited else action,
                                error.status, error.error_class, _ms_since(call.t0)))
        if rate_limited:
            return await self._rate_limited(error, call, now)
        if action == "retry":
            await self.books.run(lambda: self.settlement.failed(call.admission, call.permit, call.sent_at, now,
                                                                overload=overload))
            return RetryLater(self.policy.delay(attempt + 1, error), error)
        if action == "provider_fatal":
            self.disabled_reason = disabled_reason(self.name, self.config, error)
            log.error("provider disabled", provider=self.name, reason=self.disabled_reason)
            await self.books.run(lambda: self.settlement.disabled(call.admission, call.permit, now,
                                                                  self.disabled_reason or ""))
            return ProviderDisabled(ProviderUnavailable(self.disabled_reason, provider=self.name, status=error.status))
        if action == "defer":
            return await self._quota_spent(error, call, now)
        await self.books.run(lambda: self.settlement.answered(call.admission, call.permit, now))
        return TooLong(error) if action == "split" else Unretryable(error)

    async def _rate_limited(self, error: ProviderError, call: _Call, now: float) -> Deferred:
        self._rate_limit_run += 1
        pause_s = error.retry_after_s if error.retry_after_s is not None else self.policy.backoff_cap(self._rate_limit_run)
        until = now + pause_s
        self.paused_until = max(self.paused_until, until)
        await self.books.run(lambda: self.settlement.rate_limited(call.admission, call.permit, now, until, error.report))
        return Deferred(until, "rate_limited",
                        f"{self.name}: the server answered 429 and asked for a {pause_s:.0f} s wait; "
                        f"paused until {_clock_text(until)} (no attempt used)")

    async def _quota_spent(self, error: ProviderError, call: _Call, now: float) -> Deferred:
        kind = "characters" if self.config.kind in ("deepl", "microsoft") else None
        quota = self.limiter.quota_to_fill(kind, now)
        if error.retry_after_s is not None:
            until = now + error.retry_after_s
        elif quota is not None:
            until = quota[2]
        else:
            until = now + QUOTA_RECHECK_S
        self.paused_until = max(self.paused_until, until)
        filled = (quota[0], quota[1]) if quota is not None else None
        await self.books.run(lambda: self.settlement.quota_spent(call.admission, call.permit, now, until, filled))
        return Deferred(until, "quota_parked", f"{self.name}: quota exhausted ({error}); parked until {_clock_text(until)}")

    async def aclose(self) -> None:
        await self.holds.aclose()


def _ms_since(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0


def disabled_reason(name: str, config: ProviderConfig, error: ProviderError) -> str:
    """Why the provider is disabled, in words: a rejected key names the variable it came from."""
    status = f"HTTP {error.status}" if error.status else "no HTTP status"
    text = str(error).removeprefix(f"HTTP {error.status}: ").strip() if error.status else str(error).strip()
    key_problem = error.status in (401, 403) or "API_KEY" in text.upper() or "API KEY" in text.upper()
    if key_problem:
        where = f"the key in {config.api_key_env}" if config.api_key_env else "its API key"
        return f"provider {name!r} rejected {where} ({status})"
    return f"provider {name!r} refused every request ({status}: {text}); check the account's access"


def _clock_text(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch))
