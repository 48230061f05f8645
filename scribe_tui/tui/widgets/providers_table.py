"""The Providers table: circuit state, how much of each rate limit is used, 429s, latency
p50/p95 and spend per provider."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from scribe_tui.engine.api import ProviderInfo
from scribe_tui.tui import formatting
from scribe_tui.tui.widgets.keyed_table import Column, KeyedTable, Row

LIMITS_WIDTH = 26
CIRCUIT_TONES = {"closed": "ok", "half_open": "warning", "open": "error", "disabled": "dead"}


def limit_usage(provider: ProviderInfo) -> str:
    """``600/minute 41% · 150000 tokens/minute 12%``."""
    parts = []
    for text, used, amount in provider.limit_usage:
        share = f"{100 * used / amount:.0f}%" if amount else f"{used}"
        parts.append(f"{text} {share}")
    return " · ".join(parts) or "no limits"


def provider_cells(provider: ProviderInfo, circuit: Text) -> tuple:
    return (
        provider.name,
        circuit,
        formatting.one_line(limit_usage(provider), LIMITS_WIDTH),
        formatting.count(provider.requests),
        formatting.count(provider.rate_limited),
        formatting.millis(provider.latency_p50_ms),
        formatting.millis(provider.latency_p95_ms),
        formatting.usd(provider.cost_usd),
    )


class ProvidersTable(KeyedTable):
    COLUMNS = (
        Column("provider", "provider", 8),
        Column("circuit", "circuit", 9),
        Column("limit usage", "limits", LIMITS_WIDTH),
        Column("reqs", "requests", 5),
        Column("429s", "rate_limited", 4),
        Column("p50", "p50", 6),
        Column("p95", "p95", 6),
        Column("spend", "spend", 7),
    )

    def show(self, providers: Sequence[ProviderInfo]) -> bool:
        rows: list[Row] = [(p.name, provider_cells(p, self.toned(p.circuit, CIRCUIT_TONES.get(p.circuit))))
                           for p in providers]
        return self.sync(rows)
