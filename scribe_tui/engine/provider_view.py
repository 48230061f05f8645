"""The engine's view of each provider's shared state (written by the limits layer in any
process): when it can be used again, why not, and how many requests it may have in flight
(the adaptive concurrency cap)."""

from __future__ import annotations

import math
import time
from pathlib import Path

from scribe_tui.config import Settings

REFRESH_S = 0.05  # the concurrency cap must reach dispatch quickly (limits/adaptive.py)


class ProviderView:
    def __init__(self, settings: Settings, data_dir: Path):
        self.settings = settings
        self.data_dir = data_dir
        self._states: dict = {}
        self._read_at = 0.0
        self._parked: dict[str, tuple[float, str]] = {}

    def _refresh(self) -> dict:
        now = time.monotonic()
        if now - self._read_at > REFRESH_S:
            from scribe_tui.limits.provider_state import read_provider_states

            self._states = read_provider_states(self.data_dir, self.settings.store_url)
            self._read_at = now
        return self._states

    def invalidate(self) -> None:
        self._read_at = 0.0

    def note_blocked(self, provider: str, until: float, reason: str) -> None:
        """Remember a parked quota or open circuit a worker reported, for routing."""
        if until > self._parked.get(provider, (0.0, ""))[0]:
            self._parked[provider] = (until, reason)

    def blocked_until(self, now: float | None = None) -> dict[str, float]:
        now = time.time() if now is None else now
        states = self._refresh()
        blocked = {}
        for name in self.settings.providers:
            until = 0.0
            state = states.get(name)
            if state is not None:
                if state.disabled_reason:
                    until = math.inf
                elif state.circuit == "open" and state.open_until > now:
                    until = state.open_until
                elif state.paused_until > now:
                    until = state.paused_until
            parked_until, _ = self._parked.get(name, (0.0, ""))
            blocked[name] = max(until, parked_until if parked_until > now else 0.0)
        return blocked

    def concurrency_cap(self, provider: str) -> int:
        """The provider's adaptive cap on requests in flight, across all workers."""
        from scribe_tui.limits.adaptive import current_cap

        config = self.settings.providers[provider]
        state = self._refresh().get(provider)
        return config.max_concurrency if state is None else current_cap(state, config.max_concurrency)

    def reason(self, provider: str, now: float | None = None) -> str:
        now = time.time() if now is None else now
        state = self._refresh().get(provider)
        if state is not None and state.disabled_reason:
            return state.disabled_reason  # a sentence that names the provider (limits/lane.py)
        parked_until, parked_reason = self._parked.get(provider, (0.0, ""))
        if parked_until > now:
            return parked_reason or "quota_parked"
        if state is not None and state.circuit == "open":
            return "circuit_open"
        if state is not None and state.paused_until > now:
            return "rate_limited"
        return "unavailable"

    def disabled(self, provider: str) -> bool:
        state = self._refresh().get(provider)
        return bool(state is not None and state.disabled_reason)

    def any_paused(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return any(0 < until for until in self.blocked_until(now).values())
