"""``scribe-tui metrics [--provider P] [--period 1h]``: requests, 429s, retries, latency
p50/p95, tokens, characters and cost per provider over a period, from the store's metrics."""

from __future__ import annotations

import argparse
import re
import time
from typing import Any

from scribe_tui.arguments import add_common_options
from scribe_tui.commands.common import command_context
from scribe_tui.commands.output import Column, fmt_cost, fmt_int, fmt_ms, print_json, render_table, terminal_width
from scribe_tui.durations import human_duration
from scribe_tui.errors import EXIT_OK, UsageError

PERIOD_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PERIOD_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$", re.IGNORECASE)
SUMMARY_FIELDS = ("requests", "ok", "cached", "rate_limited", "errors", "retries", "latency_p50_ms",
                  "latency_p95_ms", "tokens_in", "tokens_out", "characters", "cost_usd")
_ADDITIVE = ("requests", "ok", "cached", "rate_limited", "errors", "retries", "tokens_in", "tokens_out", "characters", "cost_usd")


def parse_period(text: str) -> float:
    """``30m``, ``1h``, ``2d``, ``7d``, ``90s``, ``1w`` → seconds; UsageError otherwise."""
    match = _PERIOD_RE.match(text or "")
    if not match:
        raise UsageError(f"--period: cannot read {text!r}; use a number and a unit s, m, h, d or w, e.g. 30m, 1h, 7d")
    seconds = float(match[1]) * PERIOD_UNITS[match[2].lower()]
    if seconds <= 0:
        raise UsageError(f"--period: {text!r} must be longer than zero")
    return seconds


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--provider", dest="provider_filter", metavar="NAME", help="only this provider (may be one no longer configured)")
    p.add_argument("--period", default="1h", metavar="SPAN", help="how far back: 30m, 1h, 2d, 7d (default 1h)")
    add_common_options(p)


def run(args: argparse.Namespace) -> int:
    period_s = parse_period(args.period)
    since = time.time() - period_s
    with command_context(args) as ctx:
        summary = ctx.store.metrics_summary(since, provider=args.provider_filter)
    report = build_report(summary, period_s=period_s, since=since, provider=args.provider_filter)
    if ctx.json:
        print_json(report)
    else:
        print(render_report(report))
    return EXIT_OK


def _normalised(stats: dict[str, Any]) -> dict[str, Any]:
    return {name: stats.get(name) if name.startswith("latency") else (stats.get(name) or 0) for name in SUMMARY_FIELDS}


def totals(providers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {name: 0 for name in _ADDITIVE}
    for stats in providers.values():
        for name in _ADDITIVE:
            total[name] += stats.get(name) or 0
    total["cost_usd"] = round(total["cost_usd"], 6)
    return total


def build_report(summary: dict[str, dict[str, Any]], *, period_s: float, since: float, provider: str | None) -> dict[str, Any]:
    providers = {name: _normalised(stats) for name, stats in sorted(summary.items())}
    return {"period_s": period_s, "since": since, "provider": provider, "providers": providers, "total": totals(providers)}


def render_report(report: dict[str, Any]) -> str:
    header = f"Provider metrics over the last {human_duration(report['period_s'])}"
    if report["provider"]:
        header += f" (provider {report['provider']})"
    if not report["providers"]:
        return header + "\n\nno requests recorded in this period"
    columns = [Column("provider"), Column("requests", "right"), Column("ok", "right"), Column("cached", "right"),
               Column("429s", "right"), Column("errors", "right"), Column("retries", "right"),
               Column("p50", "right"), Column("p95", "right"), Column("tokens in", "right"),
               Column("tokens out", "right"), Column("chars", "right"), Column("cost", "right")]
    rows = [_row(name, stats) for name, stats in report["providers"].items()]
    if len(rows) > 1:
        rows.append(_row("total", {**report["total"], "latency_p50_ms": None, "latency_p95_ms": None}))
    return header + "\n\n" + render_table(columns, rows, width=terminal_width())


def _row(name: str, s: dict[str, Any]) -> list[str]:
    return [name, fmt_int(s["requests"]), fmt_int(s["ok"]), fmt_int(s["cached"]), fmt_int(s["rate_limited"]),
            fmt_int(s["errors"]), fmt_int(s["retries"]), fmt_ms(s["latency_p50_ms"]), fmt_ms(s["latency_p95_ms"]),
            fmt_int(s["tokens_in"]), fmt_int(s["tokens_out"]), fmt_int(s["characters"]), fmt_cost(s["cost_usd"])]
