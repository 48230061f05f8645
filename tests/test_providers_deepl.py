"""The DeepL adapter over HTTP against the simulator's DeepL v2 endpoint."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from scribe_tui.config import Pricing, ProviderConfig
from scribe_tui.providers.base import ContentTooLong, ProviderUnavailable, QuotaExhausted, RateLimited, TranslationRequest
from scribe_tui.providers.deepl import FREE_URL, PRO_URL, DeepLProvider, deepl_source, deepl_target, default_base_url
from scribe_tui.simulator import SimulatorServer, pseudo_translate
from scribe_tui.simulator.api_deepl_account import billing_period
from tests._simulator_support import API_KEY, last_request, provider_for, sim, simulator  # noqa: F401  (fixtures)

REQUEST = TranslationRequest(text="Guten Morgen.\n\nZweiter Absatz.", target_language="he", context="Davor gesagt.",
                             source_language="de")


@pytest.mark.parametrize(("ours", "theirs"), [
    ("he", "HE"), ("de", "DE"), ("en", "EN-US"), ("en-gb", "EN-GB"), ("en-us", "EN-US"), ("pt", "PT-PT"),
    ("pt-br", "PT-BR"), ("zh", "ZH"), ("zh-hant", "ZH-HANT"), ("nb", "NB"),
])
def test_target_codes(ours: str, theirs: str) -> None:
    assert deepl_target(ours) == theirs


def test_source_codes_and_hosts() -> None:
    assert deepl_source("auto") is None and deepl_source("en-gb") == "EN" and deepl_source("pt-br") == "PT"
    assert default_base_url("abc:fx") == FREE_URL and default_base_url("abc") == PRO_URL


async def test_host_follows_the_key_unless_overridden() -> None:
    free = DeepLProvider("d", ProviderConfig(kind="deepl"), "k:fx")
    pro = DeepLProvider("d", ProviderConfig(kind="deepl"), "k")
    mine = DeepLProvider("d", ProviderConfig(kind="deepl", base_url="http://127.0.0.1:9/"), "k:fx")
    try:
        assert free._url == f"{FREE_URL}/v2/translate" and pro._url == f"{PRO_URL}/v2/translate"
        assert mine._url == "http://127.0.0.1:9/v2/translate"
    finally:
        for provider in (free, pro, mine):
            await provider.aclose()


async def test_success_usage_cost_and_what_was_sent(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.control(api_key=API_KEY)
    provider = provider_for("deepl", sim, monkeypatch, pricing={"default": Pricing(per_million_characters=20.0)})
    try:
        result = await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    assert result.text == pseudo_translate(REQUEST.text, "he")
    assert result.usage.characters == len(REQUEST.text) and result.usage.tokens_in == 0
    assert result.usage.cost_usd == pytest.approx(len(REQUEST.text) * 20.0 / 1e6)
    received = last_request(sim)
    assert received["headers"]["authorization"] == "DeepL-Auth-Key <redacted>"
    body = json.loads(received["body"])
    assert body == {"text": [REQUEST.text], "target_lang": "HE", "source_lang": "DE", "context": "Davor gesagt.",
                    "preserve_formatting": True, "show_billed_characters": True}
    assert provider.estimate(REQUEST).characters == len(REQUEST.text)


async def test_wrong_key_is_provider_unavailable(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.control(api_key=API_KEY)
    provider = provider_for("deepl", sim, monkeypatch, key="wrong:fx")
    try:
        with pytest.raises(ProviderUnavailable) as caught:
            await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    assert caught.value.status == 403


async def test_429_is_rate_limited(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.control(limits=["1/4s"])
    provider = provider_for("deepl", sim, monkeypatch)
    try:
        await provider.translate(REQUEST)
        with pytest.raises(RateLimited) as caught:
            await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    retry_after = caught.value.retry_after_s  # Retry-After: whole seconds, at most the window (however slow the machine)
    assert retry_after is not None and retry_after == int(retry_after) and 1.0 <= retry_after <= 4.0


async def test_usage_and_cost_are_what_deepl_billed(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.control(deepl_extra_billed=4)  # DeepL bills 4 characters more than we count
    provider = provider_for("deepl", sim, monkeypatch, pricing={"default": Pricing(per_million_characters=20.0)})
    try:
        result = await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    assert result.usage.characters == len(REQUEST.text) + 4
    assert result.usage.cost_usd == pytest.approx((len(REQUEST.text) + 4) * 20.0 / 1e6)
    assert provider.estimate(REQUEST).characters == len(REQUEST.text)  # before the call we can only count


@pytest.mark.parametrize("key", [API_KEY, f"{API_KEY}:fx"], ids=["pro", "free"])
async def test_spent_character_quota_is_parked_until_the_period_ends(sim: SimulatorServer,
                                                                    monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    sim.control(limits=[f"{len(REQUEST.text) + 5} characters/month"])
    provider = provider_for("deepl", sim, monkeypatch, key=key)
    try:
        await provider.translate(REQUEST)
        with pytest.raises(QuotaExhausted) as caught:
            await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    assert caught.value.status == 456
    if key.endswith(":fx"):  # DeepL Free does not say when its period ends: the gateway re-checks
        assert caught.value.retry_after_s is None
        return
    _, end = billing_period(datetime.now(UTC))
    until_end = datetime.fromisoformat(end.replace("Z", "+00:00")).timestamp() - time.time()
    assert caught.value.retry_after_s == pytest.approx(until_end, abs=5)
    assert end in str(caught.value).replace("+00:00", "Z")


async def test_too_long_is_413_content_too_long(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.control(max_input_chars=50)
    provider = provider_for("deepl", sim, monkeypatch)
    try:
        with pytest.raises(ContentTooLong) as caught:
            await provider.translate(TranslationRequest(text="x" * 60, target_language="de"))
    finally:
        await provider.aclose()
    assert caught.value.status == 413
