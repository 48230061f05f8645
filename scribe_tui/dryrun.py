"""``--dry-run``: what a batch would cost and how long the configured limits make it take,
computed from the documents alone — nothing is enqueued and no provider is called."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scribe_tui.context import CommandContext
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
    bound_s, quotas = 0.0, []
    for limit in config.limits:
        amount = units[limit.kind]
        windows = amount / limit.amount
        bound_s = max(bound_s, max(0.0, math.ceil(windows) - 1) * limit.span_s if limit.is_quota else windows * limit.span_s)
        if limit.is_quota:
            quotas.append({"limit": str(limit), "needed": amount, "fits": amount <= limit.amount,
                           "windows_needed": math.ceil(windows)})
    latency = (config.latency_ms / 1000) if config.kind == "demo" else None
    if latency:
        bound_s = max(bound_s, requests * latency / config.max_concurrency)
    return {"provider": provider_name, "kind": config.kind, "model": config.model, "requests": requests,
            "tokens_in": tokens_in, "tokens_out_estimate": tokens_out, "characters": characters,
            "cost_usd": round(cost, 4), "time_bound_s": round(bound_s, 1), "quotas": quotas}


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
              f" est. ${plan['cost_usd']:.4f}; the limits allow it in ≥ {plan['time_bound_s']:.0f}s", file=out)
        for quota in plan["quotas"]:
            verdict = "fits" if quota["fits"] else f"does NOT fit: needs {quota['windows_needed']} windows"
            print(f"    quota {quota['limit']}: needs {quota['needed']} → {verdict}", file=out)
    for path, reason in corpus["errors"]:
        print(f"  cannot read {path}: {reason}", file=out)
    return EXIT_OK
