"""The real path: the gateway driving the OpenAI SDK over HTTP on 127.0.0.1 to the built-in
simulator (and to the independent strict server) — shared pauses after a 429 seen by another
process, the breaker through an outage, parked daily quotas, and real processes at the
server's own limit, with arrival delays, that never hear a 429."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scribe_tui.config import Settings
from scribe_tui.limits.adaptive import SETTLE_S
from scribe_tui.limits.gateway import Deferred, Gateway, RetryLater, Translated
from scribe_tui.providers.base import TranslationRequest
from scribe_tui.providers.registry import build_provider
from scribe_tui.simulator import SimulatorConfig, SimulatorServer, start_simulator_process
from tests.strict_server import StrictServer
from tests.test_gateway_fakes import in_another_process

KEY_ENV = "SCRIBE_GATEWAY_TEST_KEY"


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    server = SimulatorServer(SimulatorConfig()).start()
    yield server
    server.stop()


@pytest.fixture
def sim(simulator: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> SimulatorServer:
    simulator.reset()
    monkeypatch.setenv(KEY_ENV, "sim-key")
    return simulator


def _settings(data_dir: Path, limits: list[str], **provider: Any) -> Settings:
    return Settings(
        default_provider="sim", data_dir=data_dir,
        providers={"sim": {"kind": "openai", "model": "demo-pseudo", "api_key_env": KEY_ENV, "limits": limits,
                           "timeout_s": 10, **provider}},
        retry={"base_delay_s": 0.2, "max_delay_s": 2.0, "park_after_s": 30.0},
        breaker={"failure_threshold": 3, "cooldown_s": 0.5},
    )


def _gateway(settings: Settings, url: str, **kw: Any) -> Gateway:
    provider = build_provider("sim", settings.provider("sim"), base_url_override=f"{url}/v1")
    return Gateway(settings, settings.resolved_data_dir(), {"sim": provider}, cache=None, **kw)


def _req(i: int) -> TranslationRequest:
    return TranslationRequest(text=f"Sentence number {i}.", target_language="de")


def _one_call_elsewhere(data_dir: str, url: str) -> dict[str, object]:
    """Another worker process: its own gateway on the same data directory, one call."""
    os.environ[KEY_ENV] = "sim-key"

    async def main() -> dict[str, object]:
        gateway = _gateway(_settings(Path(data_dir), []), url)
        outcome = await gateway.translate("sim", _req(99))
        await gateway.aclose()
        return {"outcome": type(outcome).__name__, "reason": getattr(outcome, "reason", None),
                "until": getattr(outcome, "until", None)}

    return asyncio.run(main())


async def test_a_429_pauses_another_process_until_retry_after(tmp_path: Path, sim: SimulatorServer) -> None:
    sim.control(limits=["2/30s"])  # the server's limit; ours is unknown: the 429 tells us
    gateway = _gateway(_settings(tmp_path / "data", []), sim.url)
    try:
        for i in range(2):
            assert isinstance(await gateway.translate("sim", _req(i)), Translated)
        refused = await gateway.translate("sim", _req(2), attempt=0)
    finally:
        await gateway.aclose()
    assert isinstance(refused, Deferred) and refused.reason == "rate_limited"  # no attempt burnt
    assert time.time() + 25 < refused.until <= time.time() + 31  # the server's Retry-After, whole seconds
    seen = sim.stats()["requests_total"]
    elsewhere = await asyncio.to_thread(in_another_process, _one_call_elsewhere, str(tmp_path / "data"), sim.url)
    assert elsewhere == {"outcome": "Deferred", "reason": "paused", "until": pytest.approx(refused.until, abs=1)}
    assert sim.stats()["requests_total"] == seen  # nothing was sent during the pause
    assert sim.stats()["rate_limited"] == 1


async def test_breaker_opens_on_an_outage_sends_nothing_then_probes_and_closes(tmp_path: Path,
                                                                                sim: SimulatorServer) -> None:
    gateway = _gateway(_settings(tmp_path / "data", [], max_concurrency=8), sim.url)
    try:
        sim.control(http_503=1.0)
        attempts = 0
        while gateway.state.get("sim", fresh=True).circuit != "open":
            assert isinstance(await gateway.translate("sim", _req(attempts), attempt=attempts), RetryLater)
            attempts += 1
            assert attempts <= 8
            await asyncio.sleep(SETTLE_S)  # a retry's backoff: each failure comes after the cap settled
        assert attempts == 3 + 3  # the cap fell 8 → 4 → 2 → 1, then three failures at the floor
        seen = sim.stats()["requests_total"]
        blocked = [await gateway.translate("sim", _req(i)) for i in range(5)]
        assert all(isinstance(o, Deferred) and o.reason == "circuit_open" for o in blocked)
        assert sim.stats()["requests_total"] == seen
        sim.control(http_503=0.0)
        await asyncio.sleep(max(0.0, blocked[0].until - time.time()) + 0.05)  # type: ignore[union-attr]
        probe, follower = await asyncio.gather(gateway.translate("sim", _req(10)), gateway.translate("sim", _req(11)))
        assert isinstance(probe, Translated)  # the first caller is the single probe…
        assert isinstance(follower, Deferred) and follower.reason == "circuit_open"  # …the other waits for it
        assert sim.stats()["requests_total"] == seen + 1
        await gateway.books.drain()  # the probe's success is recorded off the call's path
        assert isinstance(await gateway.translate("sim", _req(11)), Translated)  # closed again
    finally:
        await gateway.aclose()


async def test_a_spent_daily_quota_is_parked_until_midnight_utc(tmp_path: Path, sim: SimulatorServer) -> None:
    sim.control(limits=["3/day"])
    gateway = _gateway(_settings(tmp_path / "data", ["3/day"]), sim.url)
    try:
        for i in range(3):
            assert isinstance(await gateway.translate("sim", _req(i)), Translated)
        parked = await gateway.translate("sim", _req(3))
        assert isinstance(parked, Deferred) and parked.reason == "quota_parked"
        assert parked.until == (time.time() // 86_400 + 1) * 86_400
        assert sim.stats()["requests_total"] == 3 and sim.stats()["rate_limited"] == 0
    finally:
        await gateway.aclose()


async def test_a_server_only_daily_quota_is_parked_in_every_process(tmp_path: Path, sim: SimulatorServer) -> None:
    sim.control(limits=["2/day"])
    gateway = _gateway(_settings(tmp_path / "data", []), sim.url)  # not configured here: the 429 says it
    try:
        for i in range(2):
            assert isinstance(await gateway.translate("sim", _req(i)), Translated)
        parked = await gateway.translate("sim", _req(2))
        assert isinstance(parked, Deferred) and parked.until > time.time() + 80_000
    finally:
        await gateway.aclose()
    elsewhere = await asyncio.to_thread(in_another_process, _one_call_elsewhere, str(tmp_path / "data"), sim.url)
    assert elsewhere["outcome"] == "Deferred" and elsewhere["reason"] == "paused"
    assert sim.stats()["requests_total"] == 3


# ---- real processes at the server's own limit -----------------------------------------------------------

LIMIT, SPAN_S, CALLS = 12, 1.0, 24


def _calls_at_the_limit(data_dir: str, url: str, barrier: Any, results: Any) -> None:
    os.environ[KEY_ENV] = "sim-key"

    async def main() -> list[str]:
        gateway = _gateway(_settings(Path(data_dir), [f"{LIMIT}/{SPAN_S:g}s"], max_concurrency=8), url, worker_count=2)
        gateway.prepare()
        barrier.wait()
        outcomes = await asyncio.gather(*(gateway.translate("sim", _req(i)) for i in range(CALLS)))
        await gateway.aclose()
        return [type(outcome).__name__ for outcome in outcomes]

    results.put(asyncio.run(main()))


def _run_two_processes(data_dir: Path, url: str) -> list[str]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=_calls_at_the_limit, args=(str(data_dir), url, barrier, results)) for _ in range(2)]
    for proc in procs:
        proc.start()
    try:
        return [name for _ in procs for name in results.get(timeout=100)]
    finally:
        for proc in procs:
            proc.join(10)


def _busiest(times: list[float], span: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + span) for i, start in enumerate(times))


@pytest.mark.timeout(120)
def test_two_processes_at_the_simulators_limit_with_arrival_delays_never_hear_a_429(tmp_path: Path) -> None:
    """The simulator counts each request after a random delay of up to a second: what each
    process sent, by its arrival at the server, never exceeds the limit."""
    server = start_simulator_process(SimulatorConfig(limits=(f"{LIMIT}/{SPAN_S:g}s",), latency_ms=5,
                                                     arrival_delay_ms=1000))
    try:
        outcomes = _run_two_processes(tmp_path / "data", server.url)
        stats = server.stats()
    finally:
        server.stop()
    assert outcomes == ["Translated"] * 2 * CALLS
    assert stats["rate_limited"] == 0 and _busiest(stats["arrivals"], SPAN_S) <= LIMIT
    assert len(stats["arrivals"]) == 2 * CALLS


@pytest.mark.timeout(120)
def test_two_processes_at_the_strict_servers_limit_never_hear_a_429(tmp_path: Path) -> None:
    """The independent server: a new connection per request, an accept backlog of 5 (so a
    burst waits for SYN retransmissions), its own window counted at arrival."""
    with StrictServer(requests=LIMIT, window_s=SPAN_S, latency_s=0.05) as server:
        outcomes = _run_two_processes(tmp_path / "data", server.url)
    assert outcomes == ["Translated"] * 2 * CALLS
    assert server.refused == 0 and server.busiest_window() <= LIMIT and len(server.arrivals) == 2 * CALLS
