"""From a provider's configuration to a ready ``Provider``: picks the adapter for its kind
and reads its key from the environment variable the config names (never from a file)."""

from __future__ import annotations

from scribe_tui.config import ProviderConfig
from scribe_tui.glossary import Glossary
from scribe_tui.providers.base import Provider, ProviderUnavailable


def _require_key(name: str, config: ProviderConfig) -> str:
    if not config.api_key_env:
        raise ProviderUnavailable(f"provider {name!r} ({config.kind}) has no api_key_env configured", provider=name)
    key = config.api_key()
    if key is None:
        raise ProviderUnavailable(
            f"environment variable {config.api_key_env} is not set (needed by provider {name!r}, kind {config.kind})",
            provider=name)
    return key


def build_provider(name: str, config: ProviderConfig, *, base_url_override: str | None = None,
                   glossary: Glossary | None = None) -> Provider:
    """The adapter for ``config.kind``. ``base_url_override`` points it elsewhere (a simulator);
    the demo kind requires it: the URL of its running simulator (see ``start_demo_backend``).
    ``glossary`` is the user's whole glossary (DeepL makes real glossaries from it; the other
    kinds take each chunk's terms from the request)."""
    if config.kind == "demo":
        if not base_url_override:
            raise ProviderUnavailable(f"demo provider {name!r} needs its simulator's URL (start_demo_backend)", provider=name)
        from scribe_tui.providers.demo import demo_provider

        return demo_provider(name, config, base_url_override)
    if config.kind == "openai":
        from scribe_tui.providers.openai_compat import OpenAICompatibleProvider

        key = _require_key(name, config) if config.api_key_env else None  # api_key_env = "": a keyless local server
        return OpenAICompatibleProvider(name, config, key, base_url=base_url_override)
    if config.kind == "deepl":
        from scribe_tui.providers.deepl import DeepLProvider

        return DeepLProvider(name, config, _require_key(name, config), base_url=base_url_override, glossary=glossary)
    if config.kind == "microsoft":
        from scribe_tui.providers.microsoft import MicrosoftProvider

        return MicrosoftProvider(name, config, _require_key(name, config), base_url=base_url_override)
    raise ProviderUnavailable(f"provider {name!r} has unknown kind {config.kind!r}", provider=name)
