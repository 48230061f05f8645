"""The circuit breaker and the shared provider state it lives in."""

from __future__ import annotations

import multiprocessing
import os
import stat
import time
from pathlib import Path

import pytest

from scribe_tui.limits.breaker import CircuitBreaker, Permit, circuit_label
from scribe_tui.limits.provider_state import ProviderStateStore, read_provider_states
from tests.test_gateway_fakes import in_another_process


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def _breaker(store: ProviderStateStore, clock: Clock, **kw: float) -> CircuitBreaker:
    options = {"failure_threshold": 3, "cooldown_s": 30.0, "probe_lease_s": 100.0, **kw}
    return CircuitBreaker(store, "p", clock=clock, **options)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path):
    store = ProviderStateStore(tmp_path, cache_ttl_s=0.0)
    yield store
    store.close()


def test_opens_after_threshold_consecutive_failures_and_blocks_until_cooldown(store: ProviderStateStore) -> None:
    clock = Clock()
    breaker = _breaker(store, clock)
    for _ in range(2):
        assert breaker.admit() == Permit(True)
        breaker.record_failure(breaker.admit())
    assert store.get("p").circuit == "closed"
    breaker.record_failure(breaker.admit())
    denied = breaker.admit()
    assert not denied.allowed and denied.until == clock.now + 30.0
    clock.now += 29.9
    assert not breaker.admit().allowed


def test_a_success_resets_the_consecutive_count(store: ProviderStateStore) -> None:
    clock = Clock()
    breaker = _breaker(store, clock)
    for _ in range(5):
        breaker.record_failure(breaker.admit())
        breaker.record_failure(breaker.admit())
        breaker.record_success(breaker.admit())
    assert store.get("p").circuit == "closed" and store.get("p").consecutive_failures == 0


def test_half_open_allows_exactly_one_probe_then_closes_on_success(store: ProviderStateStore) -> None:
    clock = Clock()
    breaker = _breaker(store, clock)
    for _ in range(3):
        breaker.record_failure(breaker.admit())
    clock.now += 30.0
    probe = breaker.admit()
    assert probe.allowed and probe.is_probe
    others = [breaker.admit() for _ in range(5)]
    assert not any(p.allowed for p in others)
    assert all(clock.now < p.until <= clock.now + 1.0 for p in others)  # look again soon
    assert circuit_label(store.get("p"), clock.now) == "half_open"
    breaker.record_success(probe)
    assert store.get("p").circuit == "closed"
    assert breaker.admit() == Permit(True)


def test_a_failed_probe_opens_the_circuit_for_a_new_cooldown(store: ProviderStateStore) -> None:
    clock = Clock()
    breaker = _breaker(store, clock)
    for _ in range(3):
        breaker.record_failure(breaker.admit())
    clock.now += 31.0
    probe = breaker.admit()
    breaker.record_failure(probe)
    denied = breaker.admit()
    assert not denied.allowed and denied.until == clock.now + 30.0
    assert circuit_label(store.get("p"), clock.now) == "open"


def test_a_released_probe_can_be_claimed_again_at_once(store: ProviderStateStore) -> None:
    clock = Clock()
    breaker = _breaker(store, clock)
    for _ in range(3):
        breaker.record_failure(breaker.admit())
    clock.now += 30.0
    first = breaker.admit()
    breaker.release(first)
    second = breaker.admit()
    assert second.is_probe and second.probe_token != first.probe_token


def test_a_probe_whose_owner_vanished_is_reclaimed_after_its_lease(store: ProviderStateStore) -> None:
    clock = Clock()
    breaker = _breaker(store, clock, probe_lease_s=10.0)
    for _ in range(3):
        breaker.record_failure(breaker.admit())
    clock.now += 30.0
    lost = breaker.admit()
    assert lost.is_probe
    clock.now += 9.0
    assert not breaker.admit().allowed
    clock.now += 1.0
    assert breaker.admit().is_probe
    breaker.record_success(lost)  # the stale owner's late answer changes nothing
    assert store.get("p").circuit == "half_open"


def _claim_probes(data_dir: str, barrier: object, results: object) -> None:
    store = ProviderStateStore(Path(data_dir))  # the normal 75 ms read cache
    breaker = CircuitBreaker(store, "p", failure_threshold=3, cooldown_s=0.05, probe_lease_s=100.0)
    barrier.wait()  # type: ignore[attr-defined]
    claims = 0
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        claims += breaker.admit().is_probe
    store.close()
    results.put((os.getpid(), claims))  # type: ignore[attr-defined]


@pytest.mark.timeout(60)
def test_only_one_probe_across_processes(tmp_path: Path) -> None:
    store = ProviderStateStore(tmp_path)
    breaker = CircuitBreaker(store, "p", failure_threshold=3, cooldown_s=0.05, probe_lease_s=100.0)
    for _ in range(3):
        breaker.record_failure(breaker.admit())
    store.close()
    time.sleep(0.1)  # cool-down over: the next admit anywhere is the probe
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_claim_probes, args=(str(tmp_path), barrier, results)) for _ in range(2)]
    for proc in procs:
        proc.start()
    claims = [results.get(timeout=40) for _ in procs]
    for proc in procs:
        proc.join(timeout=10)
        assert proc.exitcode == 0
    assert sum(count for _, count in claims) == 1
    assert read_provider_states(tmp_path)["p"].circuit == "half_open"


# ---- shared provider state ------------------------------------------------------------------------


def _read_pause(data_dir: str) -> tuple[float, str]:
    """Another process: what its own handle on the shared state says."""
    store = ProviderStateStore(Path(data_dir))
    view = store.get("p")
    store.close()
    return view.paused_until, view.pause_reason


def test_a_pause_is_seen_by_another_process(tmp_path: Path) -> None:
    writer = ProviderStateStore(tmp_path)
    try:
        until = time.time() + 30
        writer.pause("p", until, "rate limited")
        assert in_another_process(_read_pause, str(tmp_path)) == (until, "rate limited")
        writer.pause("p", time.time() + 5, "shorter")  # a pause is never shortened
        assert in_another_process(_read_pause, str(tmp_path))[0] == until
    finally:
        writer.close()


def test_a_handles_read_cache_is_stale_only_until_a_fresh_read(tmp_path: Path) -> None:
    writer, reader = ProviderStateStore(tmp_path), ProviderStateStore(tmp_path, cache_ttl_s=60.0)
    try:
        assert not reader.get("p").paused(time.time())  # now cached for a minute
        writer.pause("p", time.time() + 30, "rate limited")
        assert not reader.get("p").paused(time.time())  # the cache is allowed to be stale…
        assert reader.get("p", fresh=True).paused(time.time())  # …but only until it is re-read
    finally:
        writer.close()
        reader.close()


def test_disable_and_clear(tmp_path: Path) -> None:
    store = ProviderStateStore(tmp_path)
    try:
        store.disable("p", "HTTP 401: bad key")
        assert read_provider_states(tmp_path)["p"].disabled_reason == "HTTP 401: bad key"
        store.clear_disabled()
        assert store.get("p").disabled_reason is None
    finally:
        store.close()


def test_counters_are_batched_and_flushed_on_close(tmp_path: Path) -> None:
    store = ProviderStateStore(tmp_path)
    for _ in range(7):
        store.count("p", requests=1)
    store.count("p", requests=1, rate_limited=1)  # a 429 is written at once
    assert read_provider_states(tmp_path)["p"].rate_limited == 1
    store.count("p", requests=1)
    store.close()
    view = read_provider_states(tmp_path)["p"]
    assert (view.requests, view.rate_limited) == (9, 1)


def test_state_reading_never_creates_files_and_the_file_is_private(tmp_path: Path) -> None:
    assert read_provider_states(tmp_path / "nowhere") == {}
    assert not (tmp_path / "nowhere").exists()
    store = ProviderStateStore(tmp_path)
    store.pause("p", time.time() + 1, "x")
    for path in (tmp_path / "limits").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    store.close()


def test_an_unusable_data_dir_keeps_state_in_memory_with_a_warning(tmp_path: Path) -> None:
    from structlog.testing import capture_logs

    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("a file where the data directory should be")
    with capture_logs() as logs:
        store = ProviderStateStore(not_a_dir)
    assert not store.shared and any(entry["log_level"] == "warning" for entry in logs)
    store.pause("p", time.time() + 10, "rate limited")
    assert store.get("p", fresh=True).paused(time.time())
    store.close()
