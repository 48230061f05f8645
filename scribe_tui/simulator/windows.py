"""True sliding-window limits for the simulator: at most ``amount`` units of a kind in ANY
window of ``span_s`` seconds, counted from the admission times of the requests themselves.

A refused request is not counted. ``LimitSet.admit`` checks every limit first and records
the request in all of them only when all admit it, so limits never drift apart.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scribe_tui.limit_spec import RateLimit


@dataclass(frozen=True)
class Decision:
    admitted: bool
    limit: RateLimit | None = None  # the limit that refused (the longest wait), if any
    retry_after_s: float = 0.0

    @property
    def is_quota(self) -> bool:
        return self.limit is not None and self.limit.is_quota


class SlidingWindow:
    """Admission log of one limit: (time, weight) pairs younger than the span."""

    def __init__(self, limit: RateLimit):
        self.limit = limit
        self._events: deque[tuple[float, int]] = deque()
        self._used = 0

    def _expire(self, now: float) -> None:
        horizon = now - self.limit.span_s
        events = self._events
        while events and events[0][0] <= horizon:
            self._used -= events.popleft()[1]

    def used(self, now: float) -> int:
        self._expire(now)
        return self._used

    def wait_for(self, weight: int, now: float) -> float:
        """Seconds until ``weight`` more units fit (0 now, ``inf`` never)."""
        if weight > self.limit.amount:
            return math.inf
        excess = self.used(now) + weight - self.limit.amount
        if excess <= 0:
            return 0.0
        freed = 0
        for stamp, amount in self._events:
            freed += amount
            if freed >= excess:
                return max(stamp + self.limit.span_s - now, 0.0)
        return self.limit.span_s  # unreachable: the log holds more than the excess

    def record(self, weight: int, now: float) -> None:
        if weight > 0:
            self._events.append((now, weight))
            self._used += weight

    def reset_in(self, now: float) -> float:
        """Seconds until the window is empty again, its newest admission gone (0 when empty):
        OpenAI's ``x-ratelimit-reset-*``, "the time until the rate limit resets to its
        initial state"."""
        self._expire(now)
        return max(self._events[-1][0] + self.limit.span_s - now, 0.0) if self._events else 0.0


def _severity(wait: float, limit: RateLimit) -> tuple[bool, float]:
    """A spent quota outranks a busy window; then the longer wait wins."""
    return (limit.is_quota, wait)


class LimitSet:
    """All the limits of a simulator, checked and recorded together."""

    def __init__(self, limits: Iterable[RateLimit]):
        self.windows = [SlidingWindow(limit) for limit in limits]

    def admit(self, weights: Mapping[str, int], now: float) -> Decision:
        """Admit a request weighing ``weights[kind]`` units of each kind, or say how long to wait."""
        worst: tuple[float, RateLimit] | None = None
        for window in self.windows:
            weight = weights.get(window.limit.kind, 0)
            if weight <= 0:
                continue
            wait = window.wait_for(weight, now)
            if wait > 0 and (worst is None or _severity(wait, window.limit) > _severity(*worst)):
                worst = (wait, window.limit)
        if worst is not None:
            wait, limit = worst
            return Decision(False, limit, limit.span_s if math.isinf(wait) else wait)
        for window in self.windows:
            window.record(weights.get(window.limit.kind, 0), now)
        return Decision(True)

    def status(self, kind: str, now: float) -> tuple[RateLimit, int, float] | None:
        """(tightest limit, units remaining, seconds to reset) for the rate-limit headers."""
        best: tuple[RateLimit, int, float] | None = None
        for window in self.windows:
            if window.limit.kind != kind:
                continue
            remaining = max(window.limit.amount - window.used(now), 0)
            if best is None or remaining < best[1]:
                best = (window.limit, remaining, window.reset_in(now))
        return best

    def used(self, kind: str, now: float) -> int:
        """Units of ``kind`` used in the longest window of that kind (for DeepL's /v2/usage)."""
        windows = [window for window in self.windows if window.limit.kind == kind]
        if not windows:
            return 0
        return max(windows, key=lambda window: window.limit.span_s).used(now)
