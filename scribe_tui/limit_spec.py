"""Limit strings from the configuration (``"500/minute"``, ``"150000 tokens/minute"``,
``"500000 characters/month"``, ``"60/10s"``) parsed into typed, immutable rates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

LimitKind = Literal["requests", "tokens", "characters"]

UNIT_SECONDS: dict[str, float] = {
    "s": 1, "sec": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "month": 30 * 86400, "months": 30 * 86400,
}

_KIND_WORDS: dict[str, LimitKind] = {
    "": "requests", "request": "requests", "requests": "requests", "req": "requests",
    "token": "tokens", "tokens": "tokens",
    "character": "characters", "characters": "characters", "chars": "characters",
}

_LIMIT_RE = re.compile(
    r"^\s*(?P<amount>\d[\d_,]*)\s*(?P<kind>[a-z]*)\s*/\s*(?P<count>\d+(?:\.\d+)?)?\s*(?P<unit>[a-z]+)\s*$"
)


@dataclass(frozen=True, order=True)
class RateLimit:
    """At most ``amount`` units of ``kind`` in any window of ``span_s`` seconds."""

    kind: LimitKind
    span_s: float
    amount: int
    text: str = ""

    @property
    def span_ms(self) -> int:
        return int(self.span_s * 1000)

    @property
    def per_second(self) -> float:
        return self.amount / self.span_s

    @property
    def is_quota(self) -> bool:
        """Long windows (a day or more) behave as quotas: when spent, work is parked."""
        return self.span_s >= 86400

    def __str__(self) -> str:
        return self.text or f"{self.amount} {self.kind}/{self.span_s:g}s"


def parse_limit(text: str) -> RateLimit:
    """Parse one limit string; raise ``ValueError`` naming what is wrong."""
    if not isinstance(text, str):
        raise ValueError(f"limit must be a string like '500/minute', got {text!r}")
    match = _LIMIT_RE.match(text.lower())
    if not match:
        raise ValueError(
            f"cannot read limit {text!r}: expected 'N/UNIT', 'N tokens/UNIT' or 'N characters/UNIT' "
            "with UNIT second, minute, hour, day, month or a span like 10s, 5m"
        )
    kind_word = match["kind"]
    if kind_word not in _KIND_WORDS:
        raise ValueError(f"limit {text!r}: unknown kind {kind_word!r} (use requests, tokens or characters)")
    unit = match["unit"]
    if unit not in UNIT_SECONDS:
        raise ValueError(f"limit {text!r}: unknown unit {unit!r} (use second, minute, hour, day, month, or 10s, 5m)")
    amount = int(match["amount"].replace("_", "").replace(",", ""))
    count = float(match["count"]) if match["count"] else 1.0
    span = count * UNIT_SECONDS[unit]
    if amount <= 0 or span <= 0:
        raise ValueError(f"limit {text!r}: amount and span must be positive")
    return RateLimit(kind=_KIND_WORDS[kind_word], span_s=span, amount=amount, text=text.strip())
