"""Which provider a chunk goes to: its job's provider, or a fallback when that one's circuit
is open, its quota parked or it is disabled; optionally round-robin among equals."""

from __future__ import annotations

import itertools
import math

from scribe_tui.config import Settings


class Router:
    def __init__(self, settings: Settings, usable: set[str]):
        self.settings = settings
        self.usable = usable  # providers this run can call (key present, demo started)
        self._turns: dict[str, itertools.cycle[str]] = {}

    def candidates(self, primary: str) -> list[str]:
        """The primary and its fallbacks (transitively), usable ones only, in order."""
        if primary not in self.settings.providers:
            return []
        return [name for name in self.settings.providers_for(primary) if name in self.usable]

    def choose(self, primary: str, blocked_until: dict[str, float], now: float) -> tuple[str | None, float]:
        """Return (provider, 0) to send now, or (None, until) when every candidate is blocked
        (``until`` = the earliest time one frees up; ``inf`` if all are disabled)."""
        names = self.candidates(primary)
        open_now = [n for n in names if blocked_until.get(n, 0.0) <= now]
        if open_now:
            if self.settings.engine.routing == "round_robin" and len(open_now) > 1:
                return self._next_turn(primary, open_now), 0.0
            return open_now[0], 0.0
        if not names:
            return None, math.inf
        return None, min(blocked_until.get(n, math.inf) for n in names)

    def _next_turn(self, primary: str, open_now: list[str]) -> str:
        cycle = self._turns.setdefault(primary, itertools.cycle(self.candidates(primary)))
        for _ in range(len(self.candidates(primary))):
            name = next(cycle)
            if name in open_now:
                return name
        return open_now[0]
