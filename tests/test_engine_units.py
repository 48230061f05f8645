"""Unit tests of the engine's pure decisions: autoscaling targets, provider routing, and how a 429 is counted."""

from __future__ import annotations

import math
from pathlib import Path

from scribe_tui.config import load_settings
from scribe_tui.engine.autoscale import ProviderDemand, autoscale_target, step_toward
from scribe_tui.engine.routing import Router


def test_rate_limited_provider_needs_one_worker(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    slow = ProviderDemand(max_concurrency=64, requests_per_s_limit=10.0)
    assert autoscale_target(current=1, max_workers=8, runnable=5000, in_flight=10, providers=[slow],
                            rate_limited_now=False) == 1


def test_a_small_concurrency_cap_needs_one_worker(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    capped = ProviderDemand(max_concurrency=10, requests_per_s_limit=None)
    assert autoscale_target(current=1, max_workers=8, runnable=5000, in_flight=10, providers=[capped],
                            rate_limited_now=False) == 1


def test_fast_unlimited_provider_grows_with_the_queue(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    fast = ProviderDemand(max_concurrency=128, requests_per_s_limit=None)
    assert autoscale_target(current=1, max_workers=4, runnable=5000, in_flight=0, providers=[fast],
                            rate_limited_now=False) == 4
    assert autoscale_target(current=4, max_workers=4, runnable=40, in_flight=0, providers=[fast],
                            rate_limited_now=False) == 2  # a short queue needs fewer
    assert autoscale_target(current=4, max_workers=4, runnable=0, in_flight=0, providers=[fast],
                            rate_limited_now=False) == 1  # idle: shrink to one


def test_no_growth_while_rate_limited(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("os.cpu_count", lambda: 8)
    fast = ProviderDemand(max_concurrency=128, requests_per_s_limit=None)
    assert autoscale_target(current=2, max_workers=8, runnable=5000, in_flight=0, providers=[fast],
                            rate_limited_now=True) == 2


def test_grow_at_once_shrink_one_at_a_time() -> None:
    assert step_toward(1, 4) == 4 and step_toward(4, 1) == 3 and step_toward(2, 2) == 2


def _settings(tmp_path: Path, routing: str = "priority"):  # type: ignore[no-untyped-def]
    path = tmp_path / "c.toml"
    path.write_text(f"""
[engine]
routing = "{routing}"
[providers.a]
kind = "demo"
fallback_providers = ["b"]
[providers.b]
kind = "demo"
fallback_providers = ["c"]
[providers.c]
kind = "demo"
""")
    return load_settings(path)


def test_router_falls_back_in_order_and_reports_the_earliest_reopening(tmp_path: Path) -> None:
    router = Router(_settings(tmp_path), usable={"a", "b", "c"})
    assert router.choose("a", {}, now=100) == ("a", 0.0)
    assert router.choose("a", {"a": 150}, now=100) == ("b", 0.0)
    assert router.choose("a", {"a": 150, "b": 120}, now=100) == ("c", 0.0)
    assert router.choose("a", {"a": 150, "b": 120, "c": 130}, now=100) == (None, 120)
    assert router.choose("a", {"a": math.inf, "b": math.inf, "c": math.inf}, now=100) == (None, math.inf)


def test_router_skips_unusable_providers(tmp_path: Path) -> None:
    router = Router(_settings(tmp_path), usable={"a", "c"})
    assert router.choose("a", {"a": 150}, now=100) == ("c", 0.0)


def test_round_robin_alternates_among_open_providers(tmp_path: Path) -> None:
    router = Router(_settings(tmp_path, "round_robin"), usable={"a", "b", "c"})
    picks = [router.choose("a", {}, now=1)[0] for _ in range(6)]
    assert picks == ["a", "b", "c", "a", "b", "c"]
    picks = [router.choose("a", {"b": 50}, now=1)[0] for _ in range(4)]
    assert "b" not in picks and set(picks) == {"a", "c"}


def test_a_429_is_counted_apart_and_reported_for_the_metrics() -> None:
    from scribe_tui.config import Settings
    from scribe_tui.engine import api
    from scribe_tui.engine.recorder import OutcomeRecorder
    from scribe_tui.store import MetricRow

    events: list[api.Event] = []
    recorder = OutcomeRecorder(Settings(), None, None, None, events.append, budget=None)  # type: ignore[arg-type]
    for outcome in ("ok", "rate_limited", "rate_limited"):
        recorder.on_metric(MetricRow(ts=0.0, provider="demo", model="m", outcome=outcome, duration_ms=1.0))
    assert recorder.totals.requests == 3 and recorder.totals.rate_limited == 2 and recorder.totals.retries == 0
    assert [type(e).__name__ for e in events] == ["RateLimitHit", "RateLimitHit"]
