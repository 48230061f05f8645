"""The shared SQLite buckets: admission, parking, quotas across restarts, over-weight requests,
the in-memory fallback, usage for the UI, settling a request's rows to its reply, adopting the
provider's view, and four real processes on one bucket."""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import sqlite3
import stat
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from scribe_tui.config import ProviderConfig
from scribe_tui.limits import buckets
from scribe_tui.limits.buckets import Admission, Parked, ProviderLimiter, WeightOverLimit, bucket_path, limit_usage
from scribe_tui.limits.calibration import TokenCalibration
from scribe_tui.providers.base import ContentTooLong, Estimate, LimitReport

ONE = Estimate(tokens_in=1, tokens_out=1, characters=1)
NEXT_MIDNIGHT_UTC = lambda: (time.time() // 86_400 + 1) * 86_400  # noqa: E731


def _config(*limits: str, **options: object) -> ProviderConfig:
    return ProviderConfig(kind="openai", limits=list(limits), **options)  # type: ignore[arg-type]


def _limiter(tmp_path: Path, *limits: str, park_after_s: float = 5, **options: object) -> ProviderLimiter:
    """A limiter that reserves tokens at their plain estimate (no calibration yet)."""
    limiter = ProviderLimiter("p", _config(*limits, **options), tmp_path, park_after_s=park_after_s)
    limiter.calibration = TokenCalibration(initial=(1.0, 1.0), headroom=1.0)
    return limiter


def _rows(data_dir: Path, provider: str, kind: str, table: str) -> list[int]:
    conn = sqlite3.connect(bucket_path(data_dir, provider, kind))
    try:
        return [row[0] for row in conn.execute(f"SELECT item_timestamp FROM '{table}' ORDER BY item_timestamp")]
    finally:
        conn.close()


async def test_admits_within_the_limit_and_waits_for_the_window(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path, "3/0.4s")
    try:
        for _ in range(4):
            assert isinstance(await limiter.acquire(ONE), Admission)
    finally:
        limiter.close()
    stamps = _rows(tmp_path, "p", "requests", "requests_u1")
    assert len(stamps) == 4
    assert stamps[3] - stamps[0] >= 400  # the 4th waited until the 1st left the window


async def test_a_spent_daily_quota_parks_until_midnight_utc(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path, "3/day", park_after_s=300)
    try:
        for _ in range(3):
            assert isinstance(await limiter.acquire(ONE), Admission)
        parked = await limiter.acquire(ONE)
    finally:
        limiter.close()
    assert isinstance(parked, Parked) and parked.reason == "quota_parked"
    assert parked.until == NEXT_MIDNIGHT_UTC() and "3/day" in parked.message
    assert limit_usage(tmp_path, "p", _config("3/day")) == [("3/day", 3, 3)]  # parking took nothing


async def test_quotas_survive_a_restart(tmp_path: Path) -> None:
    first = _limiter(tmp_path, "2/day", park_after_s=300)
    assert isinstance(await first.acquire(ONE), Admission) and isinstance(await first.acquire(ONE), Admission)
    first.close()
    second = _limiter(tmp_path, "2/day", park_after_s=300)
    try:
        parked = await second.acquire(ONE)
    finally:
        second.close()
    assert isinstance(parked, Parked) and parked.reason == "quota_parked"


async def test_a_wait_longer_than_park_after_parks_instead_of_waiting(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path, "2/minute")
    try:
        assert isinstance(await limiter.acquire(ONE), Admission) and isinstance(await limiter.acquire(ONE), Admission)
        parked = await limiter.acquire(ONE)
    finally:
        limiter.close()
    first = _rows(tmp_path, "p", "requests", "requests_u1")[0] / 1000
    assert isinstance(parked, Parked) and parked.reason == "rate_limited"
    assert parked.until == pytest.approx(first + 60, abs=0.5)  # a minute after the first row (its stamp is
    # taken after the file lock, tens of ms later than the limiter's clock on a loaded machine)


async def test_nothing_is_taken_when_any_kind_must_park(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path, "100/minute", "1000 tokens/day")
    big = Estimate(tokens_in=450, tokens_out=450, characters=10)
    try:
        assert isinstance(await limiter.acquire(big), Admission)
        parked = await limiter.acquire(big)
    finally:
        limiter.close()
    assert isinstance(parked, Parked) and parked.reason == "quota_parked"
    assert len(_rows(tmp_path, "p", "requests", "requests_u1")) == 1
    assert limit_usage(tmp_path, "p", _config("100/minute", "1000 tokens/day"))[1] == ("1000 tokens/day", 900, 1000)


async def test_a_request_bigger_than_a_whole_window_is_too_long_not_a_wait(tmp_path: Path) -> None:
    limiter = ProviderLimiter("p", _config("20000 tokens/minute"), tmp_path, park_after_s=5)
    try:
        with pytest.raises(WeightOverLimit) as caught:
            await limiter.acquire(Estimate(tokens_in=15_000, tokens_out=15_000, characters=1))
        assert isinstance(caught.value, ContentTooLong)
        assert "20000 tokens/minute" in str(caught.value)
        # fits as estimated; the calibrated reservation (the reply at 4×) is capped at a whole window
        admitted = await limiter.acquire(Estimate(tokens_in=9_000, tokens_out=9_000, characters=1))
        assert isinstance(admitted, Admission) and admitted.units == (("tokens", 200),)
    finally:
        limiter.close()


async def test_bucket_files_are_private(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path, "5/s", "100000 characters/month")
    try:
        assert isinstance(await limiter.acquire(ONE), Admission)
        files = [f for f in (tmp_path / "limits").iterdir() if not f.name.startswith("quotas.")]
        assert {f.name.split(".")[1] for f in files} == {"requests"}
        assert (tmp_path / "limits" / "quotas.db").exists()
        for path in files:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert stat.S_IMODE((tmp_path / "limits").stat().st_mode) == 0o700
        assert all("/" not in f.name and " " not in f.name for f in files)
    finally:
        limiter.close()


async def test_limit_usage_reads_the_shared_buckets(tmp_path: Path) -> None:
    config = _config("10/minute", "5000 tokens/hour", "3/day")
    assert limit_usage(tmp_path, "p", config) == [("10/minute", 0, 10), ("5000 tokens/hour", 0, 5000), ("3/day", 0, 3)]
    limiter = _limiter(tmp_path, "10/minute", "5000 tokens/hour", "3/day")
    try:
        await limiter.acquire(Estimate(tokens_in=100, tokens_out=21, characters=5))
        await limiter.acquire(Estimate(tokens_in=10, tokens_out=0, characters=5))
    finally:
        limiter.close()
    # tokens are counted in units of 10 here (smallest token limit 5,000): 130 + 10
    assert limit_usage(tmp_path, "p", config) == [("10/minute", 2, 10), ("5000 tokens/hour", 140, 5000), ("3/day", 2, 3)]


async def test_falls_back_to_divided_in_memory_limits_with_one_warning(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("a file where the data directory should be")
    buckets.reset_fallback_warning()
    try:
        with capture_logs() as logs:
            first = ProviderLimiter("p", _config("8/minute"), not_a_dir, park_after_s=5, worker_count=4)
            second = ProviderLimiter("q", _config("8/minute"), not_a_dir, park_after_s=5, worker_count=4)
        warnings = [entry for entry in logs if entry["log_level"] == "warning"]
        assert len(warnings) == 1
        assert "in-memory" in warnings[0]["event"] and warnings[0]["divided_by"] == 4
        assert first.backend == "memory" and second.backend == "memory"
        assert isinstance(await first.acquire(ONE), Admission) and isinstance(await first.acquire(ONE), Admission)
        parked = await first.acquire(ONE)  # 8 per minute / 4 processes = 2 here
        assert isinstance(parked, Parked) and parked.reason == "rate_limited"
        assert parked.until == pytest.approx(time.time() + 60, abs=1.0)
        first.close()
        second.close()
    finally:
        buckets.reset_fallback_warning()


async def test_a_corrupt_bucket_file_falls_back_too(tmp_path: Path) -> None:
    path = bucket_path(tmp_path, "p", "requests")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"this is not an SQLite database" * 100)
    buckets.reset_fallback_warning()
    try:
        with capture_logs() as logs:
            limiter = ProviderLimiter("p", _config("5/s"), tmp_path, park_after_s=5)
        assert limiter.backend == "memory"
        assert any("DatabaseError" in str(entry.get("error")) for entry in logs)
        assert isinstance(await limiter.acquire(ONE), Admission)
        limiter.close()
    finally:
        buckets.reset_fallback_warning()


# ---- four real processes on one bucket --------------------------------------------------------------

# 30 per second rather than 40 per 2 s: more window edges in the run, and the edges are where
# processes wake together and race (without the file lock this test catches 31–32 admitted).
LIMIT, SPAN_S = 30, 1.0
HAMMER_S = 4.5
# Each admission is measured by the stamp of its own row in the bucket (found by its ticket),
# the clock the bucket counts by, not by a clock read after the call returns: on a loaded
# machine that read can lag by tens of milliseconds and prove nothing either way.


def _hammer(data_dir: str, barrier: object, results: object) -> None:
    async def main() -> list[int]:
        limiter = ProviderLimiter("shared", _config(f"{LIMIT}/{SPAN_S:g}s"), Path(data_dir), park_after_s=60)
        rows = sqlite3.connect(bucket_path(Path(data_dir), "shared", "requests"))
        stamps: list[int] = []  # ms
        barrier.wait()  # type: ignore[attr-defined]
        stop_at = time.time() + HAMMER_S

        async def worker() -> None:
            while time.time() < stop_at:
                admitted = await limiter.acquire(ONE)
                assert isinstance(admitted, Admission)
                (stamp,) = rows.execute("SELECT item_timestamp FROM requests_u1 WHERE name = ?",
                                        (admitted.ticket,)).fetchone()
                stamps.append(stamp)

        await asyncio.gather(*(worker() for _ in range(6)))
        limiter.close()
        rows.close()
        return stamps

    results.put((os.getpid(), asyncio.run(main())))  # type: ignore[attr-defined]


@pytest.mark.timeout(60)
def test_four_processes_never_exceed_the_limit_in_any_window(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(str(tmp_path), barrier, results)) for _ in range(4)]
    for proc in procs:
        proc.start()
    collected = [results.get(timeout=40) for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
        assert proc.exitcode == 0
    stamps = sorted(stamp for _, batch in collected for stamp in batch)
    assert len({pid for pid, batch in collected if batch}) >= 2  # several processes really competed
    busiest = 0
    j = 0
    for i, start in enumerate(stamps):  # every window that opens at an admission
        while j < len(stamps) and stamps[j] < start + SPAN_S * 1000:
            j += 1
        busiest = max(busiest, j - i)
    assert busiest <= LIMIT
    assert busiest == LIMIT  # the limit was reached, so the check above meant something


# ---- a request's rows after its reply -------------------------------------------------------------


async def test_settle_restamps_the_rows_to_the_reply_and_resizes_them_to_the_usage(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path, "10/minute", "5000 tokens/minute")
    try:
        admitted = await limiter.acquire(Estimate(tokens_in=100, tokens_out=100, characters=10))
        assert isinstance(admitted, Admission) and dict(admitted.units) == {"requests": 1, "tokens": 20}
        reply_at = time.time() + 3.0  # the reply arrived three seconds after the admission
        limiter.settle(admitted, reply_at, {"tokens": 430})
        assert _rows(tmp_path, "p", "requests", "requests_u1") == [math.ceil(reply_at * 1000)]
        tokens = _rows(tmp_path, "p", "tokens", "tokens_u10")
        assert len(tokens) == 43 and set(tokens) == {math.ceil(reply_at * 1000)}  # grown to the reported usage
        second = await limiter.acquire(Estimate(tokens_in=100, tokens_out=100, characters=10))
        assert isinstance(second, Admission)
        limiter.settle(second, reply_at, {"tokens": 95})
        assert len(_rows(tmp_path, "p", "tokens", "tokens_u10")) == 43 + 10  # shrunk: the surplus given back
    finally:
        limiter.close()


async def test_restamping_keeps_in_flight_rows_in_the_window(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path, "1/0.3s")
    try:
        admitted = await limiter.acquire(ONE)
        assert isinstance(admitted, Admission)
        await asyncio.sleep(0.35)  # longer than the window: by its admission stamp it would be gone
        limiter.restamp([admitted.ticket], time.time())
        parked = await ProviderLimiter("p", _config("1/0.3s"), tmp_path, park_after_s=0.05).acquire(ONE)
        assert isinstance(parked, Parked)  # still counted: another request must wait
    finally:
        limiter.close()


async def test_the_providers_view_is_adopted_when_it_leaves_less_than_ours(tmp_path: Path) -> None:
    limiter = _limiter(tmp_path, "10/minute")
    try:
        assert isinstance(await limiter.acquire(ONE), Admission)
        now = time.time()
        # ours leaves 9; the provider says 3 are left and its window is whole again in 20 s
        assert limiter.adopt(LimitReport(remaining={"requests": 3}, reset_s={"requests": 20.0}), now) == 6
        assert limit_usage(tmp_path, "p", _config("10/minute")) == [("10/minute", 7, 10)]
        stamps = _rows(tmp_path, "p", "requests", "requests_u1")
        assert sorted(stamps)[:6] == [math.ceil((now - 40) * 1000)] * 6  # they leave our window as the provider resets
        assert limiter.adopt(LimitReport(remaining={"requests": 5}), now) == 0  # not less than ours: nothing
    finally:
        limiter.close()
