"""The gateway: every provider call a worker process makes goes through here, one attempt at
a time — cache lookup → the provider's lane (lane.py: shared pause / disabled check →
circuit breaker → bulkhead → rate limiter → HTTP call → what the reply means) → splitting
over-long chunks → validation → cache write.

``translate`` returns an Outcome (see outcomes.py) and never raises for a provider's failure;
the engine decides what to do with it. Results are validated (when the caller passes a
validator) before they are cached. The shared-state writes that follow each call run on one
bookkeeping thread (bookkeeper.py), so a locked or failing state file never costs a paid
reply, an attempt, or the event loop's time. A reply of the wrong shape (blocks merged, a
line dropped, a fence or timing line added) is not retried as it was: the text is cut in two
at a line break and each half is translated and validated on its own, down to single lines.

``translate_packed`` sends several small chunks as one request (``pack_max_chunks``): each
part of the reply is validated and cached under its own chunk's key, exactly as if it had
been sent alone (packing never changes a cache key; the packed text itself is never cached),
and any chunk that does not come back cleanly is translated alone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import structlog

from scribe_tui.cache import CachedTranslation, TranslationCache, cache_key
from scribe_tui.config import Settings
from scribe_tui.limits.bookkeeper import Bookkeeper
from scribe_tui.limits.buckets import ProviderLimiter
from scribe_tui.limits.lane import Lane, TooLong
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
from scribe_tui.limits.retry import RetryPolicy
from scribe_tui.limits.snapshot import ProviderStatus, provider_snapshot
from scribe_tui.limits.split import Split, split_text
from scribe_tui.prompt import PROMPT_VERSION, pack_texts, unpack_reply
from scribe_tui.providers.base import (
    ContentTooLong,
    Provider,
    ProviderError,
    ProviderUnavailable,
    RetryableError,
    TranslationRequest,
    TranslationResult,
    Usage,
)

log = structlog.get_logger(__name__)

MAX_SPLIT_DEPTH = 6  # at most 2**6 pieces from one chunk
SPLIT_CONTEXT_CHARS = 500  # the right half's context: the tail of the left half's source

Validator = Callable[[str, str], None]  # (source text, reply): ValueError when the reply's shape is wrong

__all__ = [
    "Deferred", "Gateway", "Outcome", "ProviderDisabled", "ProviderStatus", "RequestRecord",
    "RetryLater", "Translated", "Unretryable", "provider_snapshot",
]


class Gateway:
    """This process's way to every provider. Owns (and closes) the providers it is given."""

    def __init__(self, settings: Settings, data_dir: Path, providers: Mapping[str, Provider], *,
                 cache: TranslationCache | None, read_cache: bool = True, worker_count: int = 1,
                 on_request: Callable[[RequestRecord], None] | None = None, close_providers: bool = True,
                 clock: Callable[[], float] = time.time, policy: RetryPolicy | None = None):
        self.settings = settings
        self.data_dir = Path(data_dir)
        self.providers = dict(providers)
        self.cache = cache
        self.read_cache = read_cache
        self.worker_count = max(1, worker_count)
        self.on_request = on_request
        self.close_providers = close_providers
        self.policy = policy or RetryPolicy(settings.retry.base_delay_s, settings.retry.max_delay_s)
        self.state = ProviderStateStore(self.data_dir, store_url=settings.store_url)  # read on the event loop
        # a shared store's database clock, so that pauses, probes and the cap agree across machines
        self.clock = self.state.clock if clock is time.time else clock
        self.books = Bookkeeper()
        self._book_state = ProviderStateStore(self.data_dir, store_url=settings.store_url)  # written on the bookkeeping thread
        self._lanes: dict[str, Lane] = {}
        self._misshapen: set[str] = set()  # cache keys whose whole reply had the wrong shape
        self._closed = False

    # ---- public --------------------------------------------------------------------------------
    async def translate(self, provider_name: str, request: TranslationRequest, *, attempt: int = 0,
                        validate: Validator | None = None) -> Outcome:
        """One attempt (plus limiter waits). ``attempt`` is how many attempts this chunk has
        already burnt; ``validate`` raises ValueError when a reply cannot be accepted."""
        if provider_name not in self.providers and provider_name in self.settings.providers:
            return ProviderDisabled(ProviderUnavailable(
                f"provider {provider_name!r} is not available in this process (is its API key set?)",
                provider=provider_name))
        lane = self._lane(provider_name)
        touched: list[str] = []
        outcome = await self._translate(lane, request, attempt, depth=0, touched=touched, validate=validate)
        if validate is not None and isinstance(outcome, Translated):
            outcome = self._validated(lane, request, outcome, attempt, validate, touched)
        if isinstance(outcome, Translated) and not outcome.cached:
            self._cache_write(self._key(lane, request), lane, outcome.result)
        return outcome

    def forget(self, provider_name: str, request: TranslationRequest) -> None:
        """Never serve the cached reply to ``request`` again (the caller judged it poor)."""
        if self.cache is not None and provider_name in self.providers:
            self.cache.delete(self._key(self._lane(provider_name), request))

    async def translate_packed(self, provider_name: str, requests: Sequence[TranslationRequest], *,
                               attempts: Sequence[int], validates: Sequence[Validator | None]) -> list[Outcome]:
        """Several requests (same provider and language, no context) in one packed request
        (prompt.pack_texts); each part of the reply is validated and cached as its own request
        would be. Whatever does not come back cleanly is translated alone (``translate``)."""
        if provider_name not in self.providers or len(requests) < 2:
            return list(await asyncio.gather(*(self.translate(provider_name, request, attempt=attempt, validate=check)
                                               for request, attempt, check in zip(requests, attempts, validates,
                                                                                  strict=True))))
        lane = self._lane(provider_name)
        outcomes: list[Outcome | None] = [self._usable_hit(lane, request, check)
                                          for request, check in zip(requests, validates, strict=True)]
        waiting = [index for index, outcome in enumerate(outcomes) if outcome is None]
        if len(waiting) > 1:
            await self._send_packed(lane, [requests[i] for i in waiting], max(attempts[i] for i in waiting),
                                    [validates[i] for i in waiting], waiting, outcomes)
        alone = [index for index, outcome in enumerate(outcomes) if outcome is None]
        if alone:
            log.info("packed chunks translated alone", provider=lane.name, chunks=len(alone))
        results = await asyncio.gather(*(self.translate(provider_name, requests[i], attempt=attempts[i],
                                                        validate=validates[i]) for i in alone))
        for index, outcome in zip(alone, results, strict=True):
            outcomes[index] = outcome
        return [outcome for outcome in outcomes if outcome is not None]

    async def _send_packed(self, lane: Lane, requests: list[TranslationRequest], attempt: int,
                           validates: list[Validator | None], slots: list[int], outcomes: list[Outcome | None]) -> None:
        """One packed request; fills ``outcomes[slots[i]]`` for each part that came back cleanly
        (or with the request's own failure when it was not a reply at all)."""
        packed = replace(requests[0], text=pack_texts([request.text for request in requests]), context="",
                         chunk_id="+".join(request.chunk_id or "?" for request in requests))
        outcome = await lane.attempt(packed, attempt)
        if isinstance(outcome, (RetryLater, Deferred, ProviderDisabled)):
            for slot in slots:  # a refusal of the request, not of any one text: each waits as it would have
                outcomes[slot] = outcome
            return
        if not isinstance(outcome, Translated):
            return  # too long, or refused outright: each is tried alone
        parts = unpack_reply(outcome.result.text, len(requests))
        total = sum(len(request.text) for request in requests) or 1
        for slot, request, check, part in zip(slots, requests, validates, parts, strict=True):
            if part is None:
                continue
            result = replace(outcome.result, text=part, usage=_share(outcome.result.usage, len(request.text) / total))
            translated = Translated(result, cached=False)
            if _shape_problem(check, request, translated) is None:
                outcomes[slot] = translated
                self._cache_write(self._key(lane, request), lane, result)

    def _usable_hit(self, lane: Lane, request: TranslationRequest, validate: Validator | None) -> Translated | None:
        if self.cache is None or not self.read_cache:
            return None
        hit = self._cache_lookup(lane, self._key(lane, request))
        return hit if hit is not None and _shape_problem(validate, request, hit) is None else None

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        for lane in self._lanes.values():
            await lane.aclose()
        self.books.close()  # finishes what is queued
        for lane in self._lanes.values():
            lane.limiter.close()
        self._book_state.close()
        self.state.close()
        if self.close_providers:
            for provider in self.providers.values():
                try:
                    await provider.aclose()
                except Exception as exc:  # closing must not hide the run's result
                    log.warning("provider close failed", provider=provider.name, error=type(exc).__name__)

    # ---- the pipeline --------------------------------------------------------------------------
    async def _translate(self, lane: Lane, request: TranslationRequest, attempt: int, *, depth: int,
                         touched: list[str], validate: Validator | None = None) -> Outcome:
        key = self._key(lane, request)
        touched.append(key)
        if self.cache is not None and self.read_cache:
            hit = self._cache_lookup(lane, key)
            if hit is not None and _shape_problem(validate, request, hit) is None:
                return hit
            if hit is not None:
                self.cache.delete(key)  # cached before this check existed: never serve it again
        if validate is not None and key in self._misshapen and _line_halves(request, depth) is not None:
            # do not pay for the same wrong reply again: straight to the halves
            return await self._reshape(lane, request, attempt, "it had the wrong shape before", depth, touched, validate)
        outcome = await lane.attempt(request, attempt)
        if isinstance(outcome, TooLong):
            return await self._split(lane, request, attempt, outcome.error, depth=depth, touched=touched,
                                     validate=validate)
        if (problem := _shape_problem(validate, request, outcome)) is not None:
            self._misshapen.add(key)
            return await self._reshape(lane, request, attempt, problem, depth, touched, validate)
        if depth > 0 and isinstance(outcome, Translated):
            self._cache_write(key, lane, outcome.result)  # halves are cached as they come
        return outcome

    # ---- splitting over-long chunks ------------------------------------------------------------
    async def _split(self, lane: Lane, request: TranslationRequest, attempt: int, error: ProviderError, *,
                     depth: int, touched: list[str], validate: Validator | None = None,
                     parts: Split | None = None) -> Outcome:
        parts = parts or (split_text(request.text) if depth < MAX_SPLIT_DEPTH else None)
        if parts is None:
            return Unretryable(ContentTooLong(f"{error} (the chunk cannot be split further)", provider=lane.name,
                                              status=error.status))
        left = await self._translate(lane, replace(request, text=parts.left), attempt, depth=depth + 1, touched=touched,
                                     validate=validate)
        if not isinstance(left, Translated):
            return left
        right_request = replace(request, text=parts.right, context=_tail(parts.left))
        right = await self._translate(lane, right_request, attempt, depth=depth + 1, touched=touched,
                                      validate=validate)
        if not isinstance(right, Translated):
            return right
        a, b = left.result, right.result
        joined = TranslationResult(text=parts.join(a.text, b.text), usage=_add(a.usage, b.usage),
                                   provider=a.provider or lane.name, model=a.model or b.model,
                                   latency_ms=a.latency_ms + b.latency_ms)
        return Translated(joined, cached=left.cached and right.cached)

    async def _reshape(self, lane: Lane, request: TranslationRequest, attempt: int, problem: str, depth: int,
                       touched: list[str], validate: Validator) -> Outcome:
        """A reply of the wrong shape: translate the text's halves (cut at a line) instead;
        a piece that cannot be cut any further is retried later, naming the problem."""
        error = RetryableError(f"malformed reply: {problem}", provider=lane.name)
        parts = _line_halves(request, depth)
        if parts is None:
            lines = request.text.count("\n") + 1
            error = RetryableError(f"malformed reply: {problem} (in a piece of {lines} line(s) that cannot be "
                                   f"split further)", provider=lane.name)
            return RetryLater(self.policy.delay(attempt + 1, error), error)
        log.info("reply had the wrong shape; translating the halves", provider=lane.name, problem=problem[:200])
        return await self._split(lane, request, attempt, error, depth=depth, touched=touched, validate=validate,
                                 parts=parts)

    # ---- validation and the cache --------------------------------------------------------------
    def _validated(self, lane: Lane, request: TranslationRequest, outcome: Translated, attempt: int,
                   validate: Validator, touched: list[str]) -> Outcome:
        try:
            validate(request.text, outcome.result.text)
        except ValueError as exc:
            if self.cache is not None:
                for key in touched:  # never serve this reply (or the halves it was built from) again
                    self.cache.delete(key)
            error = RetryableError(f"malformed reply: {exc}", provider=lane.name)
            return RetryLater(self.policy.delay(attempt + 1, error), error)
        return outcome

    def _key(self, lane: Lane, request: TranslationRequest) -> str:
        return cache_key(lane.provider.kind, lane.provider.model, request.target_language, PROMPT_VERSION,
                         request.context, request.text, source_language=request.source_language,
                         glossary=request.glossary, endpoint=getattr(lane.provider, "endpoint", ""))

    def _cache_lookup(self, lane: Lane, key: str) -> Translated | None:
        assert self.cache is not None
        started, t0 = self.clock(), time.perf_counter()
        hit = self.cache.get(key)
        if hit is None:
            return None
        model = hit.model or lane.provider.model
        elapsed = _ms_since(t0)
        self._emit(RequestRecord(started, lane.name, model, "cache_hit", None, None, elapsed, hit.usage.tokens_in,
                                 hit.usage.tokens_out, hit.usage.characters, 0.0, cached=True))
        result = TranslationResult(text=hit.text, usage=hit.usage, provider=lane.name, model=model, latency_ms=elapsed)
        return Translated(result, cached=True)

    def _cache_write(self, key: str, lane: Lane, result: TranslationResult) -> None:
        if self.cache is not None:
            self.cache.set(key, CachedTranslation(text=result.text, usage=result.usage,
                                                  provider=lane.name, model=result.model))

    # ---- plumbing ------------------------------------------------------------------------------
    def prepare(self) -> None:
        """Open every provider's buckets, breaker and state now rather than on the first chunk,
        so the first burst is not sent late (a late burst can crowd the server's window)."""
        for name in self.providers:
            self._lane(name)

    def requests_on_wire(self) -> int:
        """Requests sent to a provider and not answered yet (chunks waiting for a limit are not)."""
        return sum(lane.on_wire for lane in self._lanes.values())

    def hold_off(self, provider: str, until: float) -> None:
        """Another process got a 429 from ``provider`` (the supervisor says so before that
        process's bookkeeping has written the shared pause): this process sends it nothing
        before ``until``."""
        lane = self._lanes.get(provider)
        if lane is not None:
            lane.paused_until = max(lane.paused_until, until)

    def _lane(self, name: str) -> Lane:
        lane = self._lanes.get(name)
        if lane is not None:
            return lane
        if self._closed:
            raise RuntimeError("the gateway is closed")
        if name not in self.providers:
            raise KeyError(f"no provider {name!r} in this gateway (have: {', '.join(self.providers) or 'none'})")
        limiter = ProviderLimiter(name, self.settings.provider(name), self.data_dir,
                                  park_after_s=self.settings.retry.park_after_s, worker_count=self.worker_count,
                                  store_url=self.settings.store_url)
        lane = Lane(name, self.providers[name], self.settings, limiter, state=self.state, book_state=self._book_state,
                    books=self.books, emit=self._emit, clock=self.clock, policy=self.policy)
        self._lanes[name] = lane
        return lane

    def _emit(self, record: RequestRecord) -> None:
        if self.on_request is None:
            return
        try:
            self.on_request(record)
        except Exception as exc:  # metrics must never break a translation
            log.warning("on_request callback failed", error_class=type(exc).__name__)


def _line_halves(request: TranslationRequest, depth: int) -> Split | None:
    """The text cut in two at a blank line or line break, while splitting is still allowed."""
    return split_text(request.text, 1, within_lines=False) if depth < MAX_SPLIT_DEPTH else None


def _shape_problem(validate: Validator | None, request: TranslationRequest, outcome: Outcome | None) -> str | None:
    """Why ``outcome``'s reply does not fit the request's text, or None (also for no reply)."""
    if validate is None or not isinstance(outcome, Translated):
        return None
    try:
        validate(request.text, outcome.result.text)
    except ValueError as exc:
        return str(exc)
    return None


def _ms_since(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0


def _add(a: Usage, b: Usage) -> Usage:
    return Usage(a.tokens_in + b.tokens_in, a.tokens_out + b.tokens_out, a.characters + b.characters,
                 a.cost_usd + b.cost_usd)


def _share(usage: Usage, fraction: float) -> Usage:
    """A part's share of a packed request's usage (by its share of the text)."""
    return Usage(round(usage.tokens_in * fraction), round(usage.tokens_out * fraction),
                 round(usage.characters * fraction), usage.cost_usd * fraction)


def _tail(text: str, limit: int = SPLIT_CONTEXT_CHARS) -> str:
    """The end of ``text`` (at most ``limit`` characters), starting at a line or word."""
    if len(text) <= limit:
        return text
    tail = text[-limit:]
    for boundary in ("\n", " "):
        cut = tail.find(boundary)
        if 0 <= cut < len(tail) - 1:
            return tail[cut + 1:]
    return tail

