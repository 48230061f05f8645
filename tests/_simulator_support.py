"""Helpers for the simulator and provider tests: request bodies and a running simulator."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scribe_tui.providers.base import TranslationRequest
from scribe_tui.prompt import build_messages
from scribe_tui.simulator import SimulatorConfig, SimulatorServer

API_KEY = "sim-key-123"


def chat_body(text: str, lang: str = "he", context: str = "", model: str = "demo-pseudo") -> dict[str, Any]:
    messages = build_messages(TranslationRequest(text=text, target_language=lang, context=context))
    return {"model": model, "messages": messages}


def running_simulator(config: SimulatorConfig | None = None) -> Iterator[SimulatorServer]:
    """Generator for a module-scoped fixture; tests call ``reset()`` to start from scratch."""
    server = SimulatorServer(config or SimulatorConfig()).start()
    try:
        yield server
    finally:
        server.stop()


def last_request(server: SimulatorServer) -> dict[str, Any]:
    recent = server.stats()["recent_requests"]
    assert recent, "the simulator recorded no request"
    return recent[-1]


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorServer]:
    yield from running_simulator()


@pytest.fixture()
def sim(simulator: SimulatorServer) -> SimulatorServer:
    """The module's simulator, reset to its starting config with empty counters."""
    simulator.reset()
    return simulator


KEY_ENV = "SCRIBE_TEST_SIM_KEY"


def provider_for(kind: str, server: SimulatorServer, monkeypatch: pytest.MonkeyPatch, *, key: str = API_KEY,
                 **config: Any) -> Any:
    """A provider of ``kind`` built by the registry, pointed at ``server``, key from the env."""
    from scribe_tui.config import ProviderConfig
    from scribe_tui.providers.registry import build_provider

    monkeypatch.setenv(KEY_ENV, key)
    base = f"{server.url}/v1" if kind == "openai" else server.url
    glossary = config.pop("glossary", None)
    provider_config = ProviderConfig(kind=kind, api_key_env=KEY_ENV, **config)  # type: ignore[arg-type]
    return build_provider(f"{kind}-test", provider_config, base_url_override=base, glossary=glossary)
