"""Calendar quotas: days reset at midnight UTC, months on the billing day, short quota-like
windows (a test setting) on fixed boundaries, counters shared by real processes, corrections
by reported usage and a provider's "spent"."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from scribe_tui.config import ProviderConfig
from scribe_tui.limits.buckets import Admission, Parked, ProviderLimiter, QuotaGate, limit_usage
from scribe_tui.limits.calibration import TokenCalibration
from scribe_tui.limit_spec import parse_limit
from scribe_tui.limits.quotas import Quota, QuotaCounters, period_of
from scribe_tui.providers.base import Estimate

ONE = Estimate(tokens_in=1, tokens_out=1, characters=1)


def _utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=timezone.utc).timestamp()


def test_a_day_runs_from_midnight_to_midnight_utc() -> None:
    day = parse_limit("1000/day")
    assert period_of(day, _utc(2026, 3, 5, 23, 59, 59)) == (_utc(2026, 3, 5), _utc(2026, 3, 6))
    assert period_of(day, _utc(2026, 3, 6)) == (_utc(2026, 3, 6), _utc(2026, 3, 7))


def test_a_month_runs_from_billing_day_to_billing_day() -> None:
    month = parse_limit("500000 characters/month")
    assert period_of(month, _utc(2026, 3, 5, 12)) == (_utc(2026, 3, 1), _utc(2026, 4, 1))  # default: the 1st
    assert period_of(month, _utc(2026, 3, 5, 12), reset_day=15) == (_utc(2026, 2, 15), _utc(2026, 3, 15))
    assert period_of(month, _utc(2026, 3, 15), reset_day=15) == (_utc(2026, 3, 15), _utc(2026, 4, 15))
    # a billing day the month does not have falls on its last day
    assert period_of(month, _utc(2026, 2, 20), reset_day=31) == (_utc(2026, 1, 31), _utc(2026, 2, 28))
    assert period_of(month, _utc(2026, 12, 31, 1), reset_day=31) == (_utc(2026, 12, 31), _utc(2027, 1, 31))


def test_a_short_quota_like_window_has_fixed_boundaries() -> None:
    window = parse_limit("3/20s")
    assert period_of(window, 1_000_000_015.5) == (1_000_000_000.0, 1_000_000_020.0)


async def test_a_monthly_quota_parks_until_the_billing_day(tmp_path: Path) -> None:
    config = ProviderConfig(kind="deepl", limits=["25 characters/month"], quota_reset_day=3)
    limiter = ProviderLimiter("d", config, tmp_path, park_after_s=60)
    try:
        assert isinstance(await limiter.acquire(Estimate(0, 0, 20)), Admission)
        parked = await limiter.acquire(Estimate(0, 0, 10))
        assert isinstance(parked, Parked) and parked.reason == "quota_parked"
        assert parked.until == period_of(config.limits[0], parked.until - 1, reset_day=3)[1]
        assert datetime.fromtimestamp(parked.until, timezone.utc).day == 3
        assert isinstance(await limiter.acquire(Estimate(0, 0, 5)), Admission)  # what still fits is taken
    finally:
        limiter.close()
    assert limit_usage(tmp_path, "d", config) == [("25 characters/month", 25, 25)]


async def test_usage_corrects_a_token_quota_and_a_provider_can_mark_it_spent(tmp_path: Path) -> None:
    config = ProviderConfig(kind="openai", limits=["1000 tokens/day"])
    limiter = ProviderLimiter("o", config, tmp_path, park_after_s=60)
    limiter.calibration = TokenCalibration(initial=(1.0, 1.0), headroom=1.0)
    try:
        admitted = await limiter.acquire(Estimate(tokens_in=100, tokens_out=100, characters=1))
        assert isinstance(admitted, Admission)
        limiter.settle(admitted, time.time(), {"tokens": 640})  # the reply was much longer than estimated
        assert limit_usage(tmp_path, "o", config) == [("1000 tokens/day", 640, 1000)]
        spent = limiter.quota_to_fill(None, time.time())
        assert spent is not None
        quota, start, end = spent
        limiter.fill_quota(quota, start)
        assert limit_usage(tmp_path, "o", config) == [("1000 tokens/day", 1000, 1000)]
        parked = await limiter.acquire(ONE)
        assert isinstance(parked, Parked) and parked.until == end
    finally:
        limiter.close()


def test_a_request_in_flight_across_a_period_end_holds_both_periods_until_its_reply(tmp_path: Path) -> None:
    """The provider counts a request when it arrives, which may be after the period it was
    admitted in has ended: until its reply says which, it holds its place in both."""
    counters = QuotaCounters(tmp_path)
    quota = Quota("p", parse_limit("3/20s"))
    gate = QuotaGate(quota, counters, horizon_s=5.0)
    try:
        assert gate.periods(1_000_000_010.0) == [(1_000_000_000.0, 1_000_000_020.0)]  # far from the end
        near_end = 1_000_000_017.0
        starts, _ = gate.take(1, near_end)
        assert starts == [1_000_000_000.0, 1_000_000_020.0]
        assert counters.used(quota.key, 1_000_000_020.0) == 1  # the next period already counts it
        limiter = ProviderLimiter("p", ProviderConfig(kind="openai"), tmp_path, park_after_s=5)
        limiter.gates, limiter._counters = [gate], counters
        admission = Admission("t", near_end, ONE, quotas=tuple((quota, start, 1) for start in starts))
        limiter.settle(admission, 1_000_000_020.4, {})  # the reply came after the period's end
        assert counters.used(quota.key, 1_000_000_000.0) == 0 and counters.used(quota.key, 1_000_000_020.0) == 1
    finally:
        counters.close()


def _take_quota(data_dir: str, barrier: object, results: object) -> None:
    async def main() -> int:
        config = ProviderConfig(kind="openai", limits=["37/day"])
        limiter = ProviderLimiter("shared", config, Path(data_dir), park_after_s=60)
        barrier.wait()  # type: ignore[attr-defined]
        taken = 0
        for _ in range(30):
            taken += isinstance(await limiter.acquire(ONE), Admission)
        limiter.close()
        return taken

    results.put((os.getpid(), asyncio.run(main())))  # type: ignore[attr-defined]


@pytest.mark.timeout(90)
def test_four_processes_never_take_more_than_a_quota(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_take_quota, args=(str(tmp_path), barrier, results)) for _ in range(4)]
    for proc in procs:
        proc.start()
    taken = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
    assert sum(count for _, count in taken) == 37
    assert len([pid for pid, count in taken if count]) >= 2


def test_counters_fall_back_to_memory_with_a_warning(tmp_path: Path) -> None:
    from structlog.testing import capture_logs

    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("a file where the data directory should be")
    with capture_logs() as logs:
        counters = QuotaCounters(not_a_dir)
    assert not counters.shared and any(entry["log_level"] == "warning" for entry in logs)
    assert counters.take("k", 0.0, 2, 3) and not counters.take("k", 0.0, 2, 3)
    counters.close()
