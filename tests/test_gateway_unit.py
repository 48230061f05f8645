"""The gateway over in-process fake providers: every outcome, the cache, splitting, the shared
pause, the breaker, disabling, the bulkhead and the request records."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import pytest

from scribe_tui.cache import TranslationCache
from scribe_tui.limits.gateway import (
    Deferred,
    Gateway,
    ProviderDisabled,
    RequestRecord,
    RetryLater,
    Translated,
    Unretryable,
    provider_snapshot,
)
from scribe_tui.providers.base import (
    ChunkRejected,
    ContentTooLong,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RetryableError,
)
from scribe_tui.limits.adaptive import PROBE_PATIENCE, SETTLE_S
from tests.test_gateway_fakes import FakeProvider, in_another_process, make_settings, request

LONG_TEXT = (
    "The first paragraph talks about the weather and goes on for a while.\n"
    "It has a second line, too.\n\n  \n"
    "The second paragraph is about lunch. It also has two sentences!\r\n"
    "And a third line ending with spaces.   \n\n"
    "A third paragraph closes the text."
)


@pytest.fixture
def cache(tmp_path: Path):
    cache = TranslationCache(tmp_path / "cache", 10)
    yield cache
    cache.close()


def _gateway(tmp_path: Path, provider: FakeProvider, *, limits: list[str] | None = None, cache=None,
             records: list | None = None, **kw) -> Gateway:
    settings = make_settings(tmp_path, limits, name=provider.name, **kw.pop("provider_options", {}))
    return Gateway(settings, tmp_path / "data", {provider.name: provider}, cache=cache,
                   on_request=None if records is None else records.append, **kw)


async def test_a_success_is_translated_cached_and_recorded(tmp_path: Path, cache: TranslationCache) -> None:
    records: list[RequestRecord] = []
    provider = FakeProvider()
    gateway = _gateway(tmp_path, provider, cache=cache, records=records)
    first = await gateway.translate("fake", request("Hello world."))
    second = await gateway.translate("fake", request("Hello world."))
    await gateway.aclose()
    assert isinstance(first, Translated) and not first.cached and first.result.text == "hELLO WORLD."
    assert isinstance(second, Translated) and second.cached and second.result.text == "hELLO WORLD."
    assert second.result.usage == first.result.usage and first.result.usage.cost_usd > 0
    assert len(provider.calls) == 1
    assert [r.outcome for r in records] == ["ok", "cache_hit"]
    assert records[1].cached and records[1].cost_usd == 0.0 and records[1].tokens_in == first.result.usage.tokens_in
    for record in records:  # never any text
        assert not any(isinstance(v, str) and "ello" in v for v in dataclasses.astuple(record))
    assert provider.closed


async def test_no_cache_reads_but_still_writes(tmp_path: Path, cache: TranslationCache) -> None:
    provider = FakeProvider()
    writer = _gateway(tmp_path, provider, cache=cache, read_cache=False)
    assert isinstance(await writer.translate("fake", request()), Translated)
    assert isinstance(await writer.translate("fake", request()), Translated)
    await writer.aclose()
    assert len(provider.calls) == 2 and cache.stats.hits == 0 and cache.stats.writes == 2
    reader_provider = FakeProvider()
    reader = _gateway(tmp_path, reader_provider, cache=cache)
    outcome = await reader.translate("fake", request())
    await reader.aclose()
    assert isinstance(outcome, Translated) and outcome.cached and reader_provider.calls == []


async def test_an_over_long_chunk_is_split_and_joined_with_its_own_separators(tmp_path: Path,
                                                                               cache: TranslationCache) -> None:
    provider = FakeProvider(max_chars=90)
    gateway = _gateway(tmp_path, provider, cache=cache)
    outcome = await gateway.translate("fake", request(LONG_TEXT))
    await gateway.aclose()
    assert isinstance(outcome, Translated)
    assert outcome.result.text == LONG_TEXT.swapcase()  # every separator kept byte for byte
    sent = [call.text for call in provider.calls if len(call.text) <= 90]
    assert len(sent) >= 3 and "".join(sent).replace(" ", "") != ""
    assert outcome.result.usage.characters == sum(len(t) for t in sent)
    # the whole chunk is now cached: no further calls
    again = _gateway(tmp_path, FakeProvider(max_chars=90), cache=cache)
    hit = await again.translate("fake", request(LONG_TEXT))
    await again.aclose()
    assert isinstance(hit, Translated) and hit.cached and hit.result.text == LONG_TEXT.swapcase()


async def test_the_right_half_carries_the_left_half_as_context(tmp_path: Path) -> None:
    provider = FakeProvider(script=[ContentTooLong("too long", status=400)])
    gateway = _gateway(tmp_path, provider)
    outcome = await gateway.translate("fake", request(LONG_TEXT, context="before"))
    await gateway.aclose()
    assert isinstance(outcome, Translated)
    _, left, right = provider.calls
    assert left.context == "before" and right.context == left.text
    assert LONG_TEXT.startswith(left.text) and LONG_TEXT.endswith(right.text)


async def test_an_unsplittable_chunk_fails(tmp_path: Path) -> None:
    provider = FakeProvider(max_chars=5)
    gateway = _gateway(tmp_path, provider)
    outcome = await gateway.translate("fake", request("Short text that cannot be cut."))
    await gateway.aclose()
    assert isinstance(outcome, Unretryable) and isinstance(outcome.error, ContentTooLong)
    assert "cannot be split" in str(outcome.error)


async def test_a_chunk_over_a_token_limit_is_split_before_any_call(tmp_path: Path) -> None:
    provider = FakeProvider()
    whole = provider.estimate(request(LONG_TEXT)).tokens
    gateway = _gateway(tmp_path, provider, limits=[f"{whole - 10} tokens/0.3s"])  # each half fits, not both
    outcome = await gateway.translate("fake", request(LONG_TEXT))
    await gateway.aclose()
    assert isinstance(outcome, Translated) and outcome.result.text == LONG_TEXT.swapcase()
    assert all(len(call.text) < len(LONG_TEXT) for call in provider.calls)


def _translate_in_this_process(tmp: str) -> dict[str, object]:
    """Another worker process: one call through its own gateway on the same data directory."""

    async def main() -> dict[str, object]:
        provider = FakeProvider()
        gateway = Gateway(make_settings(Path(tmp)), Path(tmp) / "data", {"fake": provider}, cache=None)
        outcome = await gateway.translate("fake", request())
        await gateway.aclose()
        return {"outcome": type(outcome).__name__, "reason": getattr(outcome, "reason", None),
                "until": getattr(outcome, "until", None), "calls": len(provider.calls),
                "error": str(getattr(outcome, "error", ""))}

    return asyncio.run(main())


async def test_a_429_pauses_the_provider_for_every_process_without_burning_an_attempt(tmp_path: Path) -> None:
    records: list[RequestRecord] = []
    provider = FakeProvider(script=[RateLimited("slow down", status=429, retry_after_s=30.0)])
    first = _gateway(tmp_path, provider, records=records)
    before = time.time()
    outcome = await first.translate("fake", request(), attempt=2)
    assert isinstance(outcome, Deferred) and outcome.reason == "rate_limited"  # not a RetryLater: no attempt burnt
    assert before + 30 <= outcome.until <= time.time() + 30  # the Retry-After from the reply, however slow the call
    assert records[0].outcome == "rate_limited" and records[0].status_code == 429
    assert isinstance(await first.translate("fake", request()), Deferred) and len(provider.calls) == 1
    elsewhere = await asyncio.to_thread(in_another_process, _translate_in_this_process, str(tmp_path))
    assert elsewhere["outcome"] == "Deferred" and elsewhere["reason"] == "paused"
    assert elsewhere["until"] == pytest.approx(outcome.until, abs=1.0) and elsewhere["calls"] == 0
    await first.aclose()
    (status,) = [s for s in provider_snapshot(tmp_path / "data", first.settings) if s.name == "fake"]
    assert status.rate_limited == 1 and status.requests == 1


async def test_a_429_pause_ends_and_the_next_call_goes_through(tmp_path: Path) -> None:
    provider = FakeProvider(script=[RateLimited("slow down", status=429, retry_after_s=0.3)])
    gateway = _gateway(tmp_path, provider)
    paused = await gateway.translate("fake", request())
    assert isinstance(paused, Deferred) and paused.reason == "rate_limited"
    await asyncio.sleep(max(0.0, paused.until - time.time()) + 0.05)
    assert isinstance(await gateway.translate("fake", request()), Translated)
    await gateway.aclose()


async def test_a_429_without_retry_after_pauses_for_a_backoff_that_grows(tmp_path: Path) -> None:
    script = [RateLimited("slow down", status=429)] * 2
    gateway = _gateway(tmp_path, FakeProvider(script=script))
    before_first = time.time()
    first = await gateway.translate("fake", request(), attempt=4)
    gateway._lanes["fake"].paused_until = 0.0  # as if the pause had run out
    await gateway.books.run(lambda: gateway._book_state.execute(
        "UPDATE provider_state SET paused_until = 0 WHERE name = :name", {"name": "fake"}))
    before_second = time.time()
    second = await gateway.translate("fake", request(), attempt=4)
    after = time.time()
    await gateway.aclose()
    assert isinstance(first, Deferred) and isinstance(second, Deferred)
    # base 0.5 s, then 1.0 s: the run of 429s decides, not the chunk's attempts (4 burnt: 8 s)
    assert before_first + 0.5 <= first.until <= before_second + 0.5
    assert before_second + 1.0 <= second.until <= after + 1.0


class SteppedClock:
    """Wall time plus whatever the test skips ahead (a retry's backoff, without waiting)."""

    def __init__(self) -> None:
        self.skipped = 0.0

    def __call__(self) -> float:
        return time.time() + self.skipped

    def skip(self, seconds: float = SETTLE_S + 0.05) -> None:
        self.skipped += seconds


async def test_the_breaker_opens_only_after_failures_at_the_floor_of_the_cap(tmp_path: Path) -> None:
    outage = [RetryableError("unavailable", status=503)] * 6
    provider = FakeProvider(script=outage)
    clock = SteppedClock()
    gateway = _gateway(tmp_path, provider, clock=clock, provider_options={"max_concurrency": 4})  # threshold 3
    caps = []
    for attempt in range(5):
        if attempt:
            clock.skip()  # the chunk's backoff: by then the last change of the cap has settled
        assert isinstance(await gateway.translate("fake", request(f"t{attempt}"), attempt=attempt), RetryLater)
        caps.append(gateway.state.get("fake", fresh=True).cap)
    assert caps == [2, 1, 1, 1, 1]  # halved to the floor; then the failures at the floor count
    assert gateway.state.get("fake", fresh=True).circuit == "open"  # 3 at the floor
    deferred = await gateway.translate("fake", request("t5"))
    assert isinstance(deferred, Deferred) and deferred.reason == "circuit_open"
    assert len(provider.calls) == 5  # no request while open
    clock.skip(deferred.until - clock() + 0.01)
    probe = await gateway.translate("fake", request("t5"))
    assert isinstance(probe, RetryLater)  # the probe failed too (the 6th scripted 503): open again
    clock.skip(gateway.state.get("fake", fresh=True).open_until - clock() + 0.01)
    assert isinstance(await gateway.translate("fake", request("t6")), Translated)
    await gateway.books.drain()  # a success's bookkeeping is not waited for by the call
    assert gateway.state.get("fake", fresh=True).circuit == "closed"
    await gateway.aclose()


async def test_failures_right_after_the_cap_changed_do_not_count_again(tmp_path: Path) -> None:
    provider = FakeProvider(script=[RetryableError("unavailable", status=503)] * 3)
    gateway = _gateway(tmp_path, provider, provider_options={"max_concurrency": 8})
    for attempt in range(3):  # back to back: sent before the first halving could reach dispatch
        assert isinstance(await gateway.translate("fake", request(f"t{attempt}"), attempt=attempt), RetryLater)
    view = gateway.state.get("fake", fresh=True)
    await gateway.aclose()
    assert view.cap == 4 and view.consecutive_failures == 0


async def test_a_burst_of_failures_from_one_instant_halves_the_cap_once_and_never_opens(tmp_path: Path) -> None:
    provider = FakeProvider(script=[RetryableError("busy", status=503)] * 8, latency_s=0.05)
    gateway = _gateway(tmp_path, provider, provider_options={"max_concurrency": 8})
    outcomes = await asyncio.gather(*(gateway.translate("fake", request(f"b{i}")) for i in range(8)))
    view = gateway.state.get("fake", fresh=True)
    await gateway.aclose()
    assert all(isinstance(o, RetryLater) for o in outcomes)
    assert view.cap == 4 and view.circuit == "closed" and view.consecutive_failures == 0


async def test_sustained_success_raises_the_cap_a_window_at_a_time_and_slowly_back_to_the_ceiling(
        tmp_path: Path) -> None:
    provider = FakeProvider(script=[RetryableError("busy", status=503)])
    gateway = _gateway(tmp_path, provider, provider_options={"max_concurrency": 8})
    await gateway.translate("fake", request("fails"))  # overloaded at 8: halved to 4, 8 remembered
    caps = []
    for i in range(4 + 5 + 6 + 7 * PROBE_PATIENCE):
        assert isinstance(await gateway.translate("fake", request(f"ok{i}")), Translated)
        await gateway.books.drain()
        caps.append(gateway.state.get("fake", fresh=True).cap)
    await gateway.aclose()
    assert caps[3] == 5 and caps[8] == 6 and caps[14] == 7  # one window of successes per step…
    assert caps[-2] == 7 and caps[-1] == 0  # …but PROBE_PATIENCE windows for the step to the ceiling


async def test_rate_limits_and_client_errors_do_not_trip_the_breaker(tmp_path: Path) -> None:
    script = [RateLimited("slow", status=429, retry_after_s=0.0), ChunkRejected("bad", status=400)] * 3
    gateway = _gateway(tmp_path, FakeProvider(script=script))
    outcomes = [await gateway.translate("fake", request(f"x{i}")) for i in range(6)]
    assert [type(o).__name__ for o in outcomes] == ["Deferred", "Unretryable"] * 3
    view = gateway.state.get("fake", fresh=True)
    assert view.consecutive_failures == 0 and view.cap == 0
    await gateway.aclose()


async def test_401_disables_the_provider_in_every_process(tmp_path: Path) -> None:
    provider = FakeProvider(script=[ProviderUnavailable("invalid api key", status=401)])
    first = _gateway(tmp_path, provider)
    outcome = await first.translate("fake", request())
    assert isinstance(outcome, ProviderDisabled) and outcome.error.status == 401
    again = await first.translate("fake", request("another chunk"))  # this process remembers it
    assert isinstance(again, ProviderDisabled) and "rejected" in str(again.error) and len(provider.calls) == 1
    elsewhere = await asyncio.to_thread(in_another_process, _translate_in_this_process, str(tmp_path))
    assert elsewhere["outcome"] == "ProviderDisabled" and "401" in str(elsewhere["error"]) and elsewhere["calls"] == 0
    await first.aclose()
    (status,) = [s for s in provider_snapshot(tmp_path / "data", first.settings) if s.name == "fake"]
    assert status.circuit == "disabled" and "provider 'fake' rejected" in status.note and "key" in status.note


async def test_a_spent_provider_quota_parks_the_work(tmp_path: Path) -> None:
    provider = FakeProvider(script=[QuotaExhausted("quota exceeded", status=456, retry_after_s=120.0)])
    gateway = _gateway(tmp_path, provider)
    before = time.time()
    outcome = await gateway.translate("fake", request())
    assert isinstance(outcome, Deferred) and outcome.reason == "quota_parked"
    assert before + 120 <= outcome.until <= time.time() + 120
    later = await gateway.translate("fake", request())
    assert isinstance(later, Deferred) and len(provider.calls) == 1
    await gateway.aclose()


async def test_a_daily_limit_parks_the_work_until_midnight_utc(tmp_path: Path) -> None:
    provider = FakeProvider()
    gateway = _gateway(tmp_path, provider, limits=["2/day"])
    for i in range(2):
        assert isinstance(await gateway.translate("fake", request(f"text {i}")), Translated)
    parked = await gateway.translate("fake", request("text 3"))
    await gateway.aclose()
    assert isinstance(parked, Deferred) and parked.reason == "quota_parked"
    assert parked.until == (time.time() // 86_400 + 1) * 86_400  # the next 00:00 UTC
    assert len(provider.calls) == 2


async def test_a_reply_that_fails_validation_is_retried_and_never_cached(tmp_path: Path,
                                                                         cache: TranslationCache) -> None:
    provider = FakeProvider()
    gateway = _gateway(tmp_path, provider, cache=cache)

    def reject(source: str, reply: str) -> None:
        raise ValueError("segment count differs")

    outcome = await gateway.translate("fake", request(), validate=reject)
    assert isinstance(outcome, RetryLater) and "segment count differs" in str(outcome.error)
    assert len(cache) == 0
    assert isinstance(await gateway.translate("fake", request(), validate=lambda source, reply: None), Translated)
    assert len(cache) == 1
    await gateway.aclose()


async def test_unexpected_exceptions_and_hangs_become_retries(tmp_path: Path) -> None:
    provider = FakeProvider(script=[KeyError("adapter bug")])
    gateway = _gateway(tmp_path, provider)
    outcome = await gateway.translate("fake", request())
    assert isinstance(outcome, RetryLater) and "KeyError" in str(outcome.error)
    await gateway.aclose()
    slow = FakeProvider(latency_s=5.0)
    hung = _gateway(tmp_path, slow, provider_options={"timeout_s": 0.05, "connect_timeout_s": 0.05})
    outcome = await hung.translate("fake", request())
    assert isinstance(outcome, RetryLater) and "no reply within" in str(outcome.error)
    await hung.aclose()


async def test_the_bulkhead_caps_calls_in_flight(tmp_path: Path) -> None:
    class Counting(FakeProvider):
        active = peak = 0

        async def translate(self, req):  # type: ignore[override]
            Counting.active += 1
            Counting.peak = max(Counting.peak, Counting.active)
            try:
                return await super().translate(req)
            finally:
                Counting.active -= 1

    provider = Counting(latency_s=0.02)
    gateway = _gateway(tmp_path, provider, provider_options={"max_concurrency": 3})
    outcomes = await asyncio.gather(*(gateway.translate("fake", request(f"text {i}")) for i in range(12)))
    await gateway.aclose()
    assert all(isinstance(o, Translated) for o in outcomes)
    assert Counting.peak == 3


async def test_cancellation_hands_back_a_claimed_probe(tmp_path: Path) -> None:
    provider = FakeProvider(latency_s=5.0)
    gateway = _gateway(tmp_path, provider)
    gateway.state.execute("UPDATE provider_state SET circuit = 'open', open_until = :t WHERE name = :name",
                          {"name": "fake", "t": time.time() - 1})  # an open circuit whose cool-down is over
    task = asyncio.create_task(gateway.translate("fake", request("probe")))
    while not provider.calls:  # the probe is in flight
        await asyncio.sleep(0.01)
    assert gateway.state.get("fake", fresh=True).circuit == "half_open"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    view = gateway.state.get("fake", fresh=True)
    assert view.circuit == "open" and view.probe_owner is None and view.open_until <= time.time()
    await gateway.aclose()


async def test_unknown_provider_is_a_clear_error(tmp_path: Path) -> None:
    gateway = _gateway(tmp_path, FakeProvider())
    with pytest.raises(KeyError, match="no provider 'nope'"):
        await gateway.translate("nope", request())
    # configured but not built in this process (no key): disabled here, not recorded for others
    outcome = await gateway.translate("demo", request())
    assert isinstance(outcome, ProviderDisabled) and "not available" in str(outcome.error)
    assert gateway.state.get("demo", fresh=True).disabled_reason is None
    await gateway.aclose()


async def test_a_locked_state_file_after_a_paid_reply_costs_neither_the_reply_nor_the_event_loop(
        tmp_path: Path, cache: TranslationCache) -> None:
    """Issue 9 item 4: the bookkeeping after a reply (breaker, cap, counters) cannot write
    because another process holds the state file's write lock. The paid reply is still
    returned and cached, no attempt is burnt, and the event loop keeps running meanwhile."""
    import sqlite3

    from scribe_tui.limits.provider_state import state_path

    provider = FakeProvider()
    gateway = _gateway(tmp_path, provider, cache=cache)
    gateway.prepare()
    gateway.state.execute("UPDATE provider_state SET consecutive_failures = 1 WHERE name = :name", {"name": "fake"})
    locker = sqlite3.connect(state_path(tmp_path / "data"), isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # every write now waits for the 5 s busy timeout, then fails
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        started = time.monotonic()
        outcome = await gateway.translate("fake", request("Paid for."))
        waited = time.monotonic() - started
        await asyncio.sleep(1.0)  # the bookkeeping thread is stuck on the lock meanwhile
    finally:
        ticking.cancel()
        locker.execute("ROLLBACK")
        locker.close()
    assert isinstance(outcome, Translated) and not outcome.cached  # not a RetryLater: no attempt burnt
    assert cache.get(gateway._key(gateway._lane("fake"), request("Paid for."))) is not None
    assert waited < 1.0 and ticks >= 40  # the event loop ran all along (about 100 ticks of 10 ms)
    await gateway.aclose()
    assert len(provider.calls) == 1


class ShapeBreaker(FakeProvider):
    """Swaps case like FakeProvider, but merges the blocks of any text holding more than two."""

    async def translate(self, request):
        result = await super().translate(request)
        if request.text.count("\n\n") >= 2:
            result = dataclasses.replace(result, text=result.text.replace("\n\n", "\n", 1))
        return result


def blocks_kept(source: str, reply: str) -> None:
    if source.count("\n\n") != reply.count("\n\n"):
        raise ValueError(f"expected {source.count(chr(10) * 2) + 1} blocks")


async def test_a_reply_of_the_wrong_shape_is_sent_again_as_halves(tmp_path: Path, cache: TranslationCache) -> None:
    provider = ShapeBreaker()
    gateway = _gateway(tmp_path, provider, cache=cache)
    text = "First block.\n\nSecond block.\n\nThird block.\n\nFourth block."
    outcome = await gateway.translate("fake", request(text), validate=blocks_kept)
    assert isinstance(outcome, Translated) and outcome.result.text == text.swapcase()
    assert [call.text for call in provider.calls] == [text, "First block.\n\nSecond block.",
                                                      "Third block.\n\nFourth block."]
    # Asked again without the whole in the cache: the whole is not paid for a second time,
    # the halves come from the cache.
    provider.calls.clear()
    cache.delete(gateway._key(gateway._lane("fake"), request(text)))
    again = await gateway.translate("fake", request(text), validate=blocks_kept, attempt=1)
    assert isinstance(again, Translated) and provider.calls == []
    await gateway.aclose()


async def test_a_piece_that_cannot_be_cut_is_retried_later_naming_the_problem(tmp_path: Path) -> None:
    def never(source: str, reply: str) -> None:
        raise ValueError("a line went missing")

    provider = FakeProvider()
    gateway = _gateway(tmp_path, provider)
    outcome = await gateway.translate("fake", request("One line.\nTwo lines."), validate=never)
    assert isinstance(outcome, RetryLater)
    assert str(outcome.error) == ("malformed reply: a line went missing (in a piece of 1 line(s) that cannot be "
                                  "split further)")
    assert [call.text for call in provider.calls] == ["One line.\nTwo lines.", "One line."]
    await gateway.aclose()
