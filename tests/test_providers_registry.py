"""Building providers from config, and the demo kind end to end with its simulator process."""

from __future__ import annotations

import pytest

from scribe_tui.config import Pricing, ProviderConfig
from scribe_tui.limit_spec import parse_limit
from scribe_tui.providers.base import Provider, ProviderUnavailable, RateLimited, TranslationRequest
from scribe_tui.providers.deepl import DeepLProvider
from scribe_tui.providers.demo import simulator_config_for, start_demo_backend
from scribe_tui.providers.microsoft import MicrosoftProvider
from scribe_tui.providers.openai_compat import OpenAICompatibleProvider
from scribe_tui.providers.registry import build_provider
from scribe_tui.simulator import pseudo_translate


@pytest.mark.parametrize(("kind", "variable"), [("openai", "OPENAI_API_KEY"), ("deepl", "DEEPL_AUTH_KEY"),
                                                ("microsoft", "AZURE_TRANSLATOR_KEY")])
def test_a_missing_key_names_its_variable(kind: str, variable: str) -> None:
    with pytest.raises(ProviderUnavailable, match=variable):
        build_provider("p", ProviderConfig(kind=kind))  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "cls"), [("openai", OpenAICompatibleProvider), ("deepl", DeepLProvider),
                                           ("microsoft", MicrosoftProvider)])
async def test_kind_picks_the_adapter(kind: str, cls: type, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_KEY", "secret")
    provider = build_provider("mine", ProviderConfig(kind=kind, api_key_env="MY_KEY"))  # type: ignore[arg-type]
    try:
        assert type(provider) is cls and isinstance(provider, Provider)
        assert (provider.name, provider.kind) == ("mine", kind) and provider.model
    finally:
        await provider.aclose()


def test_demo_needs_its_simulator_url() -> None:
    with pytest.raises(ProviderUnavailable, match="simulator"):
        build_provider("demo", ProviderConfig(kind="demo"))


def test_demo_simulator_follows_the_provider_config() -> None:
    config = ProviderConfig(kind="demo", latency_ms=120, jitter_ms=10, fail_rate=0.2, limits=["600/minute"])
    sim_config = simulator_config_for(config)
    assert (sim_config.latency_ms, sim_config.jitter_ms) == (120, 10)
    assert sim_config.limits == (parse_limit("600/minute"),)
    assert sim_config.faults() == {"drop": 0.05, "http_500": 0.05, "http_503": 0.05, "malformed": 0.05,
                                   "quota": 0.0, "slow": 0.0}
    server_side = ProviderConfig(kind="demo", limits=["600/minute"], server_limits=["10/second"])
    assert simulator_config_for(server_side).limits == (parse_limit("10/second"),)


async def test_demo_end_to_end_through_a_simulator_process() -> None:
    config = ProviderConfig(kind="demo", latency_ms=0, jitter_ms=0, limits=["2/minute"],
                            pricing={"default": Pricing(input_per_million_tokens=1.0, output_per_million_tokens=4.0)})
    backend = start_demo_backend(config)
    try:
        provider = build_provider("demo", config, base_url_override=backend.url)
        try:
            assert (provider.kind, provider.model) == ("demo", "demo-pseudo")
            result = await provider.translate(TranslationRequest(text="Hello\n\nworld", target_language="he"))
            assert result.text == pseudo_translate("Hello\n\nworld", "he")
            usage = result.usage
            assert usage.tokens_in > 0 and usage.cost_usd == pytest.approx((usage.tokens_in + 4 * usage.tokens_out) / 1e6)
            await provider.translate(TranslationRequest(text="again", target_language="he"))
            with pytest.raises(RateLimited):
                await provider.translate(TranslationRequest(text="third", target_language="he"))
        finally:
            await provider.aclose()
        assert backend.stats()["per_status"] == {"200": 2, "429": 1}
    finally:
        backend.stop()
