"""The Microsoft Translator adapter over HTTP against the simulator's Translator v3 endpoint."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from scribe_tui.config import Pricing
from scribe_tui.providers.base import ContentTooLong, ProviderUnavailable, QuotaExhausted, RateLimited, TranslationRequest
from scribe_tui.providers.microsoft import microsoft_language
from scribe_tui.simulator import SimulatorServer, pseudo_translate
from tests._simulator_support import API_KEY, last_request, provider_for, sim, simulator  # noqa: F401  (fixtures)

REQUEST = TranslationRequest(text="Good evening.\n\n  Indented line.", target_language="he", context="ignored")


@pytest.mark.parametrize(("ours", "theirs"), [
    ("he", "he"), ("zh", "zh-Hans"), ("zh-hant", "zh-Hant"), ("pt", "pt-pt"), ("pt-br", "pt"), ("en-gb", "en"),
])
def test_language_codes(ours: str, theirs: str) -> None:
    assert microsoft_language(ours) == theirs


async def test_success_with_key_and_region_headers(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.control(api_key=API_KEY)
    provider = provider_for("microsoft", sim, monkeypatch, region="westeurope",
                            pricing={"default": Pricing(per_million_characters=10.0)})
    try:
        result = await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    assert result.text == pseudo_translate(REQUEST.text, "he")
    assert result.usage.characters == len(REQUEST.text)
    assert result.usage.cost_usd == pytest.approx(len(REQUEST.text) * 10.0 / 1e6)
    received = last_request(sim)
    assert received["headers"]["ocp-apim-subscription-region"] == "westeurope"
    assert received["headers"]["ocp-apim-subscription-key"] == "<redacted>"
    assert dict(parse_qsl(urlsplit(received["target"]).query)) == {"api-version": "3.0", "to": "he"}
    assert json.loads(received["body"]) == [{"Text": REQUEST.text}]


async def test_no_region_header_without_a_region(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    provider = provider_for("microsoft", sim, monkeypatch)
    try:
        await provider.translate(TranslationRequest(text="x", target_language="de", source_language="en"))
    finally:
        await provider.aclose()
    received = last_request(sim)
    assert "ocp-apim-subscription-region" not in received["headers"]
    assert dict(parse_qsl(urlsplit(received["target"]).query))["from"] == "en"


async def test_wrong_key_is_401_provider_unavailable(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.control(api_key=API_KEY)
    provider = provider_for("microsoft", sim, monkeypatch, key="nope")
    try:
        with pytest.raises(ProviderUnavailable) as caught:
            await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    assert caught.value.status == 401 and "401000" in str(caught.value)


async def test_429_is_rate_limited(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.control(limits=["1/3s"])
    provider = provider_for("microsoft", sim, monkeypatch)
    try:
        await provider.translate(REQUEST)
        with pytest.raises(RateLimited) as caught:
            await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    retry_after = caught.value.retry_after_s  # Retry-After: whole seconds, at most the window (however slow the machine)
    assert retry_after is not None and retry_after == int(retry_after) and 1.0 <= retry_after <= 3.0


async def test_spent_free_quota_is_quota_exhausted(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.control(limits=["40 characters/month"])
    provider = provider_for("microsoft", sim, monkeypatch)
    try:
        await provider.translate(REQUEST)
        with pytest.raises(QuotaExhausted) as caught:
            await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    assert caught.value.status == 403 and "403001" in str(caught.value)


async def test_too_long_is_content_too_long(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.control(max_input_chars=10)
    provider = provider_for("microsoft", sim, monkeypatch)
    try:
        with pytest.raises(ContentTooLong) as caught:
            await provider.translate(REQUEST)
    finally:
        await provider.aclose()
    assert caught.value.status == 400


@pytest.mark.parametrize("version", ["3.0", "2026-06-06"])
async def test_both_api_versions_translate_with_their_own_shapes(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch,
                                                                 version: str) -> None:
    sim.control(api_key=API_KEY)
    provider = provider_for("microsoft", sim, monkeypatch, api_version=version)
    request = TranslationRequest(text="Hello there", target_language="zh", source_language="en")
    try:
        result = await provider.translate(request)
    finally:
        await provider.aclose()
    assert result.text == pseudo_translate("Hello there", "zh-hans")
    assert result.usage.characters == len("Hello there")  # the service's X-Metered-Usage
    received = last_request(sim)
    query = dict(parse_qsl(urlsplit(received["target"]).query))
    if version == "3.0":
        assert query == {"api-version": "3.0", "to": "zh-Hans", "from": "en"}
        assert json.loads(received["body"]) == [{"Text": "Hello there"}]
    else:
        assert query == {"api-version": "2026-06-06"}
        assert json.loads(received["body"]) == {"inputs": [{"text": "Hello there", "language": "en",
                                                             "targets": [{"language": "zh-Hans"}]}]}


@pytest.mark.parametrize("version", ["3.0", "2026-06-06"])
async def test_both_api_versions_map_errors_alike(sim: SimulatorServer, monkeypatch: pytest.MonkeyPatch,
                                                  version: str) -> None:
    sim.control(limits=["1/3s", "30 characters/month"])
    provider = provider_for("microsoft", sim, monkeypatch, api_version=version)
    try:
        await provider.translate(TranslationRequest(text="x" * 20, target_language="de"))
        with pytest.raises(RateLimited) as busy:
            await provider.translate(TranslationRequest(text="y", target_language="de"))
        await asyncio.sleep(busy.value.retry_after_s or 3)
        with pytest.raises(QuotaExhausted) as spent:
            await provider.translate(TranslationRequest(text="z" * 20, target_language="de"))
    finally:
        await provider.aclose()
    assert busy.value.status == 429 and "429000" in str(busy.value)
    assert spent.value.status == 403 and "403001" in str(spent.value)
