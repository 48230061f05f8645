"""The operator commands the CLI dispatches to: ``jobs``, ``status``, ``progress``,
``metrics``, ``health``, ``gc``, ``qa``, ``simulate`` and ``store``, each a ``Command`` (name, help, register, run)."""

from __future__ import annotations

from scribe_tui.arguments import Command
from scribe_tui.commands import gc, health, jobs, metrics, progress, qa, simulate, status, store


def commands() -> dict[str, Command]:
    return {
        "jobs": Command("jobs", "list, retry or cancel jobs (works with or without a running supervisor)",
                        jobs.register, jobs.run),
        "status": Command("status", "queue counts by status and language, throughput, ETA and workers",
                          status.register, status.run),
        "progress": Command("progress", "one document's progress per language (by document id or path)",
                            progress.register, progress.run),
        "metrics": Command("metrics", "requests, 429s, retries, latency, tokens, characters and cost per provider",
                           metrics.register, metrics.run),
        "health": Command("health", "check config, store, cache, limiter storage, providers and supervisor (-v: details); exit 1 if unhealthy",
                          health.register, health.run),
        "gc": Command("gc", "purge finished jobs' translations, sources and old metrics (--dry-run, --older-than DAYS)",
                      gc.register, gc.run),
        "qa": Command("qa", "quality findings of finished jobs: all, one job, or one document or directory (--json)",
                      qa.register, qa.run),
        "simulate": Command("simulate", "run the demo translation server (OpenAI, DeepL, Microsoft dialects) on 127.0.0.1",
                            simulate.register, simulate.run),
        "store": Command("store", "store migrate --to postgresql://…: move this data dir's queue to a shared store",
                         store.register, store.run),
    }
