"""The real path: the gateway driving the OpenAI SDK over HTTP on 127.0.0.1 to the built-in
simulator — shared pauses after a 429, the breaker through an outage, parked daily quotas,
and a run at the server's own limit that never hears a 429."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scribe_tui.config import Settings
from scribe_tui.limits.gateway import Deferred, Gateway, RetryLater, Translated
from scribe_tui.providers.base import RateLimited, TranslationRequest
from scribe_tui.providers.registry import build_provider
from scribe_tui.simulator import SimulatorConfig, SimulatorServer, pseudo_translate, start_simulator_process

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


def _settings(tmp_path: Path, limits: list[str], **provider: Any) -> Settings:
    return Settings(
        default_provider="sim", data_dir=tmp_path / "data",
        providers={"sim": {"kind": "openai", "model": "demo-pseudo", "api_key_env": KEY_ENV, "limits": limits,
                           "timeout_s": 10, **provider}},
        retry={"base_delay_s": 0.2, "max_delay_s": 2.0, "park_after_s": 30.0},
        breaker={"failure_threshold": 3, "cooldown_s": 0.5},
    )


def _gateway(settings: Settings, sim: Any, **kw: Any) -> Gateway:
    provider = build_provider("sim", settings.provider("sim"), base_url_override=f"{sim.url}/v1")
    return Gateway(settings, settings.resolved_data_dir(), {"sim": provider}, cache=None, **kw)


def _req(i: int) -> TranslationRequest:
    return TranslationRequest(text=f"Sentence number {i}.", target_language="de")


async def test_a_429_pauses_every_gateway_until_retry_after(tmp_path: Path, sim: SimulatorServer) -> None:
    sim.control(limits=["2/1s"])
    settings = _settings(tmp_path, [])  # we do not know the server's limit: it will tell us
    first, second = _gateway(settings, sim), _gateway(settings, sim)
    try:
        assert isinstance(await first.translate("sim", _req(1)), Translated)
        assert isinstance(await first.translate("sim", _req(2)), Translated)
        refused = await first.translate("sim", _req(3), attempt=0)
        assert isinstance(refused, RetryLater) and isinstance(refused.error, RateLimited)
        assert refused.error.retry_after_s is not None and refused.delay_s >= refused.error.retry_after_s
        seen = sim.stats()["requests_total"]
        paused = await second.translate("sim", _req(3))  # another process's gateway
        assert isinstance(paused, Deferred) and paused.reason == "paused"
        assert sim.stats()["requests_total"] == seen  # nothing was sent during the pause
        await asyncio.sleep(max(0.0, paused.until - time.time()) + 0.05)
        done = await second.translate("sim", _req(3))
        assert isinstance(done, Translated) and done.result.text == pseudo_translate(_req(3).text, "de")
        assert sim.stats()["rate_limited"] == 1
    finally:
        await first.aclose()
        await second.aclose()


async def test_breaker_opens_on_an_outage_sends_nothing_then_probes_and_closes(tmp_path: Path,
                                                                                sim: SimulatorServer) -> None:
    gateway = _gateway(_settings(tmp_path, []), sim)
    try:
        sim.control(http_503=1.0)
        for attempt in range(3):
            assert isinstance(await gateway.translate("sim", _req(attempt), attempt=attempt), RetryLater)
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
        assert isinstance(await gateway.translate("sim", _req(11)), Translated)  # closed again
    finally:
        await gateway.aclose()


async def test_a_spent_daily_quota_is_parked_not_failed(tmp_path: Path, sim: SimulatorServer) -> None:
    sim.control(limits=["3/day"])
    gateway = _gateway(_settings(tmp_path, ["3/day"]), sim)
    try:
        for i in range(3):
            assert isinstance(await gateway.translate("sim", _req(i)), Translated)
        parked = await gateway.translate("sim", _req(3))
        assert isinstance(parked, Deferred) and parked.reason == "quota_parked"
        assert parked.until == pytest.approx(time.time() + 86_400, abs=10)
        assert sim.stats()["requests_total"] == 3 and sim.stats()["rate_limited"] == 0
    finally:
        await gateway.aclose()


async def test_a_server_only_daily_quota_is_parked_too(tmp_path: Path, sim: SimulatorServer) -> None:
    sim.control(limits=["2/day"])
    settings = _settings(tmp_path, [])  # not configured on our side: the server's 429 says it
    gateway, other = _gateway(settings, sim), _gateway(settings, sim)
    try:
        for i in range(2):
            assert isinstance(await gateway.translate("sim", _req(i)), Translated)
        parked = await gateway.translate("sim", _req(2))
        assert isinstance(parked, Deferred) and parked.until > time.time() + 80_000
        again = await other.translate("sim", _req(3))
        assert isinstance(again, Deferred) and again.reason == "paused"
        assert sim.stats()["requests_total"] == 3
    finally:
        await gateway.aclose()
        await other.aclose()


async def test_running_at_the_servers_own_limit_never_hits_a_429(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulator runs in its own process here, like a real server (no shared GIL). Each
    gateway makes one call first: an SDK's first request spends its set-up time *after* the
    permit was taken, which a cold start would add to the admission-to-arrival delay that the
    windows' margin absorbs (see limits/rates.py)."""
    monkeypatch.setenv(KEY_ENV, "sim-key")
    server = start_simulator_process(SimulatorConfig(limits=("15/1s",), latency_ms=5))
    settings = _settings(tmp_path, ["15/1s"], max_concurrency=8)
    gateways = [_gateway(settings, server, worker_count=2) for _ in range(2)]  # two "processes", shared buckets
    try:
        for i, gateway in enumerate(gateways):
            assert isinstance(await gateway.translate("sim", _req(100 + i)), Translated)
        outcomes = await asyncio.gather(*(gateways[i % 2].translate("sim", _req(i)) for i in range(45)))
        assert all(isinstance(o, Translated) for o in outcomes)
        stats = server.stats()
        assert stats["rate_limited"] == 0 and stats["admitted"] == 47
        admissions = sorted(stats["admissions"])
        assert max(sum(1 for t in admissions if s <= t < s + 1.0) for s in admissions) == 15  # really at the limit
    finally:
        for gateway in gateways:
            await gateway.aclose()
        server.stop()
