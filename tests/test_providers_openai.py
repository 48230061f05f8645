"""The OpenAI-compatible adapter through the real openai SDK over HTTP to the simulator, once
per server profile the simulator imitates (OpenAI, Gemini, vLLM, Ollama, LM Studio): each
test says what the adapter must make of that server's way of answering."""

from __future__ import annotations

import json

import pytest

from scribe_tui.config import Pricing
from scribe_tui.documents import estimate_tokens
from scribe_tui.providers.base import (
    ContentTooLong,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    RetryableError,
    TranslationRequest,
)
from scribe_tui.simulator import SimulatorServer, pseudo_translate
from scribe_tui.simulator.profiles import PROFILES
from tests._simulator_support import API_KEY, last_request, provider_for, sim, simulator  # noqa: F401  (fixtures)

REQUEST = TranslationRequest(text="Shalom and welcome.\n\n  An indented second paragraph.", target_language="he",
                             context="…the end of the previous chunk.", source_language="en",
                             glossary={"welcome": "ברוכים הבאים"}, chunk_id="doc1:3")
PRICING = {"default": Pricing(input_per_million_tokens=2.0, output_per_million_tokens=8.0)}
LOCAL = ("vllm", "ollama", "lmstudio")  # servers without quotas: a spent one shows as a busy 503


@pytest.fixture(params=sorted(PROFILES), autouse=True)
def profile(request: pytest.FixtureRequest, sim: SimulatorServer) -> str:
    sim.control(server_profile=request.param)
    return str(request.param)


async def test_success_usage_and_cost(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    provider = provider_for("openai", sim, monkeypatch, model="gpt-test", pricing=PRICING)
    try:
        result = await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    assert result.text == pseudo_translate(REQUEST.text, "he", REQUEST.glossary)  # the glossary was honoured
    assert (result.provider, result.model) == ("openai-test", "gpt-test")
    reported = json.loads(last_request(sim)["body"])
    assert reported["model"] == "gpt-test" and reported["temperature"] == 0.0
    usage = result.usage
    assert usage.tokens_in > estimate_tokens(REQUEST.text) and usage.tokens_out == estimate_tokens(result.text)
    assert usage.characters == len(REQUEST.text)
    assert usage.cost_usd == pytest.approx((usage.tokens_in * 2.0 + usage.tokens_out * 8.0) / 1e6)
    assert provider.cost(usage) == usage.cost_usd
    assert provider.estimate(REQUEST).tokens_in == usage.tokens_in  # same estimate as the simulator's count
    assert result.latency_ms > 0
    assert (provider.name, provider.kind, provider.model) == ("openai-test", "openai", "gpt-test")


async def test_prompt_contract_as_received_by_the_server(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    provider = provider_for("openai", sim, monkeypatch)
    try:
        await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    received = last_request(sim)
    messages = json.loads(received["body"])["messages"]
    assert messages[-1] == {"role": "user", "content": REQUEST.text}
    assert [message["role"] for message in messages] == ["system", "user"]
    system = messages[0]["content"]
    assert REQUEST.text not in system and "doc1:3" not in system
    assert "Target language: Hebrew (he)." in system and "Source language: English (en)." in system
    assert "<context>\n…the end of the previous chunk.\n</context>" in system
    assert '"welcome" -> "ברוכים הבאים"' in system
    assert received["headers"]["authorization"] == "Bearer <redacted>"


async def test_estimate_covers_prompt_context_and_expected_output(monkeypatch: pytest.MonkeyPatch,
                                                                  sim: SimulatorServer) -> None:
    provider = provider_for("openai", sim, monkeypatch)
    try:
        bare = provider.estimate(TranslationRequest(text=REQUEST.text, target_language="he"))
        full = provider.estimate(REQUEST)
    finally:
        await provider.aclose()
    assert full.tokens_out == estimate_tokens(REQUEST.text) and full.characters == len(REQUEST.text)
    assert full.tokens_in > bare.tokens_in > estimate_tokens(REQUEST.text)  # context and glossary cost tokens


async def test_wrong_key_is_provider_unavailable(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch,
                                                 profile: str) -> None:
    sim.control(api_key=API_KEY)
    provider = provider_for("openai", sim, monkeypatch, key="sk-wrong")
    try:
        if not PROFILES[profile].checks_key:  # Ollama and LM Studio take any key
            assert (await provider.translate(REQUEST)).text
            return
        with pytest.raises(ProviderUnavailable) as caught:
            await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    assert caught.value.status == (400 if profile == "gemini" else 401) and "sk-wrong" not in str(caught.value)


async def test_a_full_window_as_each_server_answers_it(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch,
                                                       profile: str) -> None:
    queues = PROFILES[profile].when_busy == "queue"
    sim.control(limits=["1/1s" if queues else "1/7s"])
    provider = provider_for("openai", sim, monkeypatch)
    try:
        await provider.translate(REQUEST)
        if queues:  # vLLM and LM Studio hold the request until there is room: no error at all
            assert (await provider.translate(REQUEST)).text == pseudo_translate(REQUEST.text, "he", REQUEST.glossary)
            return
        expected = RetryableError if profile == "ollama" else RateLimited
        with pytest.raises(expected) as caught:
            await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    if profile == "ollama":  # 503 "server busy", no hint when to come back
        assert caught.value.status == 503 and caught.value.retry_after_s is None
    else:  # Retry-After (OpenAI) or RetryInfo.retryDelay in the body (Gemini): at most the window, however
        retry_after = caught.value.retry_after_s  # slow the machine made the second request
        assert caught.value.status == 429 and retry_after is not None and 0.0 < retry_after <= 7.0
        if profile == "openai":
            assert retry_after == int(retry_after) >= 1  # whole seconds


async def test_daily_limit_is_parked_for_about_a_day(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch,
                                                     profile: str) -> None:
    sim.control(limits=["1/day"])
    provider = provider_for("openai", sim, monkeypatch)
    expected = {"openai": RateLimited, "gemini": QuotaExhausted}.get(profile, RetryableError)
    try:
        await provider.translate(REQUEST)
        with pytest.raises(expected) as caught:
            await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    if profile == "openai":  # a Retry-After of about a day: the gateway parks the work
        assert caught.value.retry_after_s is not None and caught.value.retry_after_s > 86000
    elif profile == "gemini":  # a PerDay quota in the body: parked as a spent quota
        assert caught.value.status == 429
    else:
        assert caught.value.status == 503


async def test_insufficient_quota_is_quota_exhausted(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch,
                                                     profile: str) -> None:
    sim.control(quota=1.0)
    provider = provider_for("openai", sim, monkeypatch)
    try:
        with pytest.raises(RetryableError if profile in LOCAL else QuotaExhausted) as caught:
            await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    assert caught.value.status == (503 if profile in LOCAL else 429)


async def test_too_long_is_content_too_long(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch,
                                            profile: str) -> None:
    sim.control(max_input_chars=800)
    provider = provider_for("openai", sim, monkeypatch)
    long = TranslationRequest(text="\n".join(f"line {n} of the text" for n in range(60)), target_language="de")
    try:
        if PROFILES[profile].truncates_long_input:  # Ollama cuts the prompt and answers 200: only the
            cut = await provider.translate(long)    # engine's line-count check can catch this
            assert cut.text.count("\n") < long.text.count("\n")
            return
        with pytest.raises(ContentTooLong) as caught:
            await provider.translate(long)
        short = await provider.translate(TranslationRequest(text="ok", target_language="de"))
    finally:
        await provider.aclose()
    assert caught.value.status == 400
    assert short.text == pseudo_translate("ok", "de")


async def test_keyless_local_server(sim: SimulatorServer) -> None:
    from scribe_tui.config import ProviderConfig
    from scribe_tui.providers.registry import build_provider

    provider = build_provider("local", ProviderConfig(kind="openai", api_key_env="", model="llama"),
                              base_url_override=f"{sim.url}/v1")
    try:
        result = await provider.translate(TranslationRequest(text="hi", target_language="fr"))
    finally:
        await provider.aclose()
    assert result.text == pseudo_translate("hi", "fr")
