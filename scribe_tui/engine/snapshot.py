"""Build the Snapshot a UI renders, from the job store, the limits layer's shared state and
(when the supervisor runs in this process) its live counters."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from scribe_tui.config import Settings
from scribe_tui.engine.api import ProviderInfo, Snapshot, WorkerInfo
from scribe_tui.engine.cluster import host_key, is_shared, supervisor_key
from scribe_tui.engine.outlook import outlook
from scribe_tui.store import JobStoreAPI

if TYPE_CHECKING:
    from scribe_tui.engine.runner import Runner

HISTORY_MINUTES = 15


def build_snapshot(store: JobStoreAPI, settings: Settings, data_dir: Path, *, runner: Runner | None,
                   attached: bool, now: float | None = None) -> Snapshot:
    now = store.clock() if now is None else now  # the database's clock on a shared store
    shared = is_shared(settings.store_url)
    control = store.get_control(supervisor_key(shared)) or {}
    chunk_counts = store.task_counts()
    series = _minute_series(store, now)
    chunks_per_min = tuple(float(c) for _, c, _ in series)
    tokens_per_min = tuple(float(t) for _, _, t in series)
    paused = bool(store.get_control("paused", False)) or (shared and bool(store.get_control(host_key("paused"))))
    ahead = outlook(store, settings, data_dir, now=now, paused=paused)
    return Snapshot(
        ts=now,
        counts=store.job_counts(),
        chunk_counts=chunk_counts,
        languages=store.counts_by_language(),
        workers=_workers(store, now),
        target_workers=runner.target_workers if runner else int(control.get("target_workers", 0) or 0),
        paused=paused,
        attached=attached,
        chunks_per_min=chunks_per_min,
        tokens_per_min=tokens_per_min,
        rate_limit_per_min=_request_limit_per_min(settings),
        eta_s=ahead.eta_s if ahead.remaining else 0.0,
        providers=_providers(store, settings, data_dir, now),
        totals=runner.totals.as_dict() if runner else {},
        rate_per_min=ahead.chunks_per_min,
        eta_binding=ahead.binding,
        waiting=ahead.waiting,
    )


def _minute_series(store: JobStoreAPI, now: float) -> list[tuple[float, int, int]]:
    """Chunks and tokens per clock minute for the sparklines (the last one still filling);
    rates and the ETA come from engine/outlook.py's sliding windows instead."""
    start = (now // 60) * 60 - (HISTORY_MINUTES - 1) * 60
    rows = {int(bucket): (chunks, tokens) for bucket, chunks, tokens in store.throughput(start, 60)}
    return [(start + i * 60, *rows.get(int(start + i * 60), (0, 0))) for i in range(HISTORY_MINUTES)]


def _workers(store: JobStoreAPI, now: float) -> tuple[WorkerInfo, ...]:
    return tuple(
        WorkerInfo(worker_id=row.worker_id, pid=row.pid, state=row.state, in_flight=row.in_flight,
                   heartbeat_age_s=max(0.0, now - row.heartbeat_at), restarts=row.restarts, host=row.host)
        for row in store.workers()
    )


def _request_limit_per_min(settings: Settings) -> float | None:
    config = settings.providers.get(settings.default_provider)
    rates = [limit.per_second * 60 for limit in config.limits_of("requests")] if config else []
    return min(rates) if rates else None


def _providers(store: JobStoreAPI, settings: Settings, data_dir: Path, now: float) -> tuple[ProviderInfo, ...]:
    """The limits layer's view of each provider, with the last hour's request figures."""
    from scribe_tui.limits.snapshot import provider_snapshot

    summary = store.metrics_summary(now - 3600)
    infos = []
    for status in provider_snapshot(data_dir, settings, now=now):
        stats = summary.get(status.name, {})
        infos.append(ProviderInfo(
            name=status.name, kind=status.kind, model=status.model, circuit=status.circuit,
            paused_until=status.paused_until, limit_usage=status.limit_usage, requests=int(stats.get("requests", 0)),
            rate_limited=int(stats.get("rate_limited", 0)), latency_p50_ms=stats.get("latency_p50_ms"),
            latency_p95_ms=stats.get("latency_p95_ms"), cost_usd=float(stats.get("cost_usd", 0.0)),
            note=status.note, concurrency_cap=status.concurrency_cap, max_concurrency=status.max_concurrency))
    return tuple(infos)
