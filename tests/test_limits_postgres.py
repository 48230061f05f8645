"""The limits shared through PostgreSQL (``store_url = "postgresql://…"``): the same
admission, waits, settling, adoption and quotas as the SQLite buckets, on the database's
clock; four real processes on one bucket; the per-host fallback while the database does
not answer. (The breaker and provider-state tests run on both backends in
test_limits_breaker.py.)"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from scribe_tui.config import ProviderConfig
from scribe_tui.limits import pg_buckets
from scribe_tui.limits.buckets import Admission, Parked, ProviderLimiter, limit_usage
from scribe_tui.limits.calibration import TokenCalibration
from scribe_tui.limits.pg_link import link_for, release
from scribe_tui.limits.provider_state import ProviderStateStore, read_provider_states
from scribe_tui.limits.quotas import QuotaCounters
from scribe_tui.providers.base import Estimate, LimitReport

ONE = Estimate(tokens_in=1, tokens_out=1, characters=1)


def _config(*limits: str) -> ProviderConfig:
    return ProviderConfig(kind="openai", limits=list(limits))  # type: ignore[arg-type]


def _limiter(tmp_path: Path, url: str, *limits: str, park_after_s: float = 5, workers: int = 1) -> ProviderLimiter:
    limiter = ProviderLimiter("p", _config(*limits), tmp_path, park_after_s=park_after_s, store_url=url,
                              worker_count=workers)
    limiter.calibration = TokenCalibration(initial=(1.0, 1.0), headroom=1.0)
    return limiter


def _stamps(url: str, bucket: str = "p|requests") -> list[int]:
    link = link_for(url)
    try:
        return [row[0] for row in link.run("SELECT ts FROM scribe_limit_rows WHERE bucket = %s ORDER BY ts",
                                           (bucket,)).fetchall()]
    finally:
        release(link)


async def test_admits_within_the_limit_and_waits_for_the_window(tmp_path: Path, postgres_url: str) -> None:
    limiter = _limiter(tmp_path, postgres_url, "3/0.4s")
    try:
        assert limiter.backend == "postgres"
        for _ in range(4):
            assert isinstance(await limiter.acquire(ONE), Admission)
    finally:
        limiter.close()
    stamps = _stamps(postgres_url)
    assert len(stamps) == 4
    assert stamps[3] - stamps[0] >= 400  # the 4th waited until the 1st left the window


async def test_a_wait_longer_than_park_after_parks_and_takes_nothing(tmp_path: Path, postgres_url: str) -> None:
    limiter = _limiter(tmp_path, postgres_url, "1/minute", park_after_s=0.2)
    try:
        assert isinstance(await limiter.acquire(ONE), Admission)
        parked = await limiter.acquire(ONE)
        assert isinstance(parked, Parked) and parked.reason == "rate_limited"
        assert 50 < parked.until - limiter.clock() <= 61
    finally:
        limiter.close()
    assert len(_stamps(postgres_url)) == 1


async def test_this_machines_clock_does_not_matter(tmp_path: Path, postgres_url: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Two hosts whose clocks disagree by minutes still share one window: rows are stamped
    by the database, and times this process computes are moved onto the database's clock."""
    ahead = _limiter(tmp_path, postgres_url, "2/minute", park_after_s=0.2)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 300)  # this "host" is five minutes behind
    behind = _limiter(tmp_path, postgres_url, "2/minute", park_after_s=0.2)
    try:
        assert isinstance(await ahead.acquire(ONE), Admission)
        assert isinstance(await behind.acquire(ONE), Admission)
        assert isinstance(await behind.acquire(ONE), Parked)
        assert isinstance(await ahead.acquire(ONE), Parked)
        assert abs(behind.clock() - ahead.clock()) < 1.0  # both read the database's time
    finally:
        ahead.close()
        behind.close()


async def test_settle_restamps_and_resizes_on_the_database_clock(tmp_path: Path, postgres_url: str) -> None:
    limiter = _limiter(tmp_path, postgres_url, "10/minute", "5000 tokens/minute")
    try:
        admitted = await limiter.acquire(Estimate(tokens_in=100, tokens_out=100, characters=10))
        assert isinstance(admitted, Admission) and dict(admitted.units) == {"requests": 1, "tokens": 20}
        reply_at = limiter.clock() + 3.0
        limiter.settle(admitted, reply_at, {"tokens": 430})
        [stamp] = _stamps(postgres_url)
        assert abs(stamp - reply_at * 1000) < 5
        assert len(_stamps(postgres_url, "p|tokens")) == 43  # grown to the reported usage
        limiter.restamp([admitted.ticket], reply_at + 1)
        assert set(_stamps(postgres_url, "p|tokens")) == {_stamps(postgres_url)[0]}
    finally:
        limiter.close()


async def test_the_providers_view_is_adopted_for_every_machine(tmp_path: Path, postgres_url: str) -> None:
    limiter = _limiter(tmp_path, postgres_url, "10/minute")
    try:
        assert isinstance(await limiter.acquire(ONE), Admission)
        assert limiter.adopt(LimitReport(remaining={"requests": 3}, reset_s={"requests": 20.0}), limiter.clock()) == 6
        assert limit_usage(tmp_path, "p", _config("10/minute"), postgres_url) == [("10/minute", 7, 10)]
        assert limiter.adopt(LimitReport(remaining={"requests": 5}), limiter.clock()) == 0
    finally:
        limiter.close()


async def test_a_daily_quota_is_shared_and_parks_when_spent(tmp_path: Path, postgres_url: str) -> None:
    first = _limiter(tmp_path / "a", postgres_url, "2/day")
    second = _limiter(tmp_path / "b", postgres_url, "2/day")  # another machine: another data dir
    try:
        assert isinstance(await first.acquire(ONE), Admission)
        assert isinstance(await second.acquire(ONE), Admission)
        parked = await first.acquire(ONE)
        assert isinstance(parked, Parked) and parked.reason == "quota_parked"
        assert parked.until == (first.clock() // 86_400 + 1) * 86_400
        assert limit_usage(tmp_path, "p", _config("2/day"), postgres_url) == [("2/day", 2, 2)]
    finally:
        first.close()
        second.close()


async def test_while_the_database_is_unreachable_limits_are_divided_per_host_with_one_warning(
        tmp_path: Path, postgres_url: str) -> None:
    limiter = _limiter(tmp_path, postgres_url, "8/minute", park_after_s=0.2, workers=2)
    pg_buckets.reset_warning()
    try:
        link = limiter.kinds[0]._link  # noqa: SLF001
        assert isinstance(await limiter.acquire(ONE), Admission)
        link._down_until = time.monotonic() + 60  # noqa: SLF001 — the database stops answering
        with capture_logs() as logs:
            # divided when the limiter opened: 8 / (2 workers × 1 host seen alive)
            admitted = [await limiter.acquire(ONE) for _ in range(5)]
            admitted += [await limiter.acquire(ONE)]
        warnings = [entry for entry in logs if "SHARED RATE LIMITS UNREACHABLE" in entry["event"]]
        assert len(warnings) == 1
        assert sum(isinstance(a, Admission) for a in admitted) == 4
        assert isinstance(admitted[-1], Parked)
    finally:
        link._down_until = 0.0  # noqa: SLF001
        limiter.close()
        pg_buckets.reset_warning()


def test_provider_state_is_shared_through_the_database(tmp_path: Path, postgres_url: str) -> None:
    here = ProviderStateStore(tmp_path / "a", cache_ttl_s=0.0, store_url=postgres_url)
    there = ProviderStateStore(tmp_path / "b", cache_ttl_s=0.0, store_url=postgres_url)
    try:
        until = here.clock() + 30
        here.pause("p", until, "429")
        assert there.get("p").paused(there.clock())
        assert read_provider_states(tmp_path / "c", postgres_url)["p"].pause_reason == "429"
        assert not (tmp_path / "a" / "limits").exists()  # nothing written to the data dir
    finally:
        here.close()
        there.close()


# ---- four real processes on one shared bucket ------------------------------------------------------

LIMIT, SPAN_S, HAMMER_S = 30, 1.0, 4.5


def _hammer(url: str, data_dir: str, barrier: object, results: object) -> None:
    async def main() -> list[int]:
        limiter = ProviderLimiter("shared", _config(f"{LIMIT}/{SPAN_S:g}s"), Path(data_dir), park_after_s=60,
                                  store_url=url)
        link = limiter.kinds[0]._link  # noqa: SLF001
        stamps: list[int] = []  # the database's stamp of each admission's row, found by its ticket
        barrier.wait()  # type: ignore[attr-defined]
        stop_at = time.time() + HAMMER_S

        async def worker() -> None:
            while time.time() < stop_at:
                admitted = await limiter.acquire(ONE)
                assert isinstance(admitted, Admission)
                (stamp,) = link.run("SELECT ts FROM scribe_limit_rows WHERE bucket = 'shared|requests' AND name = %s",
                                    (admitted.ticket,)).fetchone()
                stamps.append(stamp)

        await asyncio.gather(*(worker() for _ in range(6)))
        limiter.close()
        return stamps

    results.put((os.getpid(), asyncio.run(main())))  # type: ignore[attr-defined]


@pytest.mark.timeout(90)
def test_four_processes_never_exceed_the_limit_in_any_window(tmp_path: Path, postgres_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(postgres_url, str(tmp_path / str(i)), barrier, results))
             for i in range(4)]
    for proc in procs:
        proc.start()
    collected = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
        assert proc.exitcode == 0
    assert len({pid for pid, batch in collected if batch}) >= 2  # several processes really competed
    stamps = sorted(stamp for _, batch in collected for stamp in batch)
    busiest, j = 0, 0
    for i, start in enumerate(stamps):
        while j < len(stamps) and stamps[j] < start + SPAN_S * 1000:
            j += 1
        busiest = max(busiest, j - i)
    assert busiest == LIMIT  # reached, never exceeded


def test_quota_counters_in_the_database_never_overdraw(tmp_path: Path, postgres_url: str) -> None:
    counters = [QuotaCounters(tmp_path / str(i), store_url=postgres_url) for i in range(3)]
    try:
        taken = sum(counters[i % 3].take("k", 0.0, 3, 10) for i in range(9))
        assert taken == 3 and counters[0].used("k", 0.0) == 9
        counters[1].adjust("k", 0.0, -20)
        assert counters[2].used("k", 0.0) == 0  # never below zero
        counters[0].fill("k", 0.0, 10)
        assert not counters[1].take("k", 0.0, 1, 10)
    finally:
        for c in counters:
            c.close()


def test_the_concurrency_cap_is_one_for_every_machine(tmp_path: Path, postgres_url: str) -> None:
    from scribe_tui.limits.adaptive import ConcurrencyCap, current_cap

    here = ProviderStateStore(tmp_path / "a", cache_ttl_s=0.0, store_url=postgres_url)
    there = ProviderStateStore(tmp_path / "b", cache_ttl_s=0.0, store_url=postgres_url)
    try:
        sent_at = here.clock()
        assert ConcurrencyCap(here, "p", 8, here.clock).overloaded(sent_at) is not None
        assert ConcurrencyCap(there, "p", 8, there.clock).overloaded(sent_at) is None  # one burst counts once
        assert current_cap(there.get("p"), 8) == 4
        cap = ConcurrencyCap(there, "p", 8, there.clock)
        for _ in range(4):  # a round trip's worth of successes sent after the change
            cap.succeeded(there.clock())
        assert current_cap(here.get("p"), 8) == 5
    finally:
        here.close()
        there.close()
