"""Every adapter, every transient failure: one HTTP attempt, mapped to RetryableError (a 429
to RateLimited), never a retry inside the adapter."""

from __future__ import annotations

import pytest

from scribe_tui.providers.base import RateLimited, RetryableError, TranslationRequest
from scribe_tui.simulator import SimulatorServer
from tests._simulator_support import provider_for, sim, simulator  # noqa: F401  (fixtures)

KINDS = ["openai", "deepl", "microsoft"]
REQUEST = TranslationRequest(text="A line to translate.\nAnd another.", target_language="de")


async def _fail_once(kind: str, sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch,
                     **config: object) -> RetryableError:
    provider = provider_for(kind, sim, monkeypatch, **config)
    try:
        with pytest.raises(RetryableError) as caught:
            await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    assert sim.stats()["requests_total"] == 1, "the adapter must make exactly one attempt"
    return caught.value


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("fault", "status"), [("http_500", 500), ("http_503", 503), ("drop", None)])
async def test_server_errors_and_drops_are_retryable(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch,
                                                     kind: str, fault: str, status: int | None) -> None:
    sim.control(**{fault: 1.0})
    error = await _fail_once(kind, sim, monkeypatch)
    assert type(error) is RetryableError and error.status == status and error.provider == f"{kind}-test"


@pytest.mark.parametrize("kind", KINDS)
async def test_malformed_replies_are_retryable(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch,
                                               kind: str) -> None:
    messages = set()
    for seed in range(4):  # seeds 0-3 give both broken-JSON and missing-field replies
        sim.reset()
        sim.control(malformed=1.0, seed=seed)
        error = await _fail_once(kind, sim, monkeypatch)
        assert type(error) is RetryableError and str(error).startswith("malformed reply: ")
        messages.add(str(error))
    assert "malformed reply: the body is not valid JSON" in messages and len(messages) == 2


@pytest.mark.parametrize("kind", KINDS)
async def test_a_reply_slower_than_the_timeout_is_retryable(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch,
                                                            kind: str) -> None:
    sim.control(slow=1.0, slow_ms=3000)
    error = await _fail_once(kind, sim, monkeypatch, timeout_s=0.3)
    assert type(error) is RetryableError and "timed out" in str(error)


@pytest.mark.parametrize("kind", KINDS)
async def test_rate_limited_is_a_retryable_error(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    sim.control(limits=["1/minute"])
    provider = provider_for(kind, sim, monkeypatch)
    try:
        await provider.translate(REQUEST)
        with pytest.raises(RetryableError) as caught:
            await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    retry_after = caught.value.retry_after_s
    assert isinstance(caught.value, RateLimited) and retry_after is not None and 1.0 <= retry_after <= 60.0


@pytest.mark.parametrize("kind", KINDS)
async def test_nobody_listening_is_retryable(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    stopped = SimulatorServer().start()
    stopped.stop()  # its port is now closed
    provider = provider_for(kind, stopped, monkeypatch)
    try:
        with pytest.raises(RetryableError) as caught:
            await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    assert "connection failed" in str(caught.value)
