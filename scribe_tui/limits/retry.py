"""The retry policy: what a failed provider call means (retry, park, fail the chunk, split it,
or stop using the provider) and how long to wait before the next attempt.

The servers' own "wait this long" headers (``Retry-After``, ``x-ratelimit-reset-*``) are read
by the adapters (``providers.http.retry_after_from_headers``) into ``error.retry_after_s``;
this policy only uses that figure as a floor.
"""

from __future__ import annotations

import math
import random
from typing import Literal

from scribe_tui.providers.base import (
    ChunkRejected,
    ContentTooLong,
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RetryableError,
)

Action = Literal["retry", "defer", "chunk_fatal", "split", "provider_fatal"]


class RetryPolicy:
    """Exponential backoff with full jitter, never shorter than what the server asked for.

    ``attempt`` is the 1-based number of the attempt that just failed: the n-th failure waits
    a uniformly random time in ``[0, min(max_delay_s, base_delay_s * 2**(n-1))]``; when the
    error carries ``retry_after_s`` the delay is at least that (even above ``max_delay_s``:
    a server that says "come back in two minutes" means it).
    """

    def __init__(self, base_delay_s: float, max_delay_s: float, rng: random.Random | None = None):
        if base_delay_s <= 0 or max_delay_s <= 0:
            raise ValueError("base_delay_s and max_delay_s must be positive")
        self.base_delay_s = base_delay_s
        self.max_delay_s = max(max_delay_s, base_delay_s)
        self._rng = rng or random.Random()

    def backoff_cap(self, attempt: int) -> float:
        """The upper bound of the jittered delay after the ``attempt``-th failure."""
        exponent = min(max(attempt, 1) - 1, 64)  # 2**64 * base is past any max_delay
        return min(self.max_delay_s, self.base_delay_s * 2.0**exponent)

    def delay(self, attempt: int, error: BaseException | None = None) -> float:
        jittered = self._rng.uniform(0.0, self.backoff_cap(attempt))
        floor = retry_after_of(error)
        return max(jittered, floor) if floor is not None else jittered

    @staticmethod
    def classify(error: BaseException) -> Action:
        return classify(error)


def classify(error: BaseException) -> Action:
    """What to do about ``error``. Order matters: ContentTooLong is a ChunkRejected."""
    if isinstance(error, ContentTooLong):
        return "split"
    if isinstance(error, ChunkRejected):
        return "chunk_fatal"
    if isinstance(error, ProviderUnavailable):
        return "provider_fatal"
    if isinstance(error, QuotaExhausted):
        return "defer"
    if isinstance(error, RetryableError):
        return "retry"
    if isinstance(error, ProviderError) and error.status is not None:
        return _classify_status(error.status)
    return "retry"  # unknown failures are treated as transient; max_attempts bounds them


def _classify_status(status: int) -> Action:
    if status in (401, 403):
        return "provider_fatal"
    if status == 413:
        return "split"
    if status in (408, 409, 425, 429) or status >= 500:
        return "retry"
    if 400 <= status < 500:
        return "chunk_fatal"
    return "retry"


def is_overload(error: BaseException) -> bool:
    """A sign the provider is overloaded or out of reach, which lowers its concurrency cap: a
    5xx or 408 reply, or a connection that was refused, reset or timed out (no status). A
    429 is not (the rate limits answer it), nor a malformed 200 reply."""
    if isinstance(error, RateLimited) or not isinstance(error, RetryableError):
        return False
    return error.status is None or error.status >= 500 or error.status == 408


def retry_after_of(error: BaseException | None) -> float | None:
    value = getattr(error, "retry_after_s", None)
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None
