"""Throughput and ETA of the queue — the one arithmetic behind ``--batch`` progress, ``status``,
the TUI and the web page.

Rates are sliding windows (chunks done in the last 60 s, never "this clock minute"). The ETA
is not extrapolated from past throughput: it is the time the remaining chunks need under
each provider's binding limit (the limiter's own windows, ``limits/pace.py``) or its measured
latency × concurrency, whichever is slower, and it says which one binds ("limited by
30/minute"). While dispatch is paused there is no ETA (the clock is not counting). A provider
whose window is full says when its next slot opens ("waiting for 30/minute (next slot in 12 s)").
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scribe_tui.config import Settings
from scribe_tui.durations import human_duration
from scribe_tui.limits.bucket_files import window_rows
from scribe_tui.limits.pace import Window, Work, expected, windows
from scribe_tui.store import UNFINISHED_JOB_STATUSES

RATE_WINDOW_S = 60.0
LATENCY_WINDOW_S = 600.0


@dataclass(frozen=True)
class Outlook:
    chunks_per_min: float  # chunks done in the last RATE_WINDOW_S (sliding), per minute
    remaining: int  # chunks still to translate in unfinished jobs
    eta_s: float | None  # None: unknown, or paused
    binding: str  # what limits the ETA: "30/minute", "latency (0.50 s × 10 at a time)", ""
    paused: bool
    waiting: tuple[str, ...] = ()  # "waiting for 30/minute (next slot in 12 s)", one per full window

    def eta_text(self) -> str:
        if self.remaining == 0:
            return "ETA 0s (nothing left)"
        if self.paused:
            return "ETA - (paused)"
        if self.eta_s is None:
            return "ETA unknown (no limit or measured latency yet)"
        return f"ETA {human_duration(self.eta_s)}" + (f" (limited by {self.binding})" if self.binding else "")

    def to_json(self) -> dict[str, Any]:
        return {"chunks_per_min": round(self.chunks_per_min, 2), "remaining_chunks": self.remaining,
                "eta_s": None if self.eta_s is None else round(self.eta_s, 1), "binding": self.binding,
                "paused": self.paused, "waiting": list(self.waiting)}


def chunks_in_window(store: Any, now: float, window_s: float = RATE_WINDOW_S) -> int:
    """Chunks done (translated or from the cache) in the last ``window_s`` seconds."""
    buckets = store.throughput(now - window_s, window_s, now=now - 1e-6)
    return sum(chunks for _, chunks, _ in buckets)


def remaining_by_provider(store: Any, scope: set[int] | None = None) -> dict[str, int]:
    remaining: dict[str, int] = {}
    jobs = store.jobs(ids=scope) if scope is not None else \
        [job for status in UNFINISHED_JOB_STATUSES for job in store.jobs(status=status)]
    for job in jobs:
        if job.status in UNFINISHED_JOB_STATUSES:
            left = max(0, job.chunks_total - job.chunks_done)
            if left:
                remaining[job.provider] = remaining.get(job.provider, 0) + left
    return remaining


def outlook(store: Any, settings: Settings, data_dir: Path, *, now: float | None = None,
            scope: set[int] | None = None, paused: bool | None = None, since: float | None = None) -> Outlook:
    """The queue's (or ``scope``'s jobs') throughput and ETA, read from the store and the limits.
    ``since``: when the run started, so a run younger than the rate window is not under-counted."""
    now = time.time() if now is None else now
    paused = bool(store.get_control("paused", False)) if paused is None else paused
    remaining = remaining_by_provider(store, scope)
    window_s = RATE_WINDOW_S if since is None else min(RATE_WINDOW_S, max(1.0, now - since))
    rate = chunks_in_window(store, now, window_s) * 60.0 / window_s
    measured = store.metrics_summary(now - LATENCY_WINDOW_S)
    caps = _concurrency_caps(settings, data_dir)
    eta, binding, waiting = 0.0, "", []
    for provider, left in sorted(remaining.items()):
        config = settings.providers.get(provider)
        if config is None:
            return Outlook(rate, sum(remaining.values()), None, f"provider {provider!r} is not configured", paused)
        stats = measured.get(provider, {})
        held = window_rows(data_dir, provider, config, now=now)
        pace = expected(config, _work(left, stats), latency_s=_latency_s(config, stats),
                        concurrency=caps.get(provider, config.max_concurrency), held=held)
        if not pace.binding:  # neither a limit nor a latency to go by
            return Outlook(rate, sum(remaining.values()), None, "", paused)
        if pace.seconds >= eta:
            eta, binding = pace.seconds, pace.binding
        waiting += [f"waiting for {window.text} (next slot in {seconds:.0f} s)"
                    for window, seconds in next_slots(windows(config), held)]
    total = sum(remaining.values())
    return Outlook(rate, total, None if paused or not total else eta, binding if total else "", paused,
                   tuple(waiting))


def next_slots(active: list[Window], held: dict[str, list[float]]) -> list[tuple[Window, float]]:
    """Each full window and the seconds until its oldest unit leaves it."""
    full = []
    for window in active:
        units = held.get(window.text, [])
        if len(units) >= window.amount:
            full.append((window, max(0.0, units[-window.amount] + window.span_s)))
    return full


def _work(requests: int, stats: dict[str, Any]) -> Work:
    """The remaining chunks as requests, with the tokens and characters per request measured so far."""
    done = max(1, int(stats.get("requests", 0)))
    tokens = (stats.get("tokens_in", 0) + stats.get("tokens_out", 0)) / done if stats.get("requests") else 0
    characters = stats.get("characters", 0) / done if stats.get("requests") else 0
    return Work(requests=requests, tokens=int(tokens * requests), characters=int(characters * requests))


def _latency_s(config: Any, stats: dict[str, Any]) -> float | None:
    if stats.get("latency_p50_ms"):
        return float(stats["latency_p50_ms"]) / 1000
    if config.kind == "demo":
        return config.latency_ms / 1000
    return None


def _concurrency_caps(settings: Settings, data_dir: Path) -> dict[str, int]:
    """Each provider's adaptive in-flight cap now (shared by every process)."""
    from scribe_tui.limits.adaptive import current_cap
    from scribe_tui.limits.provider_state import read_provider_states

    states = read_provider_states(data_dir)
    return {name: current_cap(states[name], config.max_concurrency) if name in states else config.max_concurrency
            for name, config in settings.providers.items()}
