"""What one pass through the gateway comes to (an Outcome), and the record of every provider
call and cache hit it emits for the metrics table (a RequestRecord, never any text)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from scribe_tui.providers.base import ProviderError, TranslationResult

DeferReason = Literal["rate_limited", "circuit_open", "quota_parked", "paused"]


@dataclass(frozen=True)
class Translated:
    """Done. For a cache hit, ``result.usage`` is what the original call used (what was saved)."""

    result: TranslationResult
    cached: bool


@dataclass(frozen=True)
class Deferred:
    """Not sent, no attempt burnt: try again at ``until`` (epoch seconds)."""

    until: float
    reason: DeferReason
    message: str


@dataclass(frozen=True)
class RetryLater:
    """The attempt failed and counts: try again after ``delay_s``."""

    delay_s: float
    error: ProviderError


@dataclass(frozen=True)
class Unretryable:
    """Retrying this chunk as it is will not help (400, unsplittable, …)."""

    error: ProviderError


@dataclass(frozen=True)
class ProviderDisabled:
    """The provider refuses us (401/403, missing key): every process stops using it."""

    error: ProviderError


Outcome = Translated | Deferred | RetryLater | Unretryable | ProviderDisabled

# RequestRecord.outcome values: "ok" | "cache_hit" | "rate_limited" | "retry" | "defer" |
# "chunk_fatal" | "split" | "provider_fatal" (the retry policy's classification of the error).


@dataclass(frozen=True)
class RequestRecord:
    """One provider call or cache hit. For a cache hit (``cached=True``, outcome
    ``"cache_hit"``) the token and character counts are what the cache saved and
    ``cost_usd`` is 0: nothing was spent. ``ts`` is when the call started (epoch seconds)."""

    ts: float
    provider: str
    model: str
    outcome: str
    status_code: int | None
    error_class: str | None
    duration_ms: float
    tokens_in: int = 0
    tokens_out: int = 0
    characters: int = 0
    cost_usd: float = 0.0
    cached: bool = False
