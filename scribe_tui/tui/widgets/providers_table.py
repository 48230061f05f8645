"""The Providers table: circuit state, the adaptive concurrency cap, how much of each rate
limit is used, 429s, latency p50/p95 and spend per provider."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from scribe_tui.engine.api import ProviderInfo
from scribe_tui.tui import formatting
from scribe_tui.tui.widgets.keyed_table import Column, KeyedTable, Row

CIRCUIT_TONES = {"closed": "ok", "half_open": "warning", "open": "error", "disabled": "dead"}


def limit_usage(provider: ProviderInfo) -> str:
    """``150000 tokens/minute 92% · 600/minute 41%``: the most used limit, the one that binds, first."""
    used_share = sorted(provider.limit_usage, key=lambda limit: -(limit[1] / limit[2] if limit[2] else 0))
    parts = [f"{text} {100 * used / amount:.0f}%" if amount else f"{text} {used}" for text, used, amount in used_share]
    return " · ".join(parts) or "no limits"


def concurrency(provider: ProviderInfo) -> str:
    """``6/32``: requests allowed in flight now, of the configured maximum."""
    if not provider.max_concurrency:
        return "-"
    return f"{provider.concurrency_cap}/{provider.max_concurrency}"


def cap_tone(provider: ProviderInfo) -> str | None:
    """The cap is a warning while the adaptive limiter holds it below the configured maximum."""
    return "warning" if provider.max_concurrency and provider.concurrency_cap < provider.max_concurrency else None


def provider_cells(provider: ProviderInfo, circuit: Text, cap: Text) -> tuple:
    return (
        provider.name,
        circuit,
        cap,
        limit_usage(provider),
        formatting.count(provider.requests),
        formatting.count(provider.rate_limited),
        formatting.millis(provider.latency_p50_ms),
        formatting.millis(provider.latency_p95_ms),
        formatting.usd(provider.cost_usd),
    )


class ProvidersTable(KeyedTable):
    COLUMNS = (
        Column("provider", "provider", 8, grow=1),
        Column("circuit", "circuit", 9),
        Column("cap", "cap", 5, drop=4),
        Column("limit usage", "limits", 16, grow=5),
        Column("reqs", "requests", 5),
        Column("429s", "rate_limited", 4),
        Column("p50", "p50", 6, drop=2),
        Column("p95", "p95", 6, drop=1),
        Column("spend", "spend", 7, drop=3),
    )

    def show(self, providers: Sequence[ProviderInfo]) -> bool:
        rows: list[Row] = [(p.name, provider_cells(p, self.toned(p.circuit, CIRCUIT_TONES.get(p.circuit)),
                                                   self.toned(concurrency(p), cap_tone(p))))
                           for p in providers]
        return self.sync(rows)
