"""``--dry-run``: what a batch would cost and how long the configured limits make it take,
computed from the documents alone — nothing is enqueued and no provider is called."""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scribe_tui.context import CommandContext
from scribe_tui.durations import human_duration
from scribe_tui.limits.pace import Work, expected, lower_bound
from scribe_tui.errors import EXIT_OK, DocumentError

# The prompt around each chunk (instructions, language, context framing), in tokens.
PROMPT_OVERHEAD_TOKENS = 80


def estimate_corpus(ctx: CommandContext, paths: Sequence[Path]) -> dict[str, Any]:
    from scribe_tui.documents import discover, estimate_tokens
    from scribe_tui.engine.intake import chunk_specs, read_source

    discovery = discover(list(paths), require_files=True)
    documents = chunks = tokens_in = characters = 0
    errors = []
    for source in discovery.files:
        try:
            document, _ = read_source(source.path, ctx.settings)
        except DocumentError as exc:
            errors.append((str(source.path), str(exc)))
            continue
        specs = chunk_specs(document, ctx.settings)
        documents += 1
        chunks += len(specs)
        for spec in specs:
            tokens_in += spec.token_estimate + estimate_tokens(spec.context) + PROMPT_OVERHEAD_TOKENS
            characters += len(spec.text)
    return {"documents": documents, "chunks": chunks, "tokens_in": tokens_in, "characters": characters,
            "skipped": len(discovery.skipped), "errors": errors}


def plan_for(ctx: CommandContext, provider_name: str, corpus: dict[str, Any], languages: int) -> dict[str, Any]:
    config = ctx.settings.provider(provider_name)
    requests = corpus["chunks"] * languages
    tokens_in = corpus["tokens_in"] * languages
    tokens_out = int(corpus["tokens_in"] * languages * 0.9)  # replies run about as long as the text
    characters = corpus["characters"] * languages
    price = config.price()
    cost = (tokens_in * price.input_per_million_tokens + tokens_out * price.output_per_million_tokens
            + characters * price.per_million_characters) / 1_000_000
    units = {"requests": requests, "tokens": tokens_in + tokens_out, "characters": characters}
    quota_s, quotas = 0.0, []
    for limit in config.limits:
        if limit.span_s >= config.quota_from_s:
            periods = math.ceil(units[limit.kind] / limit.amount)
            quota_s = max(quota_s, max(0, periods - 1) * limit.span_s)
            quotas.append({"limit": str(limit), "needed": units[limit.kind], "fits": units[limit.kind] <= limit.amount,
                           "windows_needed": periods})
    work = Work(requests=requests, tokens=tokens_in + tokens_out, characters=characters)
    latency = latency_of(ctx, provider_name, config)
    bound = lower_bound(config, work, min_latency_s=latency.minimum)
    guess = expected(config, work, latency_s=latency.typical)
    bound_s = max(bound.seconds, quota_s)
    return {"provider": provider_name, "kind": config.kind, "model": config.model, "requests": requests,
            "tokens_in": tokens_in, "tokens_out_estimate": tokens_out, "characters": characters,
            "cost_usd": round(cost, 4), "time_bound_s": round(bound_s, 1),
            "expected_s": round(max(guess.seconds, bound_s), 1) if latency.typical is not None else None,
            "binding": guess.binding or bound.binding, "latency_s": latency.typical, "latency_source": latency.source,
            "quotas": quotas}


@dataclass(frozen=True)
class Latency:
    minimum: float | None  # the fastest a reply comes (for the lower bound)
    typical: float | None  # what a reply usually takes (for the expected time)
    source: str  # "configured" (demo) | "measured" (this data dir's last day) | "unknown"


def latency_of(ctx: CommandContext, provider_name: str, config: Any) -> Latency:
    """The demo's configured latency, else the median this data directory measured over the last
    day (read only if a store exists: a dry run creates nothing)."""
    if config.kind == "demo":
        return Latency(max(0.0, config.latency_ms - config.jitter_ms) / 1000, config.latency_ms / 1000, "configured")
    if (ctx.data_dir / "jobs.db").exists():
        measured = ctx.store.metrics_summary(time.time() - 86_400, provider_name).get(provider_name, {})
        if measured.get("latency_p50_ms"):
            return Latency(None, measured["latency_p50_ms"] / 1000, "measured")
    return Latency(None, None, "unknown")


def _span(seconds: float) -> str:
    return f"{seconds:.1f}s" if seconds < 60 else human_duration(seconds)


def time_line(plan: dict[str, Any]) -> str:
    """Expected time and the lower bound, separately, and what binds."""
    bound = f"no run can take less than {_span(plan['time_bound_s'])}"
    binding = f"limited by {plan['binding']}" if plan["binding"] else ""
    if plan["expected_s"] is None:
        return f"time: {bound}" + (f" ({binding})" if binding else "") + \
            "; expected time unknown until replies are measured (latency unknown)"
    source = "configured" if plan["latency_source"] == "configured" else "measured"
    return (f"time: expected {_span(plan['expected_s'])} at {plan['latency_s']:.2f} s a reply ({source})"
            + (f", {binding}" if binding else "") + f"; {bound}")


def dry_run(ctx: CommandContext, paths: Sequence[Path], languages: list[str], *, provider: str | None,
            as_json: bool) -> int:
    corpus = estimate_corpus(ctx, paths)
    plans = [plan_for(ctx, name, corpus, len(languages)) for name in ctx.settings.providers_for(provider)]
    report = {"languages": languages, **corpus, "plans": plans}
    if as_json:
        print(json.dumps(report))
        return EXIT_OK
    out = sys.stdout
    print(f"{corpus['documents']} document(s), {corpus['chunks']} chunk(s), ~{corpus['tokens_in']} input tokens"
          f" per language, into {', '.join(languages)}", file=out)
    for plan in plans:
        print(f"  {plan['provider']} ({plan['kind']}, {plan['model']}): {plan['requests']} requests,"
              f" ~{plan['tokens_in'] + plan['tokens_out_estimate']} tokens, ~{plan['characters']} characters,"
              f" est. ${plan['cost_usd']:.4f}", file=out)
        print(f"    {time_line(plan)}", file=out)
        for quota in plan["quotas"]:
            verdict = "fits" if quota["fits"] else f"does NOT fit: needs {quota['windows_needed']} windows"
            print(f"    quota {quota['limit']}: needs {quota['needed']} → {verdict}", file=out)
    for path, reason in corpus["errors"]:
        print(f"  cannot read {path}: {reason}", file=out)
    return EXIT_OK
