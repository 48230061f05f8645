"""Counters a simulator keeps and serves as JSON on ``GET /_stats``.

Only API requests count (not the ``/_…`` control endpoints). Arrival times (every translation
call, when the server counts it, refused or not) and admission times (the calls the limits let
through) are ``time.monotonic()`` seconds (``now`` in the same clock is part of the report), so
a test can check what a client sent against a limit, and that no window held more admissions
than its limit. The last few requests are kept
with their bodies for prompt-contract checks; secret headers are redacted.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from typing import Any

from scribe_tui.simulator.http11 import Request

_SECRET_HEADERS = frozenset({"authorization", "ocp-apim-subscription-key", "api-key", "x-api-key"})


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    out = {}
    for name, value in headers.items():
        if name in _SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] + " " if name == "authorization" and " " in value else ""
            value = f"{scheme}<redacted>"
        out[name] = value
    return out


class SimulatorStats:
    """Mutable counters, touched only from the server's event loop."""

    def __init__(self, admissions_kept: int, requests_kept: int):
        self.started = time.monotonic()
        self.requests_total = 0
        self.per_endpoint: Counter[str] = Counter()
        self.per_status: Counter[int] = Counter()
        self.rate_limited = 0
        self.quota_exhausted = 0
        self.faults: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.admitted_total = 0
        self.characters = 0
        self.admissions: deque[float] = deque(maxlen=admissions_kept)
        self.arrivals: deque[float] = deque(maxlen=admissions_kept)
        self.refusals: deque[float] = deque(maxlen=admissions_kept)  # arrivals answered 429
        self.recent: deque[dict[str, Any]] = deque(maxlen=requests_kept)

    def begin(self, endpoint: str, request: Request) -> None:
        self.requests_total += 1
        self.per_endpoint[endpoint] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.recent.append({
            "endpoint": endpoint,
            "method": request.method,
            "target": request.target,
            "headers": redact_headers(request.headers),
            "body": request.body.decode("utf-8", "replace"),
        })

    def end(self, status: int | None) -> None:
        """``status`` None means the connection was dropped without a reply."""
        self.in_flight -= 1
        self.per_status["dropped" if status is None else status] += 1  # type: ignore[index]

    def arrived(self, now: float) -> None:
        self.arrivals.append(now)

    def admitted(self, now: float, characters: int) -> None:
        self.admissions.append(now)
        self.admitted_total += 1
        self.characters += characters

    def to_json(self) -> dict[str, Any]:
        return {
            "clock": "monotonic",
            "now": time.monotonic(),
            "uptime_s": time.monotonic() - self.started,
            "requests_total": self.requests_total,
            "per_endpoint": dict(self.per_endpoint),
            "per_status": {str(status): count for status, count in self.per_status.items()},
            "rate_limited": self.rate_limited,
            "quota_exhausted": self.quota_exhausted,
            "faults": dict(self.faults),
            "in_flight": self.in_flight,
            "max_in_flight": self.max_in_flight,
            "admitted": self.admitted_total,
            "characters": self.characters,
            "admissions": list(self.admissions),
            "arrivals": list(self.arrivals),
            "refusals": list(self.refusals),
            "recent_requests": list(self.recent),
        }
