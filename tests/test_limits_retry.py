"""RetryPolicy math and error classification."""

from __future__ import annotations

import random

import pytest

from scribe_tui.limits.retry import RetryPolicy, classify
from scribe_tui.providers.base import (
    ChunkRejected,
    ContentTooLong,
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RetryableError,
)


def test_backoff_cap_doubles_from_base_and_stops_at_max() -> None:
    policy = RetryPolicy(0.5, 8.0)
    assert [policy.backoff_cap(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert policy.backoff_cap(0) == 0.5  # "no attempt burnt yet" is treated as the first
    assert policy.backoff_cap(10_000) == 8.0  # no overflow


def test_full_jitter_stays_within_zero_and_the_cap_and_spreads_over_it() -> None:
    policy = RetryPolicy(1.0, 30.0, rng=random.Random(7))
    for attempt in range(1, 9):
        cap = policy.backoff_cap(attempt)
        delays = [policy.delay(attempt, RetryableError("x")) for _ in range(400)]
        assert all(0.0 <= d <= cap for d in delays)
        # full jitter: both the low and the high quarter of [0, cap] are used
        assert min(delays) < cap * 0.25 and max(delays) > cap * 0.75


def test_retry_after_is_a_floor_even_above_max_delay() -> None:
    policy = RetryPolicy(1.0, 10.0, rng=random.Random(1))
    for attempt in (1, 3, 9):
        assert all(policy.delay(attempt, RateLimited("x", retry_after_s=4.0)) >= 4.0 for _ in range(200))
    assert policy.delay(1, RateLimited("x", retry_after_s=120.0)) == 120.0
    assert policy.delay(1, RateLimited("x", retry_after_s=None)) <= 1.0


def test_seeded_policies_repeat_themselves() -> None:
    a = RetryPolicy(1.0, 60.0, rng=random.Random(42))
    b = RetryPolicy(1.0, 60.0, rng=random.Random(42))
    assert [a.delay(n) for n in range(1, 10)] == [b.delay(n) for n in range(1, 10)]


@pytest.mark.parametrize(("error", "action"), [
    (ContentTooLong("long"), "split"),
    (ChunkRejected("bad", status=400), "chunk_fatal"),
    (ProviderUnavailable("who are you", status=401), "provider_fatal"),
    (QuotaExhausted("spent", status=456), "defer"),
    (RateLimited("slow", status=429), "retry"),
    (RetryableError("down", status=503), "retry"),
    (ProviderError("odd", status=401), "provider_fatal"),
    (ProviderError("odd", status=413), "split"),
    (ProviderError("odd", status=422), "chunk_fatal"),
    (ProviderError("odd", status=502), "retry"),
    (ProviderError("no status"), "retry"),
    (ValueError("not a provider error"), "retry"),
])
def test_classify(error: BaseException, action: str) -> None:
    assert classify(error) == action
    assert RetryPolicy.classify(error) == action
