"""From configured limits to the rate lists a pyrate-limiter bucket accepts.

Units. pyrate-limiter stores one row per unit of weight, so tokens and characters are
counted in coarse units: one row stands for ``unit`` tokens (or characters). A request's
weight is rounded **up** (``ceil(n / unit)``) and each limit is rounded **down**
(``amount // unit``), so the layer can only over-count, never under-count: at most
``unit - 1`` per request too many. ``unit`` is 100 when every limit of the kind is at least
10,000, 10 when at least 1,000, else 1. Requests always count 1 each.

Windows are not widened by any margin: the delay between our admission and the server's
count is covered by holding each request's rows until its reply arrives (see holds.py).

Sliding windows and quotas. Limits whose span is at least ``quota_from_s`` (a day by default)
are quotas: fixed calendar periods counted in quotas.py, not rows in a bucket. The rest are
sliding windows in a pyrate-limiter bucket (``rates``).

Shape. A bucket's rates must have strictly increasing spans and amounts, and amount per span
must not increase. Configured lists are made to fit without ever loosening a limit: equal
spans keep the smaller amount; a shorter limit that a longer one already implies is dropped;
a longer limit whose rate would exceed the shorter one's is tightened to it (the shorter one
already implies that bound when the spans divide evenly).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from math import ceil

from scribe_tui.limit_spec import LimitKind, RateLimit

KINDS: tuple[LimitKind, ...] = ("requests", "tokens", "characters")
QUOTA_FROM_S = 86_400.0


@dataclass(frozen=True)
class KindPlan:
    """One limit kind of one provider, ready for a bucket."""

    kind: LimitKind
    unit: int
    rates: tuple[tuple[int, int], ...]  # (span_ms, amount in units) of the sliding windows, valid for one bucket
    limits: tuple[RateLimit, ...]  # the sliding-window limits as configured (after any per-process division)
    quotas: tuple[RateLimit, ...] = ()  # the quota limits (exact amounts, after any division)

    @property
    def table(self) -> str:
        return f"{self.kind}_u{self.unit}"

    def window_texts(self) -> list[str]:
        """How each of ``rates`` reads: the configured limit it came from ("30/minute"), or the
        tightened rate when normalising made one up."""
        by_rate = {(max(limit.span_ms, 1), max(1, limit.amount // self.unit)): str(limit) for limit in self.limits}
        return [by_rate.get(rate, f"{rate[1] * self.unit} {self.kind}/{rate[0] / 1000:g}s") for rate in self.rates]

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


def plan_kind(kind: LimitKind, limits: list[RateLimit], divisor: int = 1,
              quota_from_s: float = QUOTA_FROM_S) -> KindPlan | None:
    """The plan for ``kind``, or None when no limit of that kind is configured. ``divisor``
    splits every amount between that many processes (rounded down, at least 1)."""
    mine = [_divided(limit, divisor) for limit in limits if limit.kind == kind]
    if not mine:
        return None
    sliding = tuple(limit for limit in mine if limit.span_s < quota_from_s)
    quotas = tuple(_smallest_per_span(limit for limit in mine if limit.span_s >= quota_from_s))
    unit = unit_for(kind, [limit.amount for limit in sliding])
    pairs = [(max(limit.span_ms, 1), max(1, limit.amount // unit)) for limit in sliding]
    return KindPlan(kind=kind, unit=unit, rates=tuple(normalise_rates(pairs)), limits=sliding, quotas=quotas)


def _smallest_per_span(limits: Iterable[RateLimit]) -> list[RateLimit]:
    """One quota per span (the strictest): a period has one counter."""
    by_span: dict[float, RateLimit] = {}
    for limit in limits:
        if limit.span_s not in by_span or limit.amount < by_span[limit.span_s].amount:
            by_span[limit.span_s] = limit
    return sorted(by_span.values(), key=lambda limit: limit.span_s)


def _divided(limit: RateLimit, divisor: int) -> RateLimit:
    if divisor <= 1:
        return limit
    amount = max(1, limit.amount // divisor)
    return RateLimit(kind=limit.kind, span_s=limit.span_s, amount=amount, text=_divided_text(limit, amount, divisor))


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

