"""The pace arithmetic (limits/pace.py): the windows the limiter enforces, a lower bound that
no schedule beats, the expected time, and which limit binds."""

from __future__ import annotations

import itertools

import pytest

from scribe_tui.config import ProviderConfig
from scribe_tui.limits.pace import Work, expected, lower_bound, windows


def provider(*limits: str, concurrency: int = 10) -> ProviderConfig:
    return ProviderConfig(kind="openai", limits=list(limits), max_concurrency=concurrency)


def test_windows_are_the_limiters_own() -> None:
    found = windows(provider("500/minute", "150000 tokens/minute", "1000/day"))
    assert [(w.text, w.kind, w.amount, w.span_s, w.unit) for w in found] == [
        ("500/minute", "requests", 500, 60.0, 1), ("150000 tokens/minute", "tokens", 1500, 60.0, 100)]


def test_the_burst_is_counted() -> None:
    # 80 requests at 30/minute: 30 at once, 30 a minute later, the last 20 two minutes in
    config = provider("30/minute")
    assert lower_bound(config, Work(80), min_latency_s=0.5).seconds == pytest.approx(120.5)
    assert lower_bound(config, Work(30)).seconds == 0.0
    pace = expected(config, Work(80), latency_s=0.5)
    # each request holds its place until its reply: the issue measured 122.7 s for this run
    assert pace.seconds == pytest.approx(122.0, abs=0.6) and pace.reason() == "limited by 30/minute"


def test_latency_binds_when_the_window_does_not() -> None:
    pace = expected(provider("600/minute"), Work(60), latency_s=1.0)
    assert pace.seconds == pytest.approx(6.0) and pace.binding.startswith("latency (1.00 s × 10")


def test_a_full_window_binds_the_last_few_requests() -> None:
    # 8 left under "10/2s" with the window already full: no burst, they wait a second for a
    # slot; the 0.06 s replies do not bind (the tail of a run named "latency" before)
    config = provider("10/2s", concurrency=8)
    assert expected(config, Work(8), latency_s=0.06).binding.startswith("latency")
    pace = expected(config, Work(8), latency_s=0.06, held={"10/2s": [-1.0] * 10})
    assert pace.binding == "10/2s" and pace.seconds == pytest.approx(1.06)


def test_the_tokens_window_can_bind() -> None:
    pace = expected(provider("500/minute", "150000 tokens/minute", concurrency=20), Work(728, tokens=728 * 400),
                    latency_s=0.3)
    assert pace.binding == "150000 tokens/minute" and 60 < pace.seconds < 70


@pytest.mark.parametrize(("requests", "amount", "span", "concurrency"),
                         list(itertools.product((1, 9, 10, 11, 55), (3, 10), (1.0, 7.5), (1, 4))))
def test_the_lower_bound_never_exceeds_the_ideal_schedule(requests: int, amount: int, span: float,
                                                           concurrency: int) -> None:
    config = provider(f"{amount}/{span:g}s", concurrency=concurrency)
    bound = lower_bound(config, Work(requests), min_latency_s=0.2)
    assert bound.seconds <= expected(config, Work(requests), latency_s=0.2).seconds + 1e-9
