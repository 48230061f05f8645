"""From configured limits to the rate lists a pyrate-limiter bucket accepts.

Units. pyrate-limiter stores one row per unit of weight, so tokens and characters are
counted in coarse units: one row stands for ``unit`` tokens (or characters). A request's
weight is rounded **up** (``ceil(n / unit)``) and each limit is rounded **down**
(``amount // unit``), so the layer can only over-count, never under-count: at most
``unit - 1`` per request too many. ``unit`` is 100 when every limit of the kind is at least
10,000, 10 when at least 1,000, else 1. Requests always count 1 each.

Margin. The server counts a request when it arrives; we count it when we admit it. The
delay in between varies (a new connection, a busy event loop, the network), so two admissions
exactly one window apart can arrive less than a window apart. Every window is therefore
widened by a fifth of its span, at most 250 ms: stricter, never looser (a per-minute limit
loses under 1 % of its throughput; a per-second one a sixth).

Shape. A bucket's rates must have strictly increasing spans and amounts, and amount per span
must not increase. Configured lists are made to fit without ever loosening a limit: equal
spans keep the smaller amount; a shorter limit that a longer one already implies is dropped;
a longer limit whose rate would exceed the shorter one's is tightened to it (the shorter one
already implies that bound when the spans divide evenly).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from scribe_tui.limit_spec import LimitKind, RateLimit

KINDS: tuple[LimitKind, ...] = ("requests", "tokens", "characters")
QUOTA_SPAN_MS = 86_400_000
MAX_WINDOW_MARGIN_MS = 250


@dataclass(frozen=True)
class KindPlan:
    """One limit kind of one provider, ready for a bucket."""

    kind: LimitKind
    unit: int
    rates: tuple[tuple[int, int], ...]  # (span_ms, amount in units), valid for one bucket
    limits: tuple[RateLimit, ...]  # as configured (after any per-process division)

    @property
    def table(self) -> str:
        return f"{self.kind}_u{self.unit}"

    def weight(self, amount: int) -> int:
        """Rows to insert for ``amount`` tokens/characters (rounded up); 1 per request."""
        if self.kind == "requests":
            return 1
        return ceil(max(amount, 0) / self.unit)


def unit_for(kind: LimitKind, amounts: list[int]) -> int:
    if kind == "requests" or not amounts:
        return 1
    smallest = min(amounts)
    if smallest >= 10_000:
        return 100
    if smallest >= 1_000:
        return 10
    return 1


def plan_kind(kind: LimitKind, limits: list[RateLimit], divisor: int = 1) -> KindPlan | None:
    """The bucket plan for ``kind``, or None when no limit of that kind is configured.
    ``divisor`` splits every amount between that many processes (rounded down, at least 1)."""
    mine = [limit for limit in limits if limit.kind == kind]
    if not mine:
        return None
    amounts = [max(1, limit.amount // max(divisor, 1)) for limit in mine]
    unit = unit_for(kind, amounts)
    pairs = [(widened_span_ms(limit.span_ms), max(1, amount // unit)) for limit, amount in zip(mine, amounts, strict=True)]
    divided = tuple(
        RateLimit(kind=limit.kind, span_s=limit.span_s, amount=amount, text=_divided_text(limit, amount, divisor))
        for limit, amount in zip(mine, amounts, strict=True)
    )
    return KindPlan(kind=kind, unit=unit, rates=tuple(normalise_rates(pairs)), limits=divided)


def widened_span_ms(span_ms: int) -> int:
    """The bucket's window for a limit of ``span_ms``: a little longer, to absorb the varying
    delay between our admission and the server's arrival clock."""
    span_ms = max(span_ms, 1)
    return span_ms + min(MAX_WINDOW_MARGIN_MS, span_ms // 5)


def _divided_text(limit: RateLimit, amount: int, divisor: int) -> str:
    if divisor <= 1:
        return str(limit)
    return f"{limit} (÷{divisor} per process: {amount})"


def normalise_rates(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(span_ms, amount) pairs → an equivalent-or-stricter list a bucket accepts."""
    by_span: dict[int, int] = {}
    for span, amount in pairs:
        if span <= 0 or amount <= 0:
            raise ValueError(f"span and amount must be positive, got {span} ms / {amount}")
        by_span[span] = min(amount, by_span.get(span, amount))
    out: list[tuple[int, int]] = []
    for span, amount in sorted(by_span.items()):
        while out:
            prev_span, prev_amount = out[-1]
            if amount <= prev_amount:  # the longer window already implies the shorter one
                out.pop()
                continue
            cap = prev_amount * span // prev_span  # the most the shorter rate lets through
            if amount > cap:
                amount = cap
                if amount <= prev_amount:
                    out.pop()
                    continue
            break
        out.append((span, amount))
    return out


def is_quota_span(span_ms: int) -> bool:
    return span_ms >= QUOTA_SPAN_MS
