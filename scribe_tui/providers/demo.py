"""The ``demo`` provider kind: an OpenAI-compatible provider pointed at a built-in simulator
running in its own process on loopback — offline, free, with the latency, limits and
failure rate the provider's config asks for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scribe_tui.config import ProviderConfig
from scribe_tui.simulator import SimulatorConfig, SimulatorProcess, spread_fail_rate, start_simulator_process

if TYPE_CHECKING:  # the supervisor starts demo backends without loading the openai SDK
    from scribe_tui.providers.openai_compat import OpenAICompatibleProvider

DEMO_API_KEY = "demo-key"


def simulator_config_for(config: ProviderConfig) -> SimulatorConfig:
    """The simulator a demo provider talks to: its latency, its ``server_limits`` (else its
    ``limits``) and its ``fail_rate`` spread over 500, 503, dropped and malformed replies."""
    limits = config.server_limits if config.server_limits is not None else config.limits
    return SimulatorConfig(latency_ms=config.latency_ms, jitter_ms=config.jitter_ms, limits=tuple(limits),
                           **spread_fail_rate(config.fail_rate))


def start_demo_backend(config: ProviderConfig) -> SimulatorProcess:
    """Start the simulator for a demo provider on a free loopback port (stop it when done)."""
    return start_simulator_process(simulator_config_for(config))


def openai_base_url(simulator_url: str) -> str:
    url = simulator_url.rstrip("/")
    return url if url.endswith("/v1") else f"{url}/v1"


def demo_provider(name: str, config: ProviderConfig, simulator_url: str) -> OpenAICompatibleProvider:
    """The provider half of the demo: OpenAI-compatible, at ``<simulator>/v1``, dummy key."""
    from scribe_tui.providers.openai_compat import OpenAICompatibleProvider

    return OpenAICompatibleProvider(name, config, DEMO_API_KEY, base_url=openai_base_url(simulator_url))
